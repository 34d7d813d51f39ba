/**
 * How the server picks a cluster for a new workspace (shared/design.md §4),
 * as a pure function so it can be tested without gRPC.
 *
 * Candidates: AVAILABLE clusters with score > 0 whose every admission constraint
 * the user satisfies. They are grouped into constraint sets tried in order —
 * first the clusters reserved for a permission the user holds (the staff canary
 * set, e.g. `has-permission=new-workspace-cluster`), then every admissible
 * cluster — and inside the first non-empty set one is drawn at random, weighted
 * by min(score, max_score).
 */
import { satisfies, type UserProfile } from '../constraints.js';
import type { AdmissionConstraint, ClusterState } from '../types.js';
import { weightedPick, type Random } from './random.js';

/** What selection needs to know about a cluster. */
export interface Selectable {
  name: string;
  state: ClusterState;
  score: number;
  maxScore: number;
  admissionConstraints: readonly AdmissionConstraint[];
}

/** The weight the server uses. */
function selectionWeight(cluster: Selectable): number {
  return Math.max(0, Math.min(cluster.score, cluster.maxScore));
}

/** Clusters the user may start on at all. */
export function admissible<T extends Selectable>(clusters: readonly T[], user: UserProfile): T[] {
  return clusters.filter((c) => c.state === 'AVAILABLE' && c.score > 0 && c.admissionConstraints.every((k) => satisfies(user, k)));
}

/** Constraint sets in the order the server tries them; empty sets are dropped. */
export function constraintSets<T extends Selectable>(clusters: readonly T[], user: UserProfile): T[][] {
  const candidates = admissible(clusters, user);
  const reserved = candidates.filter((c) =>
    c.admissionConstraints.some((k) => k.type === 'has-permission' && (user.permissions ?? []).includes(k.permission)),
  );
  return [reserved, candidates].filter((set) => set.length > 0);
}

/** Draws the next cluster to try, skipping the ones already tried for this start. */
export function pickCluster<T extends Selectable>(clusters: readonly T[], user: UserProfile, tried: ReadonlySet<string>, random: Random): T | undefined {
  for (const set of constraintSets(clusters, user)) {
    const remaining = set.filter((c) => !tried.has(c.name));
    const picked = weightedPick<T>(remaining, selectionWeight, random);
    if (picked) return picked;
  }
  return undefined;
}

/** The server gives up on a start after this many clusters. */
export const MAX_TRIES_PER_START = 5;
