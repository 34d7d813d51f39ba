/**
 * Mann-Whitney rules the SciPy reference file does not pin: each alternative under each method, the
 * minimum attainable p, the method choice at its limits, ranks and the Hodges-Lehmann shift, and the
 * exact/permutation distributions themselves. Expected values were computed independently:
 * `scipy.stats.mannwhitneyu` 1.17.1 (exact/asymptotic p), SciPy's normal-approximation formula written
 * out in Python (z, minimum p), brute-force enumeration of every split with itertools.combinations
 * (permutation p on tied samples), or by hand (small distributions, written out below). Small samples
 * only: every test here runs in milliseconds, so the mutation run can afford it per mutant.
 */
import { describe, expect, it } from 'vitest';
import { averageRanks, chooseMethod, hodgesLehmann, mannWhitneyU } from '../../../../src/traffic/stats/mann-whitney.js';
import { exactDistribution, exactWork, extremes, permutationDistribution, permutationWork, tails } from '../../../../src/traffic/stats/mann-whitney-exact.js';

const close = (actual: number | undefined, expected: number, digits = 12) => expect(actual).toBeCloseTo(expected, digits);

describe('exact method, each alternative (SciPy method="exact")', () => {
  // n1 = 4, n2 = 5, U = 10 = n1·n2/2.
  const x = [1.5, 3, 7, 9];
  const y = [2, 4, 5, 6, 8];
  it('two-sided p = 1, greater = less = 0.5476190476190477; minimum p 1/C(9,4) one-sided, 2/C(9,4) two-sided', () => {
    const two = mannWhitneyU(x, y, { method: 'exact' });
    expect(two).toMatchObject({ u: 10, uOther: 10, n1: 4, n2: 5, ties: false, method: 'exact', alternative: 'two-sided' });
    expect(two.pValue).toBe(1);
    close(two.minPValue, 2 / 126, 15);
    expect(two.z).toBeUndefined();
    close(two.rankBiserial, 0, 15);
    close(two.hodgesLehmann, 0.25);
    const greater = mannWhitneyU(x, y, { method: 'exact', alternative: 'greater' });
    close(greater.pValue, 0.5476190476190477, 14);
    close(greater.minPValue, 1 / 126, 15);
    const less = mannWhitneyU(x, y, { method: 'exact', alternative: 'less' });
    close(less.pValue, 0.5476190476190477, 14);
    close(less.minPValue, 1 / 126, 15);
  });

  // n1 = 6 > n2 = 3, U = 10, U' = 8: the tails differ.
  const x2 = [10, 12, 14, 1, 3, 16];
  const y2 = [2, 11, 13];
  it('first sample larger: two-sided 0.9047619047619047, greater 0.45238095238095233, less 0.6428571428571429', () => {
    const two = mannWhitneyU(x2, y2, 'exact');
    expect(two).toMatchObject({ u: 10, uOther: 8, n1: 6, n2: 3 });
    close(two.pValue, 0.9047619047619047, 14);
    close(two.minPValue, 2 / 84, 15);
    close(two.rankBiserial, 20 / 18 - 1, 15);
    close(two.hodgesLehmann, 1);
    close(mannWhitneyU(x2, y2, { method: 'exact', alternative: 'greater' }).pValue, 0.45238095238095233, 14);
    close(mannWhitneyU(x2, y2, { method: 'exact', alternative: 'less' }).pValue, 0.6428571428571429, 14);
  });

  it('auto picks exact for these untied small samples and defaults to two-sided', () => {
    const r = mannWhitneyU(x2, y2);
    expect(r.method).toBe('exact');
    expect(r.alternative).toBe('two-sided');
    close(r.pValue, 0.9047619047619047, 14);
  });
});

describe('asymptotic method with ties, each alternative (SciPy method="asymptotic")', () => {
  // n1 = 10, n2 = 11, U = 45, U' = 65; tie groups of 2 and 3.
  const x = [1, 2, 2, 3, 5, 5, 8, 9, 9, 10];
  const y = [2, 3, 3, 4, 4, 6, 7, 7, 11, 12, 12];
  it('two-sided: z = (max(U, U′) − n1n2/2 − ½)/σ = 0.6718114279684906, p = 0.5017037525319135, min p 0.0001161674679707983', () => {
    const r = mannWhitneyU(x, y);
    expect(r).toMatchObject({ u: 45, uOther: 65, ties: true, method: 'asymptotic' });
    close(r.z, 0.6718114279684906);
    close(r.pValue, 0.5017037525319135);
    close(r.minPValue, 0.0001161674679707983, 15);
    close(r.hodgesLehmann, -1);
  });

  it('greater uses U: z = −0.7425284203862265, p = 0.771116380486496, min p 5.808373398539915e-05', () => {
    const r = mannWhitneyU(x, y, { alternative: 'greater' });
    close(r.z, -0.7425284203862265);
    close(r.pValue, 0.771116380486496);
    close(r.minPValue, 5.808373398539915e-5, 16);
  });

  it("less uses U′: z = 0.6718114279684906, p = 0.25085187626595673, min p 5.808373398539915e-05", () => {
    const r = mannWhitneyU(x, y, { method: 'asymptotic', alternative: 'less' });
    close(r.z, 0.6718114279684906);
    close(r.pValue, 0.25085187626595673);
    close(r.minPValue, 5.808373398539915e-5, 16);
  });

  it('untied small samples forced asymptotic match SciPy: greater 0.4486394806300415, less 0.6507323208483307', () => {
    close(mannWhitneyU([10, 12, 14, 1, 3, 16], [2, 11, 13], { method: 'asymptotic', alternative: 'greater' }).pValue, 0.4486394806300415);
    close(mannWhitneyU([10, 12, 14, 1, 3, 16], [2, 11, 13], { method: 'asymptotic', alternative: 'less' }).pValue, 0.6507323208483307);
    close(mannWhitneyU([10, 12, 14, 1, 3, 16], [2, 11, 13], 'asymptotic').pValue, 0.897278961260083);
  });

  it('every value equal (σ = 0): z reported as 0, p = 1 and minimum p = 1 for every alternative', () => {
    for (const alternative of ['two-sided', 'greater', 'less'] as const) {
      const r = mannWhitneyU([3, 3, 3], [3, 3], { method: 'asymptotic', alternative });
      expect(r.z).toBe(0);
      expect(r.pValue).toBe(1);
      expect(r.minPValue).toBe(1);
    }
  });
});

describe('permutation method on small tied samples (enumerated: every split equally likely)', () => {
  it("carries SciPy's normal-approximation p along (what its auto answers here): [2,3,3,2] vs [3,1,2,1,0,0,1,2]", () => {
    // SciPy 1.17.1 mannwhitneyu(x, y, alternative=A) (method auto takes the approximation for these tied samples).
    const x = [2, 3, 3, 2];
    const y = [3, 1, 2, 1, 0, 0, 1, 2];
    const expected = { greater: 0.03246803357021272, less: 0.9783848859052446, 'two-sided': 0.06493606714042544 } as const;
    for (const alternative of ['greater', 'less', 'two-sided'] as const) {
      const r = mannWhitneyU(x, y, { alternative });
      expect(r.method).toBe('permutation');
      close(r.asymptoticPValue, expected[alternative], 14);
      expect(r.z).toBeUndefined();
    }
    // Permutation p by enumeration: 25 of the C(12,4) = 495 splits reach U ≥ 27.
    close(mannWhitneyU(x, y, { alternative: 'greater' }).pValue, 25 / 495, 14);
    // Only the permutation method carries it: exact and asymptotic results are already SciPy's.
    expect(mannWhitneyU([1, 2], [3, 4]).asymptoticPValue).toBeUndefined();
    expect(mannWhitneyU(x, y, 'asymptotic').asymptoticPValue).toBeUndefined();
    // Every value equal: the approximation has σ = 0 and says p = 1, as the permutation test does.
    expect(mannWhitneyU([3, 3, 3], [3, 3], 'permutation')).toMatchObject({ pValue: 1, asymptoticPValue: 1 });
  });

  it('[1,2,2,5] vs [2,3,3]: U = 4; greater 28/35, less 10/35, two-sided 20/35; min p 3/35, 1/35, 2/35', () => {
    const x = [1, 2, 2, 5];
    const y = [2, 3, 3];
    const two = mannWhitneyU(x, y);
    expect(two).toMatchObject({ method: 'permutation', u: 4, ties: true });
    close(two.pValue, 20 / 35, 14);
    close(two.minPValue, 2 / 35, 14);
    const greater = mannWhitneyU(x, y, { alternative: 'greater' });
    close(greater.pValue, 28 / 35, 14);
    close(greater.minPValue, 3 / 35, 14);
    const less = mannWhitneyU(x, y, { method: 'permutation', alternative: 'less' });
    close(less.pValue, 10 / 35, 14);
    close(less.minPValue, 1 / 35, 14);
  });

  it('[2,2] vs [1,2,3,3,4] (first sample smaller): U = 3; greater 18/21, less 6/21; min p 2/21 and 3/21, two-sided 4/21', () => {
    const x = [2, 2];
    const y = [1, 2, 3, 3, 4];
    const greater = mannWhitneyU(x, y, { alternative: 'greater' });
    expect(greater.u).toBe(3);
    close(greater.pValue, 18 / 21, 14);
    close(greater.minPValue, 2 / 21, 14);
    const less = mannWhitneyU(x, y, { alternative: 'less' });
    close(less.pValue, 6 / 21, 14);
    close(less.minPValue, 3 / 21, 14);
    close(mannWhitneyU(x, y).minPValue, 4 / 21, 14);
  });

  it('[3,3,4] vs [1,1,2,3]: U = 11 is the maximum; greater = min p = 3/35, less = 1 (not more)', () => {
    const greater = mannWhitneyU([3, 3, 4], [1, 1, 2, 3], { alternative: 'greater' });
    expect(greater.u).toBe(11);
    close(greater.pValue, 3 / 35, 14);
    close(greater.minPValue, 3 / 35, 14);
    expect(mannWhitneyU([3, 3, 4], [1, 1, 2, 3], { alternative: 'less' }).pValue).toBe(1);
    close(mannWhitneyU([3, 3, 4], [1, 1, 2, 3]).pValue, 6 / 35, 14);
  });
});

describe('method choice', () => {
  it('honours an explicit asymptotic, and refuses exact on ties or beyond the work limit (n1²n2²/4 > 6e7)', () => {
    expect(chooseMethod('asymptotic', 2, 2, true)).toBe('asymptotic');
    expect(() => chooseMethod('exact', 3, 3, true)).toThrow('the exact mann-whitney distribution does not apply to tied values; use permutation or asymptotic');
    // 8²·1900²/4 = 5.776e7 ≤ 6e7; 8²·2000²/4 = 6.4e7 > 6e7.
    expect(chooseMethod('exact', 8, 1900, false)).toBe('exact');
    expect(() => chooseMethod('exact', 8, 2000, false)).toThrow('exact mann-whitney for 8 and 2000 values is too costly; use asymptotic');
  });

  it('runs permutation up to 2·N²·k² = 6e7 work with k the smaller sample', () => {
    // 2·603²·3² = 6.5e6 (k = 3, not 600); 2·100²·50² = 5e7; 2·120²·60² = 1.04e8.
    expect(chooseMethod('permutation', 3, 600, true)).toBe('permutation');
    expect(chooseMethod('permutation', 50, 50, true)).toBe('permutation');
    expect(() => chooseMethod('permutation', 60, 60, true)).toThrow('permutation mann-whitney for 60 and 60 values is too costly; use asymptotic');
  });

  it("auto: asymptotic only when both samples exceed 8 values, as SciPy's auto", () => {
    expect(chooseMethod('auto', 9, 9, false)).toBe('asymptotic');
    expect(chooseMethod('auto', 9, 9, true)).toBe('asymptotic');
    expect(chooseMethod('auto', 8, 9, false)).toBe('exact');
    expect(chooseMethod('auto', 9, 8, false)).toBe('exact');
    expect(chooseMethod('auto', 8, 9, true)).toBe('permutation');
  });

  it('auto: exact or permutation while the work fits, asymptotic beyond it', () => {
    expect(chooseMethod('auto', 8, 1900, false)).toBe('exact');
    expect(chooseMethod('auto', 8, 2000, false)).toBe('asymptotic');
    // 2·608²·8² = 4.73e7 fits; 2·708²·8² = 6.42e7 does not.
    expect(chooseMethod('auto', 8, 600, true)).toBe('permutation');
    expect(chooseMethod('auto', 8, 700, true)).toBe('asymptotic');
    expect(chooseMethod('auto', 3, 600, true)).toBe('permutation');
    // N is the pooled size n1 + n2: 2·688²·8² = 6.06e7 does not fit (|n1 − n2| = 672 would: 5.78e7).
    expect(chooseMethod('auto', 8, 680, true)).toBe('asymptotic');
  });

  it('work formulas: exactWork(4, 6) = 4²·6²/4 = 144, permutationWork(10, 3) = 2·10²·3² = 1800', () => {
    expect(exactWork(4, 6)).toBe(144);
    expect(permutationWork(10, 3)).toBe(1800);
  });
});

describe('input checks', () => {
  it('names the sizes when a side is empty and the value when one is not finite', () => {
    expect(() => mannWhitneyU([1, 2], [])).toThrow(new RangeError('mann-whitney needs values on both sides (got 2 and 0)'));
    expect(() => mannWhitneyU([], [1])).toThrow(new RangeError('mann-whitney needs values on both sides (got 0 and 1)'));
    expect(() => mannWhitneyU([1], [2, Number.POSITIVE_INFINITY])).toThrow(new RangeError('mann-whitney got a non-finite value Infinity'));
  });
});

describe('ranks and shift', () => {
  it('gives tied values their average rank and reports every tie group in sorted order', () => {
    expect(averageRanks([3, 1, 3, 2, 3])).toEqual({ ranks: [4, 1, 4, 2, 4], tieSizes: [1, 1, 3] });
    expect(averageRanks([5, 5])).toEqual({ ranks: [1.5, 1.5], tieSizes: [2] });
    expect(averageRanks([7])).toEqual({ ranks: [1], tieSizes: [1] });
    expect(averageRanks([2, 1])).toEqual({ ranks: [2, 1], tieSizes: [1, 1] });
  });

  it('takes the median of the differences in numeric (not text) order, averaging the middle two when even', () => {
    // diffs 10, 2, −1: numeric median 2 (text order would give 10).
    expect(hodgesLehmann([10, 2, -1], [0])).toBe(2);
    // diffs 6, −7: (−7 + 6)/2.
    expect(hodgesLehmann([10, -3], [4])).toBe(-0.5);
  });
});

describe('exact and permutation distributions (hand-worked)', () => {
  it('exact U for sizes 2 and 3: counts 1,1,2,2,2,1,1 over U = 0..6 (C(5,2) = 10), on even 2U', () => {
    const d = exactDistribution(2, 3);
    expect(Array.from(d.counts)).toEqual([1, 0, 1, 0, 2, 0, 2, 0, 2, 0, 1, 0, 1]);
    expect(d.offset).toBe(0);
    expect(d.total).toBe(10);
    expect(Array.from(exactDistribution(3, 2).counts)).toEqual(Array.from(d.counts));
  });

  it('tails at U = 2: P(U ≥ 2) = 8/10, P(U ≤ 2) = 4/10; extremes 1/10 each', () => {
    const d = exactDistribution(2, 3);
    const t = tails(d, 4);
    close(t.upper, 0.8, 15);
    close(t.lower, 0.4, 15);
    expect(extremes(d)).toEqual({ lowest: 0.1, highest: 0.1 });
  });

  it('permutation of pooled [1,1,2] (doubled ranks 3,3,6): first sample of 1 gives 2U ∈ {1,1,4}; of 2 gives {3,3,0}', () => {
    const one = permutationDistribution([3, 3, 6], 1);
    expect(Array.from(one.counts)).toEqual([0, 2, 0, 0, 1]);
    expect(one.total).toBe(3);
    const two = permutationDistribution([3, 3, 6], 2);
    expect(Array.from(two.counts)).toEqual([1, 0, 0, 2, 0]);
    expect(two.total).toBe(3);
    expect(extremes(two)).toEqual({ lowest: 1 / 3, highest: 2 / 3 });
    const t = tails(two, 3);
    close(t.upper, 2 / 3, 15);
    expect(t.lower).toBe(1);
  });
});

describe('Hodges-Lehmann shift: up to 2,000,000 pairs, left out beyond', () => {
  // y = 0..n2-1, x = the same values + 0.5: every x_i − y_j is k + 0.5 for an integer k, and the median of the
  // differences of two evenly spaced samples shifted by 0.5 is the shift of their medians: (n1-1)/2 + 0.5 − (n2-1)/2.
  const range = (n: number, plus = 0) => Array.from({ length: n }, (_, i) => i + plus);

  it('is computed at exactly 2,000,000 pairs (1000 × 2000), as the median of all differences', () => {
    const r = mannWhitneyU(range(1000, 0.5), range(2000));
    expect(r.n1 * r.n2).toBe(2_000_000);
    expect(r.hodgesLehmann).toBe((1000 - 1) / 2 + 0.5 - (2000 - 1) / 2);
  });

  it('is left out (undefined, not a stall) one row of pairs beyond (1000 × 2001)', () => {
    const r = mannWhitneyU(range(1000, 0.5), range(2001));
    expect(r.n1 * r.n2).toBe(2_001_000);
    expect(r.hodgesLehmann).toBeUndefined();
  });
});
