/**
 * Finds how an old cluster was created: the `create-cluster` outputs of the
 * earlier deployment (in the same state store) that made it. Their
 * `moduleInput` regenerates the same root module and backend for destroy.
 */
import { WsdError } from '../../core/errors.js';
import { damageWords, mayBelongTo } from '../../state/journal-damage.js';
import type { DeploymentSummary, JournalDamage, StateStore } from '../../state/store.js';
import type { RootModuleInput } from '../../tools/terraform/generator.js';

interface CreatedBy {
  deploymentId: string;
  /** Full cluster name as journaled. */
  name: string;
  shortName: string;
  region: string;
  moduleInput?: RootModuleInput;
}

/**
 * Newest deployment first; the first one of `key`'s project and environment that journaled a cluster with this short
 * (or full) name and succeeded its create-cluster step wins. Short names (`eu100`) carry no environment: another
 * environment sharing the state dir may have journaled the same one, and taking its module input destroyed that
 * environment's cluster (a staging deploy retired and destroyed development's eu100 this way).
 *
 * A damaged journal newer than that one may be the newest creator of a reused name: skipping it, the retirement
 * took an older deployment's module input (another cluster's backend, another cluster to destroy) and said
 * nothing. So it is refused, naming the journal and the fix, unless what its intact records still say rules it
 * out: another project or environment than `key`, or another cluster id than the name's.
 */
export async function findCreatedBy(store: StateStore, name: string, key?: { project: string; environment: string }): Promise<CreatedBy | undefined> {
  let fallback: CreatedBy | undefined;
  let hidden: { id: string; damage: Pick<JournalDamage, 'file' | 'line' | 'problem' | 'fix'> } | undefined;
  const found = (result: CreatedBy | undefined): CreatedBy | undefined => {
    if (hidden) throw hiddenCreator(name, hidden, result);
    return result;
  };
  for (const summary of await store.list()) {
    if (summary.damaged) {
      if (!hidden && mayHold(summary, summary.damaged, name, key)) hidden = { id: summary.id, damage: summary.damaged };
      continue;
    }
    let snap;
    try {
      snap = (await store.open(summary.id, { readOnly: true })).snapshot();
    } catch (error) {
      // Damaged between the listing and this read: as a listed damaged one, with what the error says.
      const details = (error instanceof WsdError ? error.details : {}) as { file?: string; line?: number; fix?: string };
      if (!hidden && details.file && details.fix) hidden = { id: summary.id, damage: { file: details.file, line: details.line ?? 1, fix: details.fix } };
      continue;
    }
    if (key && (snap.inputs.project !== key.project || snap.inputs.environment !== key.environment)) continue;
    for (const c of snap.clusters) {
      if (c.shortName !== name && c.name !== name) continue;
      const create = c.steps.find((s) => s.name === 'create-cluster');
      const moduleInput = create?.outputs?.moduleInput as RootModuleInput | undefined;
      const result = { deploymentId: snap.id, name: c.name, shortName: c.shortName, region: c.region, moduleInput };
      if (moduleInput?.backend) return found(result);
      fallback ??= found(result); // newer than any damaged journal when it gets here: refused otherwise
    }
  }
  return fallback ?? found(undefined);
}

/** A deployment of another project or environment in this store that created a cluster of this name (see {@link findOtherCreator}). */
export interface OtherCreator {
  deploymentId: string;
  project: string;
  environment: string;
  /** Full cluster name as journaled. */
  name: string;
}

/**
 * When {@link findCreatedBy} finds no creator in `key`'s environment: the newest deployment of another environment
 * (or project) in this store whose create-cluster of `name` succeeded. It is not taken as the creator (that
 * destroyed another environment's cluster once, see above); it is named, so an operator who renamed the environment
 * in the config is told where the journal of the cluster is and how to retire it, not "not created by ws-deployment".
 */
export async function findOtherCreator(store: StateStore, name: string, key: { project: string; environment: string }): Promise<OtherCreator | undefined> {
  for (const summary of await store.list()) {
    if (summary.damaged || (summary.project === key.project && summary.environment === key.environment)) continue;
    let snap;
    try {
      snap = (await store.open(summary.id, { readOnly: true })).snapshot();
    } catch {
      continue; // damaged since the listing: it says nothing more here
    }
    const c = snap.clusters.find((x) => (x.shortName === name || x.name === name) && x.steps.some((s) => s.name === 'create-cluster' && s.state === 'succeeded'));
    if (c) return { deploymentId: snap.id, project: snap.inputs.project, environment: snap.inputs.environment, name: c.name };
  }
  return undefined;
}

/** Whether damaged deployment `d` may have created `name`: its intact records do not rule it out. */
function mayHold(d: DeploymentSummary, damage: JournalDamage, name: string, key: { project: string; environment: string } | undefined): boolean {
  if (key && !mayBelongTo(d, key)) return false;
  // Names are `<prefix><id>` (short) or `gp-<env>-ws-<prefix><id>-<region>` (full): the journaled id must be in it.
  return damage.clusterId === undefined || new RegExp(`(^|-)[a-z]+${damage.clusterId}($|-)`).test(name);
}

function hiddenCreator(name: string, hidden: { id: string; damage: Pick<JournalDamage, 'file' | 'line' | 'problem' | 'fix'> }, older: CreatedBy | undefined): WsdError {
  const instead = older ? `; without it, the older deployment ${older.deploymentId} (which created ${older.name}) would be taken, though a newer ${name} may be another cluster of that name` : '';
  return new WsdError(
    'StateCorrupt',
    `cannot tell how cluster ${name} was created: deployment ${hidden.id}, which may be its newest creator, has a damaged journal (${damageWords(hidden.damage)})${instead}. ${hidden.damage.fix}; then run again`,
    { details: { cluster: name, deploymentId: hidden.id, file: hidden.damage.file, ...(older ? { olderCreator: older.deploymentId } : {}) } },
  );
}
