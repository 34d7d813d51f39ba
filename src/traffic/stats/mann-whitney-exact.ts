/**
 * Exact null distributions of the Mann-Whitney U statistic.
 *
 * - Without ties: the classic distribution of U for sizes (n1, n2), counted with
 *   c(m, n, k) = c(m−1, n, k−n) + c(m, n−1, k) — additions only, no cancellation.
 *   This is what SciPy's `method='exact'` uses.
 * - With ties: the permutation distribution conditional on the pooled values
 *   (every split of the pooled sample into n1 and n2 values equally likely), by
 *   counting subsets of the smaller sample's size per sum of doubled mid-ranks.
 *   SciPy's `auto` falls back to the normal approximation there, which on tiny
 *   tied samples is off by up to ~0.5; the permutation p is exact.
 *
 * Both return the distribution as counts over the values of 2U (integers), so
 * callers compare integers, never floats.
 */

/** Counts per value of 2U; `offset` is the smallest 2U with a count at index 0. */
interface UDistribution {
  /** counts[i] = number of equally likely arrangements with 2U = offset + i. */
  counts: Float64Array;
  offset: number;
  total: number;
}

/** Work units (array additions) we accept for one exact distribution: ~50 ms on a loaded core. */
export const EXACT_WORK_LIMIT = 6e7;

/** Work the tie-free recurrence needs for sizes (n1, n2). */
export function exactWork(n1: number, n2: number): number {
  return (n1 * n1 * n2 * n2) / 4;
}

/** Work the permutation count needs for N values with the smaller sample of size k. */
export function permutationWork(n: number, k: number): number {
  return 2 * n * n * k * k;
}

/** Distribution of U of the first sample under H0 without ties (symmetric, so either sample). */
export function exactDistribution(n1: number, n2: number): UDistribution {
  const m = Math.min(n1, n2);
  const n = Math.max(n1, n2);
  let prev: Float64Array[] = [];
  for (let j = 0; j <= n; j++) prev.push(Float64Array.of(1));
  for (let i = 1; i <= m; i++) {
    const cur: Float64Array[] = [Float64Array.of(1)];
    for (let j = 1; j <= n; j++) {
      const poly = new Float64Array(i * j + 1);
      const left = cur[j - 1] ?? new Float64Array(0);
      for (let k = 0; k < left.length; k++) poly[k] = left[k] ?? 0;
      const up = prev[j] ?? new Float64Array(0);
      for (let k = 0; k < up.length; k++) poly[k + j] = (poly[k + j] ?? 0) + (up[k] ?? 0);
      cur.push(poly);
    }
    prev = cur;
  }
  const byU = prev[n] ?? Float64Array.of(1);
  // Spread onto 2U so both distributions share one representation.
  const counts = new Float64Array(2 * (byU.length - 1) + 1);
  let total = 0;
  for (let u = 0; u < byU.length; u++) {
    counts[2 * u] = byU[u] ?? 0;
    total += byU[u] ?? 0;
  }
  return { counts, offset: 0, total };
}

/**
 * Permutation distribution of 2·U of the FIRST sample, given the doubled mid-ranks
 * of the pooled sample (first n1 entries belong to the first sample).
 */
export function permutationDistribution(doubledRanks: readonly number[], n1: number): UDistribution {
  const n = doubledRanks.length;
  const n2 = n - n1;
  const k = Math.min(n1, n2);
  const maxSum = [...doubledRanks].sort((a, b) => b - a).slice(0, k).reduce((a, b) => a + b, 0);
  // dp[j][s]: number of subsets of size j with doubled-rank sum s.
  const dp: Float64Array[] = Array.from({ length: k + 1 }, () => new Float64Array(maxSum + 1));
  (dp[0] as Float64Array)[0] = 1;
  let seen = 0;
  for (const r of doubledRanks) {
    seen++;
    for (let j = Math.min(seen, k); j >= 1; j--) {
      const to = dp[j] as Float64Array;
      const from = dp[j - 1] as Float64Array;
      for (let s = maxSum - r; s >= 0; s--) {
        const c = from[s] ?? 0;
        if (c !== 0) to[s + r] = (to[s + r] ?? 0) + c;
      }
    }
  }
  const bySum = dp[k] as Float64Array;
  // 2U_small = 2R − k(k+1); U of the first sample is U_small or n1·n2 − U_small.
  const firstIsSmall = n1 <= n2;
  const twoUMax = 2 * n1 * n2;
  const counts = new Float64Array(twoUMax + 1);
  let total = 0;
  for (let s = 0; s <= maxSum; s++) {
    const c = bySum[s] ?? 0;
    if (c === 0) continue;
    const twoUSmall = s - k * (k + 1);
    const twoU = firstIsSmall ? twoUSmall : twoUMax - twoUSmall;
    counts[twoU] = (counts[twoU] ?? 0) + c;
    total += c;
  }
  return { counts, offset: 0, total };
}

/** P(2U ≥ twoU) and P(2U ≤ twoU) under the distribution. */
export function tails(dist: UDistribution, twoU: number): { upper: number; lower: number } {
  let upper = 0;
  let lower = 0;
  for (let i = 0; i < dist.counts.length; i++) {
    const c = dist.counts[i] ?? 0;
    if (c === 0) continue;
    const v = dist.offset + i;
    if (v >= twoU) upper += c;
    if (v <= twoU) lower += c;
  }
  return { upper: upper / dist.total, lower: lower / dist.total };
}

/** Probabilities of the smallest and largest attainable U (the most extreme outcomes either way). */
export function extremes(dist: UDistribution): { lowest: number; highest: number } {
  let first = -1;
  let last = -1;
  for (let i = 0; i < dist.counts.length; i++) {
    if ((dist.counts[i] ?? 0) === 0) continue;
    if (first < 0) first = i;
    last = i;
  }
  return { lowest: (dist.counts[first] ?? 0) / dist.total, highest: (dist.counts[last] ?? 0) / dist.total };
}
