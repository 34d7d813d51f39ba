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
import { promoted } from '../state/resumable.js';
import type { DeploymentSummary, StateStore } from '../state/store.js';
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
  /** Short names other environments' deployments in this state dir journaled and may still use (see {@link ClusterIdHistory.shared}). */
  shared?: SharedNames;
}

/** Short name (`eu100`) → the deployment of another environment that journaled it, for the words of a refusal. */
export type SharedNames = ReadonlyMap<string, { deploymentId: string; project: string; environment: string }>;

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
async function isFree(config: Config, id: number, probe: ExistenceProbe, registered: ReadonlySet<string>, shared: SharedNames | undefined): Promise<boolean> {
  const targets = buildTargets(config, id).filter((t) => t.create);
  if (targets.some((t) => registered.has(t.shortName) || shared?.has(t.shortName))) return false;
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
  /**
   * Short names journaled by deployments of other environments (or projects) in this store whose clusters may still
   * exist: each environment's deployments down to its newest promoted one (older ones were shifted away from and
   * retired; any still registered is caught by the registry check). Short names carry no environment, and what is
   * keyed by them is shared by every environment of a state dir: a sandbox meta cluster's registry
   * (`sandbox/registry/<meta>.json`), `retire/<name>.json`, a meta cluster two configs name alike. Two environments
   * allocating from their own history alone both took eu100 while one had not registered it yet; the later
   * registration found the other's entry at the same URL and took it for its own, and its shift moved that traffic.
   */
  shared: SharedNames;
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
  const shared = new Map<string, { deploymentId: string; project: string; environment: string }>();
  const promotedEnvs = new Set<string>();
  for (const d of await store.list()) {
    if (!d.damaged && (d.project !== key.project || d.environment !== key.environment)) {
      await addShared(store, d, shared, promotedEnvs);
      continue;
    }
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
  return { lastUsed, taken, unknown, shared };
}

/** Adds the short names of `d`, a deployment of another environment, unless a newer promoted one of its environment superseded it. */
async function addShared(store: Pick<StateStore, 'open'>, d: DeploymentSummary, shared: Map<string, { deploymentId: string; project: string; environment: string }>, promotedEnvs: Set<string>): Promise<void> {
  const env = `${d.project}\u0000${d.environment}`;
  if (promotedEnvs.has(env)) return;
  let snap;
  try {
    snap = (await store.open(d.id, { readOnly: true })).snapshot();
  } catch (error) {
    // Damaged in the journal behind an intact-looking listing: its names are past the damage; the registry check remains.
    if (isWsdError(error) && error.code === 'StateCorrupt') return;
    throw error;
  }
  for (const c of snap.clusters) if (!shared.has(c.shortName)) shared.set(c.shortName, { deploymentId: d.id, project: d.project, environment: d.environment });
  if (promoted(snap)) promotedEnvs.add(env);
}

/**
 * Why an id given with --cluster-id cannot be used here: one of its short names is another environment's in this
 * state dir (see {@link ClusterIdHistory.shared}). Allocation skips such ids; a given one is refused, not taken.
 */
export function sharedNameRefusal(config: Config, id: number, shared: SharedNames | undefined): WsdError | undefined {
  const clash = buildTargets(config, id).flatMap((t) => {
    const other = shared?.get(t.shortName);
    return other ? [{ name: t.shortName, ...other }] : [];
  });
  if (clash.length === 0) return undefined;
  const words = clash.map((c) => `${c.name} is a cluster of deployment ${c.deploymentId} (project ${c.project}, environment ${c.environment})`).join('; ');
  return new WsdError(
    'ClusterExists',
    `cluster id ${id} gives short names another environment in this state dir uses: ${words}; short names carry no environment, so the registry, retirement and old-cluster records of the two would be one. Pass another --cluster-id, leave it out to allocate a free one, or give each environment its own --state-dir`,
    { details: { clusterId: id, shared: clash.map((c) => ({ name: c.name, deploymentId: c.deploymentId, environment: c.environment })) } },
  );
}

export async function allocateClusterId(config: Config, options: AllocateOptions): Promise<number> {
  // One List per meta cluster for the whole search, not one per candidate.
  const registered = options.registeredNames ? await needed(options.registeredNames) : new Set<string>();
  for (const id of candidateIds(options.lastUsed)) {
    if (options.taken?.has(id)) continue;
    if (await isFree(config, id, options.probe, registered, options.shared)) return id;
  }
  throw new WsdError('ClusterExists', `every cluster id from ${CLUSTER_ID_MIN} to ${CLUSTER_ID_MAX} is taken for these clusters; pass --cluster-id ID or retire old clusters`);
}
