/**
 * Which earlier deployments of an environment are still open: failed or
 * interrupted, and not concluded by their failure (a traffic shift that rolled
 * back is an outcome, see CONCLUDED in steps/step.ts). `deploy` refuses to start
 * beside one, `resume` picks the newest, and `retire --cluster` refuses to take
 * away a cluster one of them still counts on.
 */
import { existsSync } from 'node:fs';
import { WsdError } from '../core/errors.js';
import type { Snapshot } from './model.js';
import type { StateStore } from './store.js';
import { damagedListingError, mayBelongTo } from './journal-damage.js';
import { CONCLUDED } from '../steps/step.js';

/**
 * Deployments of this environment that did not finish and can still be resumed,
 * newest first (one concluded by its failure is over). Throws `StateCorrupt` at a
 * deployment whose journal is damaged mid-file and may be of this environment.
 */
export async function* resumableDeployments(store: StateStore, key: { project: string; environment: string }): AsyncGenerator<Snapshot> {
  for (const d of await store.list()) {
    // Damaged mid-file: whether it finished is past the damage, and guessing could start a run beside
    // one that holds clusters. One that may be of this environment stops the caller, saying where and what to do.
    if (d.damaged) {
      if (mayBelongTo(d, key)) throw damagedListingError({ ...d, damaged: d.damaged });
      continue;
    }
    if (d.project !== key.project || d.environment !== key.environment || d.state === 'succeeded') continue;
    const snap = (await store.open(d.id, { readOnly: true })).snapshot();
    if (!concludedBy(snap)) yield snap;
  }
}

/** The newest deployment of any environment in the store that can still be resumed (or taken shift commands). */
export async function newestUnfinished(store: StateStore): Promise<Snapshot | undefined> {
  for (const d of await store.list()) {
    if (d.state === 'succeeded') continue;
    const snap = (await store.open(d.id, { readOnly: true })).snapshot();
    if (!concludedBy(snap)) return snap;
  }
  return undefined;
}

/** Why a failed deployment is final (see {@link CONCLUDED}), or undefined when it can be resumed. */
export function concludedBy(snap: Snapshot): string | undefined {
  for (const s of [...snap.deploymentSteps, ...snap.clusters.flatMap((c) => c.steps)]) {
    const why = s.checkpoint?.[CONCLUDED];
    if (s.state === 'failed' && typeof why === 'string') return why;
  }
  return undefined;
}

/** True when the deployment ended because its traffic shift rolled back (an outcome, shown as `rolled back`). */
export function rolledBack(snap: Snapshot): boolean {
  const shift = snap.deploymentSteps.find((s) => s.name === 'traffic-shift');
  return snap.state === 'failed' && shift?.state === 'failed' && typeof shift.checkpoint?.[CONCLUDED] === 'string';
}

/** Open deployments that count on registry short name `name` (as a new cluster, or as an old cluster of their shift). */
export async function openDeploymentsUsing(store: StateStore, key: { project: string; environment: string }, name: string): Promise<Array<{ id: string; as: 'new cluster' | 'old cluster' }>> {
  const found: Array<{ id: string; as: 'new cluster' | 'old cluster' }> = [];
  for await (const snap of resumableDeployments(store, key)) {
    if (snap.clusters.some((c) => c.shortName === name)) found.push({ id: snap.id, as: 'new cluster' });
    else if (snap.deploymentSteps.some((s) => oldClustersOf(s.checkpoint).includes(name))) found.push({ id: snap.id, as: 'old cluster' });
  }
  return found;
}

/** The old clusters a shift or retirement checkpointed (`clusters.oldClusters`). */
function oldClustersOf(checkpoint: Record<string, unknown> | undefined): string[] {
  const olds = (checkpoint?.clusters as { oldClusters?: Array<{ name?: unknown }> } | undefined)?.oldClusters;
  return Array.isArray(olds) ? olds.map((o) => String(o.name)) : [];
}

/**
 * The config file deployment `id` ran with (journaled at its start), for a
 * `resume ID` without --config. A file that is gone is refused with the fix.
 */
export async function journaledConfigFile(store: StateStore, id: string): Promise<string> {
  const file = (await store.open(id, { readOnly: true })).snapshot().inputs.configFile;
  if (!existsSync(file)) {
    throw new WsdError('ConfigInvalid', `deployment ${id} ran with the config ${file}, which no longer exists; pass the config to resume it with --config FILE`);
  }
  return file;
}
