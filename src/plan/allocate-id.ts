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
import type { StateStore } from '../state/store.js';
import type { ClusterTarget } from '../steps/step.js';
import { buildTargets } from './targets.js';

export interface Existence {
  exists: boolean;
  /** Where it was found, e.g. "GKE" or "terraform state". */
  where?: string;
}

export type ExistenceProbe = (target: ClusterTarget) => Promise<Existence>;

/** Names registered with any meta cluster (`eu17`): their ids are taken. */
export type RegisteredNames = () => Promise<ReadonlySet<string>>;

export interface AllocateOptions {
  probe: ExistenceProbe;
  registeredNames?: RegisteredNames;
  /** The id the newest earlier deployment of this environment used: the search starts after it. */
  lastUsed?: number;
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

/** The cluster id of the newest earlier deployment of (project, environment) in `store`. */
export async function lastUsedClusterId(store: Pick<StateStore, 'list' | 'open'>, key: { project: string; environment: string }): Promise<number | undefined> {
  const newest = (await store.list()).find((d) => d.project === key.project && d.environment === key.environment);
  return newest ? (await store.open(newest.id, { readOnly: true })).snapshot().clusterId : undefined;
}

export async function allocateClusterId(config: Config, options: AllocateOptions): Promise<number> {
  // One List per meta cluster for the whole search, not one per candidate.
  const registered = options.registeredNames ? await needed(options.registeredNames) : new Set<string>();
  for (const id of candidateIds(options.lastUsed)) {
    if (await isFree(config, id, options.probe, registered)) return id;
  }
  throw new WsdError('ClusterExists', `every cluster id from ${CLUSTER_ID_MIN} to ${CLUSTER_ID_MAX} is taken for these clusters; pass --cluster-id ID or retire old clusters`);
}
