/**
 * Two-sided Mann-Whitney U test (Wilcoxon rank-sum), as Kayenta uses to compare a
 * canary with its baseline. Matches SciPy's `mannwhitneyu` and R's `wilcox.test`:
 * average ranks for ties; the normal approximation with tie and continuity
 * correction; the exact null distribution for small samples without ties.
 */
import { normalSf } from './normal.js';

export type MannWhitneyMethod = 'auto' | 'exact' | 'asymptotic';

export interface MannWhitneyResult {
  /** U of the first sample (`x`): pairs with x > y, ties counting ½. R's W, SciPy's statistic. */
  u: number;
  /** U of the second sample; u + uOther = n1·n2. */
  uOther: number;
  n1: number;
  n2: number;
  /** Two-sided p-value. */
  pValue: number;
  method: 'exact' | 'asymptotic';
  /** z of the normal approximation (with continuity correction); undefined for exact. */
  z?: number;
  /** True when some values are tied (the exact distribution does not apply). */
  ties: boolean;
  /**
   * Rank-biserial correlation 2u/(n1·n2) − 1 in [−1, 1]: +1 when every x exceeds every y,
   * −1 when every x is below every y, 0 for complete overlap.
   */
  rankBiserial: number;
  /** Hodges-Lehmann shift: median of all x_i − y_j (Kayenta's effect estimate); undefined when too costly. */
  hodgesLehmann?: number;
}

/** Exact p-values are computed up to this many values in total (cost grows as n1²·n2²). */
export const EXACT_MAX_TOTAL = 60;
/** `auto` uses the exact distribution when no ties and the smaller sample has at most this many values. */
const AUTO_EXACT_MAX = 20;
/** Hodges-Lehmann needs n1·n2 differences; beyond this we leave it out rather than stall. */
const HODGES_LEHMANN_MAX_PAIRS = 2_000_000;

/**
 * Runs the test of `x` (new clusters) against `y` (baseline). Both samples need
 * at least one finite value; NaN/Infinity must be removed by the caller.
 */
export function mannWhitneyU(x: readonly number[], y: readonly number[], method: MannWhitneyMethod = 'auto'): MannWhitneyResult {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new RangeError(`mann-whitney needs values on both sides (got ${n1} and ${n2})`);
  for (const v of [...x, ...y]) if (!Number.isFinite(v)) throw new RangeError(`mann-whitney got a non-finite value ${v}`);

  const { ranks, tieSizes } = averageRanks([...x, ...y]);
  let rankSumX = 0;
  for (let i = 0; i < n1; i++) rankSumX += ranks[i] ?? 0;
  const u = rankSumX - (n1 * (n1 + 1)) / 2;
  const uOther = n1 * n2 - u;
  const ties = tieSizes.some((t) => t > 1);

  const useExact = method === 'exact' ? true : method === 'asymptotic' ? false : !ties && Math.min(n1, n2) <= AUTO_EXACT_MAX && n1 + n2 <= EXACT_MAX_TOTAL;
  if (useExact && ties) throw new RangeError('the exact mann-whitney distribution does not apply to tied values; use asymptotic');
  if (useExact && n1 + n2 > EXACT_MAX_TOTAL) throw new RangeError(`exact mann-whitney is limited to ${EXACT_MAX_TOTAL} values in total`);

  const big = Math.max(u, uOther);
  const base = {
    u,
    uOther,
    n1,
    n2,
    ties,
    rankBiserial: (2 * u) / (n1 * n2) - 1,
    hodgesLehmann: n1 * n2 <= HODGES_LEHMANN_MAX_PAIRS ? hodgesLehmann(x, y) : undefined,
  };
  if (useExact) {
    return { ...base, method: 'exact', pValue: Math.min(1, 2 * exactUpperTail(big, n1, n2)) };
  }
  const n = n1 + n2;
  const tieTerm = tieSizes.reduce((acc, t) => acc + (t * t * t - t), 0);
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) {
    // Every value equal: no evidence of any difference.
    return { ...base, method: 'asymptotic', pValue: 1, z: 0 };
  }
  const z = (big - (n1 * n2) / 2 - 0.5) / Math.sqrt(variance);
  return { ...base, method: 'asymptotic', z, pValue: Math.min(1, 2 * normalSf(z)) };
}

/** Ranks 1..n with ties sharing the average rank; also the size of every tie group. */
export function averageRanks(values: readonly number[]): { ranks: number[]; tieSizes: number[] } {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(values.length).fill(0);
  const tieSizes: number[] = [];
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]?.[0] === order[i]?.[0]) j++;
    const avg = (i + 1 + (j + 1)) / 2;
    for (let k = i; k <= j; k++) ranks[order[k]?.[1] ?? 0] = avg;
    tieSizes.push(j - i + 1);
    i = j + 1;
  }
  return { ranks, tieSizes };
}

/**
 * P(U ≥ u) under H0 without ties. Counts arrangements with the recurrence
 * c(m, n, k) = c(m−1, n, k−n) + c(m, n−1, k): only additions, so no cancellation.
 */
function exactUpperTail(u: number, n1: number, n2: number): number {
  const m = Math.min(n1, n2);
  const n = Math.max(n1, n2);
  // prev[j] = counts for (i-1, j); cur[j] = counts for (i, j), both as polynomials in k.
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
  const counts = prev[n] ?? Float64Array.of(1);
  let total = 0;
  let tail = 0;
  const threshold = Math.ceil(u - 1e-9);
  for (let k = 0; k < counts.length; k++) {
    total += counts[k] ?? 0;
    if (k >= threshold) tail += counts[k] ?? 0;
  }
  return tail / total;
}

/** Median of all pairwise differences x_i − y_j. */
export function hodgesLehmann(x: readonly number[], y: readonly number[]): number {
  const diffs = new Float64Array(x.length * y.length);
  let k = 0;
  for (const a of x) for (const b of y) diffs[k++] = a - b;
  diffs.sort();
  const mid = diffs.length >> 1;
  return diffs.length % 2 === 1 ? (diffs[mid] ?? 0) : ((diffs[mid - 1] ?? 0) + (diffs[mid] ?? 0)) / 2;
}
