/**
 * Which clusters a shift moves traffic between. New: this deployment's clusters,
 * by the short name they are registered under. Old: `trafficShift.oldClusters`
 * (default `auto`: the other clusters registered with the same prefix), resolved
 * once against every meta cluster's List and checkpointed, so a resumed shift
 * works on exactly the clusters it started with.
 */
import { WsdError } from '../../core/errors.js';
import type { Environment } from '../../names/names.js';
import type { TrafficShiftConfig } from '../../traffic/config.js';
import { resolveOldClusters, type NewClusterRef } from '../../traffic/old-clusters.js';
import type { RegistryPort, ShiftCluster } from '../../traffic/shift-ports.js';
import type { ClusterTarget } from '../step.js';
import type { OtherEnvironmentNames } from '../../state/environment-names.js';

export interface ShiftClusters {
  newClusters: ShiftCluster[];
  oldClusters: ShiftCluster[];
}

/** The new clusters of this deployment, with their prefixes (for old-cluster matching). */
export function newClusterRefs(clusters: readonly ClusterTarget[]): NewClusterRef[] {
  return clusters.map((c) => ({ name: c.shortName, cluster: c.name, region: c.region, prefix: c.prefix }));
}

/** Names registered on any meta cluster. */
async function registeredNames(registry: RegistryPort, metas: readonly string[], signal?: AbortSignal): Promise<string[]> {
  const names = new Set<string>();
  for (const meta of metas) for (const c of await registry.list(meta, signal)) names.add(c.name);
  return [...names].sort();
}

/**
 * For a retried shift: the new clusters some meta cluster no longer lists, or lists as draining (deregistered or being
 * retired: a shift onto them would fail half-way or send starts to a cluster on its way out), as a refusal.
 */
export async function missingNewClusters(registry: RegistryPort & { metas: readonly string[] }, names: readonly string[], signal?: AbortSignal): Promise<string | undefined> {
  const gone: string[] = [];
  for (const meta of registry.metas) {
    const listed = new Map((await registry.list(meta, signal)).map((c) => [c.name, c.state]));
    for (const name of names) {
      if (!listed.has(name)) gone.push(`${name} is not registered with ${meta}`);
      else if (listed.get(name) === 'DRAINING') gone.push(`${name} is draining on ${meta}`);
    }
  }
  if (gone.length === 0) return undefined;
  return `the new clusters are no longer there to shift to (${gone.join('; ')}): deregistered, retired or gone since the shift rolled back; a retry would move traffic onto them; deploy a new generation`;
}

/** Resolves new and old clusters (or returns the checkpointed ones). */
export async function resolveShiftClusters(input: {
  config: TrafficShiftConfig;
  clusters: readonly ClusterTarget[];
  environment: Environment;
  registry: RegistryPort;
  metas: readonly string[];
  previous?: unknown;
  signal?: AbortSignal;
  /**
   * Registered names the state dir knows as another environment's clusters (state/environment-names.ts): never
   * `auto` old clusters of this one; `leftOut` hears which were left out, once, when the clusters are resolved.
   */
  otherEnvironments?: OtherEnvironmentNames;
  leftOut?: (message: string) => void;
}): Promise<ShiftClusters> {
  const prev = input.previous as Partial<ShiftClusters> | undefined;
  if (prev?.newClusters && prev.oldClusters) return { newClusters: prev.newClusters, oldClusters: prev.oldClusters };
  const refs = newClusterRefs(input.clusters);
  const registered = await registeredNames(input.registry, input.metas, input.signal);
  const missing = refs.filter((r) => !registered.includes(r.name));
  if (missing.length > 0) {
    throw new WsdError('PreCheckRefused', `new cluster(s) ${missing.map((m) => m.name).join(', ')} are not registered with any meta cluster; run the register-cluster step first`);
  }
  const others = input.config.oldClusters === 'auto' ? registered.filter((n) => input.otherEnvironments?.has(n)) : [];
  if (others.length > 0) {
    const words = others.map((n) => `${n} (deployment ${input.otherEnvironments?.get(n)?.deploymentId}, ${input.otherEnvironments?.get(n)?.environment})`);
    input.leftOut?.(`left out of the old clusters: ${words.join(', ')}: registered with a meta cluster this config shares, but another environment's clusters in this state dir; list them in trafficShift.oldClusters to shift from them anyway`);
  }
  const candidates = registered.filter((n) => !others.includes(n));
  const oldClusters = resolveOldClusters({ setting: input.config.oldClusters, registered: candidates, newClusters: refs, environment: input.environment });
  return { newClusters: refs.map(({ prefix: _prefix, ...c }) => c), oldClusters };
}
