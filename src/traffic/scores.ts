/**
 * Score compiler: "p % of new starts in this region" → integer registry scores.
 *
 * How the server picks (design §4): per new workspace, weighted random over the
 * clusters that are AVAILABLE, have score > 0 and whose admission constraints
 * the user satisfies, with weight min(score, max_score), inside one constraint
 * set. So a share is only meaningful among clusters of the same region and
 * constraint set; cordoned, draining and zero-weight clusters take no part.
 *
 * New clusters get one equal score each; old clusters keep the proportions of
 * their current weights, scaled. Among all integer solutions we take the one
 * closest to the requested share (to 0.01 points); of equals the one whose total
 * weight stays closest to the old total, so with one old cluster at 100 the
 * scores read as percentages (25 / 75); then the largest new score.
 */
import { WsdError } from '../core/errors.js';
import { stateWords, UNKNOWN_CONSTRAINT } from '../registry/format.js';

export type ClusterState = 'UNKNOWN' | 'AVAILABLE' | 'CORDONED' | 'DRAINING';

export interface ScoreCluster {
  name: string;
  role: 'new' | 'old';
  region: string;
  state: ClusterState;
  /** The number of a state our proto does not name (`state` is then UNKNOWN): said as `UNKNOWN(7)`. */
  unknownState?: number;
  /** Current score (for old clusters: the saved original, so weights keep their proportions). */
  score: number;
  maxScore: number;
  /** Canonical key of the admission constraints ('' for none); see {@link constraintSetKey}. */
  constraintSet: string;
}

interface ScoreAssignment {
  name: string;
  role: 'new' | 'old';
  /** Score to set; undefined when the cluster takes no part and must be left alone. */
  score?: number;
  /** Effective share of new starts in its region/set after the change (0..1). */
  share: number;
  /** Why the cluster takes no part, when it does not. */
  excluded?: string;
}

export interface RegionScores {
  region: string;
  percent: number;
  /** Share the scores actually give the new clusters (0..100). */
  effectivePercent: number;
  assignments: ScoreAssignment[];
}

interface CompileOptions {
  /** Treat cordoned new clusters as AVAILABLE (they are uncordoned when the shift starts); for `plan`. */
  assumeNewAvailable?: boolean;
}

/**
 * Canonical, order-independent key of a cluster's admission constraints. A constraint listed twice (a bridge keeps
 * an add that lands twice) admits the users it admits once: one set. Each `unknown` stays, as it may be another kind.
 */
export function constraintSetKey(constraints: readonly string[]): string {
  return constraints
    .filter((c, i) => c === UNKNOWN_CONSTRAINT || constraints.indexOf(c) === i)
    .sort()
    .join('&');
}

/** Weight the server uses for a cluster. */
export function effectiveWeight(c: Pick<ScoreCluster, 'state' | 'score' | 'maxScore'>): number {
  return c.state === 'AVAILABLE' ? Math.max(0, Math.min(c.score, c.maxScore)) : 0;
}

/** Compiles scores for every region that has new clusters. */
export function compileScores(percent: number, clusters: readonly ScoreCluster[], options: CompileOptions = {}): RegionScores[] {
  const regions = [...new Set(clusters.filter((c) => c.role === 'new').map((c) => c.region))].sort();
  return regions.map((region) => compileRegion(percent, region, clusters.filter((c) => c.region === region), options));
}

function compileRegion(percent: number, region: string, clusters: readonly ScoreCluster[], options: CompileOptions): RegionScores {
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
    throw new WsdError('Internal', `traffic percent ${percent} is outside 0..100`, { source: 'internal' });
  }
  const news = clusters.filter((c) => c.role === 'new');
  const sets = new Set(news.map((c) => c.constraintSet));
  if (sets.size > 1) {
    throw new WsdError('PreCheckRefused', `new clusters in ${region} have different admission constraints (${[...sets].map((k) => k || 'none').join(' | ')}); give them the same constraints before shifting`);
  }
  const set = news[0]?.constraintSet ?? '';
  const excluded = new Map<string, string>();
  for (const c of clusters) {
    const state = c.role === 'new' && options.assumeNewAvailable && c.state === 'CORDONED' ? 'AVAILABLE' : c.state;
    if (c.constraintSet !== set) excluded.set(c.name, `other constraint set (${c.constraintSet || 'none'})`);
    else if (state !== 'AVAILABLE') excluded.set(c.name, `state ${state === c.state ? stateWords(c) : state}`);
    else if (c.maxScore <= 0) excluded.set(c.name, 'max_score 0');
    else if (c.role === 'old' && c.score <= 0) excluded.set(c.name, 'score 0: kept out of rotation, left as is');
  }
  const newIn = news.filter((c) => !excluded.has(c.name));
  const oldIn = clusters.filter((c) => c.role === 'old' && !excluded.has(c.name));
  if (newIn.length === 0) {
    throw new WsdError('PreCheckRefused', `no new cluster in ${region} can take traffic (${news.map((c) => `${c.name}: ${excluded.get(c.name)}`).join(', ')})`);
  }
  const scores = solve(percent, newIn, oldIn);
  const weights = new Map<string, number>();
  for (const c of [...newIn, ...oldIn]) weights.set(c.name, Math.min(scores.get(c.name) ?? 0, c.maxScore));
  const total = [...weights.values()].reduce((a, b) => a + b, 0);
  const share = (name: string) => (total > 0 ? (weights.get(name) ?? 0) / total : 0);
  const assignments: ScoreAssignment[] = clusters.map((c) =>
    excluded.has(c.name)
      ? { name: c.name, role: c.role, share: 0, excluded: excluded.get(c.name) }
      : { name: c.name, role: c.role, score: scores.get(c.name) ?? 0, share: share(c.name) },
  );
  const newShare = newIn.reduce((a, c) => a + share(c.name), 0);
  return { region, percent, effectivePercent: round(newShare * 100), assignments };
}

/** Integer scores closest to `percent` (see the file comment for the tie-break). */
function solve(percent: number, newIn: readonly ScoreCluster[], oldIn: readonly ScoreCluster[]): Map<string, number> {
  const capNew = Math.min(100, ...newIn.map((c) => c.maxScore));
  const out = new Map<string, number>();
  const oldWeights = oldIn.map((c) => Math.min(c.score, c.maxScore));
  const oldTotal = oldWeights.reduce((a, b) => a + b, 0);
  if (percent === 100 || oldTotal === 0) {
    for (const c of newIn) out.set(c.name, percent === 0 ? 0 : capNew);
    for (const c of oldIn) out.set(c.name, percent === 100 ? 0 : c.score);
    return out;
  }
  if (percent === 0) {
    for (const c of newIn) out.set(c.name, 0);
    for (const c of oldIn) out.set(c.name, c.score);
    return out;
  }
  const p = percent / 100;
  let best: { error: number; drift: number; a: number; old: number[] } | undefined;
  for (let a = capNew; a >= 1; a--) {
    const newTotal = a * newIn.length;
    const factor = (newTotal * (1 - p)) / (p * oldTotal);
    const old = oldWeights.map((w, i) => Math.max(1, Math.min(Math.round(w * factor), oldIn[i]?.maxScore ?? 100)));
    const total = newTotal + old.reduce((x, y) => x + y, 0);
    const error = Math.round(Math.abs(newTotal / total - p) * 10_000);
    const drift = Math.abs(total - oldTotal);
    // Strictly better only: at equal error and drift the larger `a`, found first, stays.
    if (best === undefined || error < best.error || (error === best.error && drift < best.drift)) best = { error, drift, a, old };
  }
  for (const c of newIn) out.set(c.name, best?.a ?? capNew);
  oldIn.forEach((c, i) => out.set(c.name, best?.old[i] ?? c.score));
  return out;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
