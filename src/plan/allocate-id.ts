/**
 * Allocates the deployment's cluster id once. A candidate is taken only when no
 * cluster of the deployment exists under its derived name anywhere we can see:
 * GKE or Terraform state (the CreateCluster pre-run check, through `probe`) and
 * every meta cluster's registry (`registered` short names).
 * The 2021 prototype drew a fresh random id on every run and checked the wrong
 * name; we choose once, check the full names, and the caller journals the id
 * before anything is created.
 *
 * The choice is deterministic: the first free id after the one the newest
 * deployment of the environment used (wrapping around the range). So `plan`
 * shows the id `deploy` will take, and generations count up (eu17, eu18, …).
 */
import type { Config } from '../config/schema.js';
import { isWsdError, WsdError } from '../core/errors.js';
import { CLUSTER_ID_MAX, CLUSTER_ID_MIN } from '../names/names.js';
import { mayBelongTo } from '../state/journal-damage.js';
import type { StateStore } from '../state/store.js';
import type { ClusterTarget } from '../steps/step.js';
import { buildTargets } from './targets.js';

interface Existence {
  exists: boolean;
  /** Where it was found, e.g. "GKE" or "terraform state". */
  where?: string;
}

export type ExistenceProbe = (target: ClusterTarget) => Promise<Existence>;

/** Names registered with any meta cluster (`eu17`): their ids are taken. */
export type RegisteredNames = () => Promise<ReadonlySet<string>>;

interface AllocateOptions {
  probe: ExistenceProbe;
  registeredNames?: RegisteredNames;
  /** The id the newest earlier deployment of this environment used: the search starts after it. */
  lastUsed?: number;
  /** Ids never to take (earlier deployments' journals say they may still be in use). */
  taken?: ReadonlySet<number>;
}

/** Runs a question allocation cannot do without; a failure says so, and how to do without it. */
async function needed<T>(question: () => Promise<T>): Promise<T> {
  try {
    return await question();
  } catch (error) {
    if (!isWsdError(error) || error.code === 'Interrupted') throw error;
    throw new WsdError(error.code, `${error.message}; allocating a cluster id needs that answer (or pass --cluster-id ID to use a known id)`, {
      transient: error.transient,
      details: error.details,
      cause: error,
    });
  }
}

/** True when none of the clusters the deployment would create exists under `id`. */
async function isFree(config: Config, id: number, probe: ExistenceProbe, registered: ReadonlySet<string>): Promise<boolean> {
  const targets = buildTargets(config, id).filter((t) => t.create);
  if (targets.some((t) => registered.has(t.shortName))) return false;
  // Sequential on purpose: a handful of clusters, and each probe may be a gcloud call with its own quota.
  for (const target of targets) {
    const found: Existence = await needed(() => probe(target));
    if (found.exists) return false;
  }
  return true;
}

/** The ids in search order: after `lastUsed`, wrapping around; from the start of the range without one. */
export function candidateIds(lastUsed?: number): number[] {
  const span = CLUSTER_ID_MAX - CLUSTER_ID_MIN + 1;
  const first = lastUsed === undefined || lastUsed < CLUSTER_ID_MIN || lastUsed > CLUSTER_ID_MAX ? CLUSTER_ID_MIN : lastUsed + 1;
  return Array.from({ length: span }, (_, i) => CLUSTER_ID_MIN + ((first - CLUSTER_ID_MIN + i) % span));
}

/** What earlier deployments of an environment tell allocation; see {@link clusterIdHistory}. */
interface ClusterIdHistory {
  /** The id of the newest one: the search starts after it. */
  lastUsed?: number;
  /** Ids of deployments whose journal is damaged after their id: whether their clusters are gone is unknown, so never reused. */
  taken: ReadonlySet<number>;
  /** Deployments damaged before their id (or whose environment the damage hides): what allocation cannot know, for a warning. */
  unknown: string[];
}

/**
 * The cluster ids earlier deployments of (project, environment) in `store` used. A journal damaged
 * mid-file is not guessed past: the id its intact part shows counts as taken, and one that hides
 * its id is reported (the existence probe and the registry still guard against reusing it).
 */
export async function clusterIdHistory(store: Pick<StateStore, 'list' | 'open'>, key: { project: string; environment: string }): Promise<ClusterIdHistory> {
  let lastUsed: number | undefined;
  let newestSeen = false;
  const taken = new Set<number>();
  const unknown: string[] = [];
  const hidden = (id: string, where: string): void => {
    unknown.push(`deployment ${id}: its journal ${where} is damaged before its cluster id (or its environment): the id it used is not known and may be reused if its clusters are gone from GKE, Terraform state and the registry; repair the journal, or pass --cluster-id ID`);
  };
  for (const d of await store.list()) {
    if (d.damaged) {
      if (d.damaged.clusterId === undefined) {
        if (mayBelongTo(d, key)) hidden(d.id, `${d.damaged.file} line ${d.damaged.line}`);
        continue;
      }
      if (d.project !== key.project || d.environment !== key.environment) continue;
      taken.add(d.damaged.clusterId);
      if (!newestSeen) lastUsed = d.damaged.clusterId;
      newestSeen = true;
      continue;
    }
    if (d.project !== key.project || d.environment !== key.environment || newestSeen) continue;
    newestSeen = true;
    try {
      lastUsed = (await store.open(d.id, { readOnly: true })).snapshot().clusterId;
    } catch (error) {
      // Listed from its snapshot cache, damaged in the journal: what its id was is past the damage.
      if (!isWsdError(error) || error.code !== 'StateCorrupt' || typeof error.details.file !== 'string') throw error;
      hidden(d.id, `${error.details.file} line ${String(error.details.line)}`);
    }
  }
  return { lastUsed, taken, unknown };
}

export async function allocateClusterId(config: Config, options: AllocateOptions): Promise<number> {
  // One List per meta cluster for the whole search, not one per candidate.
  const registered = options.registeredNames ? await needed(options.registeredNames) : new Set<string>();
  for (const id of candidateIds(options.lastUsed)) {
    if (options.taken?.has(id)) continue;
    if (await isFree(config, id, options.probe, registered)) return id;
  }
  throw new WsdError('ClusterExists', `every cluster id from ${CLUSTER_ID_MIN} to ${CLUSTER_ID_MAX} is taken for these clusters; pass --cluster-id ID or retire old clusters`);
}
