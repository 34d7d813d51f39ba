/**
 * Short names (`eu100`) this state dir knows as another environment's clusters: journaled by deployments of other
 * (project, environment) pairs and never by the asking one. Short names carry no environment, and a meta cluster two
 * configs name alike (in the sandbox: one registry file, `sandbox/registry/<meta>.json`) lists both environments'
 * clusters; the traffic shift's `oldClusters: auto` took development's clusters as staging's old generation, moved
 * staging's traffic off them, cordoned and deregistered them, and told the operator to delete a cluster that never existed.
 */
import type { StateStore } from './store.js';

/** Name → who journaled it, for the words of a warning. */
export type OtherEnvironmentNames = ReadonlyMap<string, { deploymentId: string; environment: string }>;

export async function otherEnvironmentNames(store: Pick<StateStore, 'list' | 'open'>, key: { project: string; environment: string }): Promise<OtherEnvironmentNames> {
  const others = new Map<string, { deploymentId: string; environment: string }>();
  const ours = new Set<string>();
  for (const d of await store.list()) {
    // A damaged journal says less than it should; its names are not claimed for either side.
    if (d.damaged) continue;
    let snap;
    try {
      snap = (await store.open(d.id, { readOnly: true })).snapshot();
    } catch {
      continue; // damaged behind an intact-looking listing: as above
    }
    const mine = snap.inputs.project === key.project && snap.inputs.environment === key.environment;
    for (const c of snap.clusters) {
      if (mine) ours.add(c.shortName);
      else if (!others.has(c.shortName)) others.set(c.shortName, { deploymentId: d.id, environment: `${d.project}/${d.environment}` });
    }
  }
  for (const name of ours) others.delete(name);
  return others;
}
