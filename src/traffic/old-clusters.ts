/**
 * Which clusters the shift takes traffic from. `oldClusters: auto` means the
 * other clusters registered with the same prefix (short names `<prefix><id>`,
 * design §2) as a new cluster; explicit names must be registered. Each old
 * cluster gets the region of the new clusters of its prefix, which is what the
 * score compiler groups by.
 */
import { WsdError } from '../core/errors.js';
import { fullClusterName, type Environment } from '../names/names.js';
import type { ShiftCluster } from './shift-ports.js';

export interface NewClusterRef extends ShiftCluster {
  prefix: string;
}

interface ResolveOldInput {
  setting: 'auto' | readonly string[];
  /** Names registered with the meta clusters (union over all metas). */
  registered: readonly string[];
  newClusters: readonly NewClusterRef[];
  environment: Environment;
}

/** Resolves `trafficShift.oldClusters` into the clusters the shift moves traffic from. */
export function resolveOldClusters(input: ResolveOldInput): ShiftCluster[] {
  const newNames = new Set(input.newClusters.map((c) => c.name));
  const regionsByPrefix = new Map<string, Set<string>>();
  for (const c of input.newClusters) regionsByPrefix.set(c.prefix, (regionsByPrefix.get(c.prefix) ?? new Set()).add(c.region));

  const parse = (name: string): { prefix: string; id: number } | undefined => {
    for (const prefix of regionsByPrefix.keys()) {
      const rest = name.slice(prefix.length);
      if (name.startsWith(prefix) && /^\d+$/.test(rest)) return { prefix, id: Number(rest) };
    }
    return undefined;
  };

  const toCluster = (name: string): ShiftCluster => {
    const parsed = parse(name);
    if (!parsed) {
      throw new WsdError('ConfigInvalid', `old cluster "${name}" does not share a prefix with the new clusters (${[...regionsByPrefix.keys()].join(', ')}); shift only within one prefix`);
    }
    const regions = [...(regionsByPrefix.get(parsed.prefix) ?? [])];
    if (regions.length !== 1) {
      throw new WsdError('ConfigInvalid', `prefix "${parsed.prefix}" has new clusters in several regions (${regions.join(', ')}); use one prefix per region so old clusters map to one region`);
    }
    const region = regions[0] as string;
    return { name, region, cluster: fullClusterName(input.environment, parsed.prefix, parsed.id, region) };
  };

  if (input.setting === 'auto') {
    const names = input.registered.filter((n) => !newNames.has(n) && parse(n) !== undefined);
    return [...new Set(names)].sort().map(toCluster);
  }
  const registered = new Set(input.registered);
  for (const name of input.setting) {
    if (newNames.has(name)) throw new WsdError('ConfigInvalid', `"${name}" is a new cluster and cannot be in trafficShift.oldClusters`);
    if (!registered.has(name)) throw new WsdError('ConfigInvalid', `old cluster "${name}" is not registered with any meta cluster; check trafficShift.oldClusters`);
  }
  return input.setting.map(toCluster);
}

/**
 * The old clusters that serve: AVAILABLE with a score above 0 on at least one meta
 * cluster in `original` (the registry as the shift found it, checkpointed, so a
 * resumed shift keeps the same baseline). These are the comparison baseline. An
 * earlier generation that was rolled back is still registered with the prefix,
 * but cordoned at score 0: it takes no starts, so its series (empty, or from the
 * time it failed) say nothing about what the new clusters should look like.
 */
export function servingClusters<C extends { name: string }>(olds: readonly C[], original: Readonly<Record<string, Readonly<Record<string, { state: string; score: number }>>>>): C[] {
  return olds.filter((o) => Object.values(original).some((meta) => meta[o.name]?.state === 'AVAILABLE' && (meta[o.name]?.score ?? 0) > 0));
}
