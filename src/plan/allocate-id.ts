/**
 * Allocates the deployment's cluster id once. A candidate is taken only when no
 * cluster of the deployment exists under its derived name anywhere we can see
 * (GKE, Terraform state, registries: whatever the existence probe checks).
 * The 2021 prototype drew a fresh id on every run and checked the wrong name;
 * we draw once, check the full names, and the caller journals the id before
 * anything is created.
 */
import type { Config } from '../config/schema.js';
import { isWsdError, WsdError } from '../core/errors.js';
import { CLUSTER_ID_MAX, CLUSTER_ID_MIN } from '../names/names.js';
import type { ClusterTarget } from '../steps/step.js';
import { buildTargets } from './targets.js';

export interface Existence {
  exists: boolean;
  /** Where it was found, e.g. "GKE" or "terraform state". */
  where?: string;
}

export type ExistenceProbe = (target: ClusterTarget) => Promise<Existence>;

export interface AllocateOptions {
  probe: ExistenceProbe;
  random?: () => number;
  /** Random draws before falling back to a scan of the whole range. */
  draws?: number;
}

/** True when none of the clusters the deployment would create exists under `id`. */
async function isFree(config: Config, id: number, probe: ExistenceProbe): Promise<boolean> {
  // Sequential on purpose: a handful of clusters, and each probe may be a gcloud call with its own quota.
  for (const target of buildTargets(config, id)) {
    if (!target.create) continue;
    let found: Existence;
    try {
      found = await probe(target);
    } catch (error) {
      if (!isWsdError(error) || error.code === 'Interrupted') throw error;
      throw new WsdError(error.code, `${error.message}; allocating a cluster id needs that answer (or pass --cluster-id ID to use a known id)`, {
        transient: error.transient,
        details: error.details,
        cause: error,
      });
    }
    if (found.exists) return false;
  }
  return true;
}

export async function allocateClusterId(config: Config, options: AllocateOptions): Promise<number> {
  const random = options.random ?? Math.random;
  const span = CLUSTER_ID_MAX - CLUSTER_ID_MIN + 1;
  const tried = new Set<number>();
  for (let i = 0; i < (options.draws ?? 8); i++) {
    const id = CLUSTER_ID_MIN + Math.floor(random() * span);
    if (tried.has(id)) continue;
    tried.add(id);
    if (await isFree(config, id, options.probe)) return id;
  }
  for (let id = CLUSTER_ID_MIN; id <= CLUSTER_ID_MAX; id++) {
    if (!tried.has(id) && (await isFree(config, id, options.probe))) return id;
  }
  throw new WsdError('ClusterExists', `every cluster id from ${CLUSTER_ID_MIN} to ${CLUSTER_ID_MAX} is taken for these clusters; pass --cluster-id ID or retire old clusters`);
}
