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
import type { OperatorAbort } from '../traffic/shift-ports.js';

/**
 * Deployments of this environment that did not finish and can still be resumed,
 * newest first (one concluded by its failure is over, and so is one superseded: a
 * newer deployment's traffic shift succeeded, see {@link supersededBy}). Throws `StateCorrupt` at a
 * deployment whose journal is damaged mid-file and may be of this environment.
 */
export async function* resumableDeployments(store: StateStore, key: { project: string; environment: string }): AsyncGenerator<Snapshot> {
  let superseding: string | undefined;
  for (const d of await store.list()) {
    // Damaged mid-file: whether it finished is past the damage, and guessing could start a run beside
    // one that holds clusters. One that may be of this environment stops the caller, saying where and what to do.
    if (d.damaged) {
      if (mayBelongTo(d, key)) throw damagedListingError({ ...d, damaged: d.damaged });
      continue;
    }
    if (d.project !== key.project || d.environment !== key.environment) continue;
    if (d.state === 'succeeded' && superseding) continue;
    const snap = (await store.open(d.id, { readOnly: true })).snapshot();
    if (d.state !== 'succeeded' && !superseding && !concludedBy(snap)) yield snap;
    if (promoted(snap)) superseding ??= d.id;
  }
}

/**
 * The newest deployment of any environment in the store that can still be resumed (or taken shift commands):
 * neither concluded nor superseded.
 */
export async function newestUnfinished(store: StateStore): Promise<Snapshot | undefined> {
  const superseded = new Set<string>();
  for (const d of await store.list()) {
    if (d.damaged) continue;
    const env = `${d.project}\u0000${d.environment}`;
    if (d.state === 'succeeded' && superseded.has(env)) continue;
    const snap = (await store.open(d.id, { readOnly: true })).snapshot();
    if (d.state !== 'succeeded' && !superseded.has(env) && !concludedBy(snap)) return snap;
    if (promoted(snap)) superseded.add(env);
  }
  return undefined;
}

/** True when the deployment's traffic shift succeeded: its clusters took over the environment's new starts. */
export function promoted(snap: Snapshot): boolean {
  return snap.deploymentSteps.some((s) => s.name === 'traffic-shift' && s.state === 'succeeded');
}

/**
 * The newer deployment of the same environment that supersedes `snap`: one whose traffic shift succeeded
 * (it began after `snap`). Resuming `snap` then would shift the environment's traffic back onto
 * its clusters and retire the newer generation as old, so it is over (its clusters: \`retire --cluster\`).
 */
export async function supersededBy(store: StateStore, snap: Snapshot, options: { refuseDamaged?: boolean } = {}): Promise<string | undefined> {
  for (const d of await store.list()) {
    if (d.id === snap.id) return undefined; // newest first: nothing newer supersedes it
    // `refuseDamaged` (a run that writes): a newer deployment of the environment whose journal is damaged may have
    // promoted its clusters; going on would move the traffic back and retire them as old. Readers only say less.
    if (d.damaged && options.refuseDamaged && mayBelongTo(d, snap.inputs)) {
      const damage = damagedListingError({ ...d, damaged: d.damaged });
      throw new WsdError(
        'StateCorrupt',
        `whether a newer deployment of this environment superseded ${snap.id} (promoted its own clusters, which going on with ${snap.id} would shift the traffic from and retire) is past the damage of its journal: ${damage.message}`,
        { details: damage.details, cause: damage },
      );
    }
    if (d.damaged || d.project !== snap.inputs.project || d.environment !== snap.inputs.environment) continue;
    if (promoted((await store.open(d.id, { readOnly: true })).snapshot())) return d.id;
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

/**
 * How the traffic shift concluded a failed deployment: `rolled-back` (new starts back on the old clusters),
 * `first-generation-failed` (its gates failed with no old clusters: nothing to roll back to, so the new clusters
 * still take every new start) or `first-generation-aborted` (an operator's `shift abort` ended that watch, with the
 * same consequence); undefined when the shift did not conclude it.
 */
export function shiftConclusion(snap: Snapshot): 'rolled-back' | 'first-generation-failed' | 'first-generation-aborted' | undefined {
  const shift = snap.deploymentSteps.find((s) => s.name === 'traffic-shift');
  if (snap.state !== 'failed' || shift?.state !== 'failed' || typeof shift.checkpoint?.[CONCLUDED] !== 'string') return undefined;
  const progress = shift.checkpoint['progress'];
  const { phase, aborted } = typeof progress === 'object' && progress !== null ? (progress as { phase?: unknown; aborted?: unknown }) : {};
  if (phase !== 'failed') return 'rolled-back';
  return operatorAbort(aborted) ? 'first-generation-aborted' : 'first-generation-failed';
}

/** The operator's abort that ended a first generation's watch, as journaled (see `ShiftProgress.aborted`). */
export function firstGenerationAbort(snap: Snapshot): OperatorAbort | undefined {
  return shiftConclusion(snap) === 'first-generation-aborted' ? concludingAbort(snap) : undefined;
}

/**
 * The operator's abort that concluded the shift, as journaled: one that ended a first generation's watch, or one that
 * rolled a shift back. Undefined when no abort concluded it (gates failed, an error, older journals).
 */
export function concludingAbort(snap: Snapshot): OperatorAbort | undefined {
  const conclusion = shiftConclusion(snap);
  if (conclusion !== 'first-generation-aborted' && conclusion !== 'rolled-back') return undefined;
  const progress = snap.deploymentSteps.find((s) => s.name === 'traffic-shift')?.checkpoint?.['progress'] as { aborted?: unknown } | undefined;
  return operatorAbort(progress?.aborted) ? progress.aborted : undefined;
}

/** A journaled abort record, read defensively (a checkpoint is data from disk). */
function operatorAbort(value: unknown): value is OperatorAbort {
  return typeof value === 'object' && value !== null && typeof (value as OperatorAbort).at === 'string';
}

/** True when the deployment ended because its traffic shift rolled back (an outcome, shown as `rolled back`). */
export function rolledBack(snap: Snapshot): boolean {
  return shiftConclusion(snap) === 'rolled-back';
}

/** The command that retries deployment `id`'s rolled-back shift (bare: the CLI completes it, core/next-command.ts). */
export function retryShiftCommand(id: string): string {
  return `ws-deployment resume ${id} --retry-shift`;
}

/** The phase the traffic shift's checkpoint says it reached (`rolled-back`, `failed`, `done`, …). */
export function shiftPhase(snap: Snapshot): unknown {
  const shift = snap.deploymentSteps.find((s) => s.name === 'traffic-shift');
  return (shift?.checkpoint?.progress as { phase?: unknown } | undefined)?.phase;
}

/**
 * Whether `resume ID --retry-shift` may start `snap`'s shift again as far as its journal tells: the shift rolled back
 * completely (not a first generation's failed watch, which moved nothing back) and nothing newer superseded it.
 */
export function shiftRetryable(snap: Snapshot): boolean {
  return rolledBack(snap) && shiftPhase(snap) === 'rolled-back' && !snap.supersededBy;
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

/** Short names of the clusters whose creation the deployment began (what a superseded one leaves to retire). */
export function createdClusters(snap: Snapshot): string[] {
  return snap.clusters.filter((c) => c.steps.some((s) => s.name === 'create-cluster' && s.attempts > 0)).map((c) => c.shortName);
}
