/**
 * The threshold judges' rules with expectations worked out here, not by the
 * module: bounds are inclusive, the first cluster out of bounds is named, a ratio
 * is judged on its one-sided Wilson bounds (closed form below, z = Φ⁻¹(0.95)),
 * and the sequential judge's log likelihood ratio is k·ln(p1/p0) + (n−k)·ln((1−p1)/(1−p0))
 * against ln(1/α) and ln β.
 */
import { describe, expect, it } from 'vitest';
import { judgeProportionThreshold, judgeSequentialThreshold, judgeThreshold } from '../../../../src/traffic/judges/threshold.js';

/** Φ⁻¹(0.95), one-sided 95 %. */
const Z95 = 1.6448536269514722;

/** Wilson score interval, closed form. */
function wilson(k: number, n: number, z = Z95): { lower: number; upper: number } {
  const p = k / n;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z / d) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return { lower: Math.max(0, c - h), upper: Math.min(1, c + h) };
}

describe('plain threshold', () => {
  it('treats both bounds as inclusive and lists every cluster when within', () => {
    const j = judgeThreshold('lat', [
      { cluster: 'a', value: 0.1 },
      { cluster: 'b', value: 0.5 },
    ], { min: 0.1, max: 0.5 });
    expect(j).toEqual({ outcome: 'pass', rule: 'threshold.within', message: 'lat within [0.1, 0.5]: a=0.1, b=0.5', statistics: { method: 'threshold' } });
  });

  it('describes a one-sided bound by its side', () => {
    expect(judgeThreshold('lat', [{ cluster: 'a', value: 2 }], { max: 2 }).message).toBe('lat within max 2: a=2');
    expect(judgeThreshold('lat', [{ cluster: 'a', value: 1 }], { min: 1 }).message).toBe('lat within min 1: a=1');
  });

  it('names the first cluster out of bounds, the value and the bound it crossed', () => {
    const values = [
      { cluster: 'a', value: 1 },
      { cluster: 'b', value: 3.25 },
      { cluster: 'c', value: -1 },
    ];
    expect(judgeThreshold('lat', values, { min: 0, max: 2 })).toEqual({ outcome: 'fail', rule: 'threshold.max', message: 'lat on b is 3.25, above the maximum 2', statistics: { method: 'threshold' } });
    expect(judgeThreshold('lat', values.slice(2), { min: 0, max: 2 })).toEqual({ outcome: 'fail', rule: 'threshold.min', message: 'lat on c is -1, below the minimum 0', statistics: { method: 'threshold' } });
    expect(judgeThreshold('lat', [{ cluster: 'a', value: 2.0001 }], { max: 2 }).outcome).toBe('fail');
    expect(judgeThreshold('lat', [{ cluster: 'a', value: 0.9999 }], { min: 1 }).outcome).toBe('fail');
  });
});

describe('ratio threshold on counts (one-sided 95 % Wilson bounds)', () => {
  const t = (max?: number, min?: number) => ({ max, min, confidence: 0.95 });

  it('fails early when even the lower bound is above the maximum, and says more starts cannot help', () => {
    // 5 of 5: lower = 1 / (1 + z²/5) ≈ 0.6489.
    const lower = 1 / (1 + (Z95 * Z95) / 5);
    const j = judgeProportionThreshold('ratio', 'c', { failures: 5, samples: 5 }, t(0.1), 100);
    expect(j.outcome).toBe('fail');
    expect(j.rule).toBe('threshold.max.decisive');
    expect(j.statistics.lower).toBeCloseTo(lower, 12);
    expect(j.message).toBe(`ratio on c is 1, above the maximum 0.1: 5 of 5 starts, 95 % lower bound ${Number(lower.toPrecision(4))} (failing before minSamples 100: more starts cannot bring it within)`);
    const late = judgeProportionThreshold('ratio', 'c', { failures: 5, samples: 5 }, t(0.1), 5);
    expect(late.rule).toBe('threshold.max');
    expect(late.message).toBe(`ratio on c is 1, above the maximum 0.1: 5 of 5 starts, 95 % lower bound ${Number(lower.toPrecision(4))}`);
  });

  it('fails a ratio whose upper bound is below the minimum, early or not', () => {
    // 0 of 10: upper = z² / (10 + z²) ≈ 0.2129.
    const upper = (Z95 * Z95) / (10 + Z95 * Z95);
    const j = judgeProportionThreshold('ok-ratio', 'c', { failures: 0, samples: 10 }, t(undefined, 0.5), 10);
    expect(j).toMatchObject({ outcome: 'fail', rule: 'threshold.min' });
    expect(j.statistics.upper).toBeCloseTo(upper, 12);
    expect(j.message).toBe(`ok-ratio on c is 0, below the minimum 0.5: 0 of 10 starts, 95 % upper bound ${Number(upper.toPrecision(4))}`);
    expect(judgeProportionThreshold('ok-ratio', 'c', { failures: 0, samples: 10 }, t(undefined, 0.5), 11).rule).toBe('threshold.min.decisive');
  });

  it('waits below minSamples when no bound is decisive, counting what it has', () => {
    const j = judgeProportionThreshold('ratio', 'c', { failures: 0, samples: 10 }, t(0.5), 20);
    expect(j).toMatchObject({ outcome: 'wait', rule: 'samples.below-minimum', message: 'ratio on c: 10 starts, need 20 (0 of 10 starts)' });
  });

  it('passes at minSamples when the upper bound is within the maximum', () => {
    const b = wilson(0, 100);
    const j = judgeProportionThreshold('ratio', 'c', { failures: 0, samples: 100 }, t(0.1), 100);
    expect(j).toMatchObject({ outcome: 'pass', rule: 'threshold.within' });
    expect(j.message).toBe(`ratio on c within max 0.1: 0 of 100 starts, 95 % bounds [0, ${Number(b.upper.toPrecision(4))}]`);
    expect(j.statistics).toEqual({ method: 'proportion', n1: 100, meanNew: 0, lower: expect.closeTo(0, 12), upper: expect.closeTo(b.upper, 12), confidence: 0.95 });
  });

  it('passes a two-sided bound only when both bounds are inside', () => {
    // 50 of 100: Wilson [0.4183, 0.5817].
    const b = wilson(50, 100);
    expect(judgeProportionThreshold('r', 'c', { failures: 50, samples: 100 }, t(0.6, 0.4), 10)).toMatchObject({ outcome: 'pass', message: `r on c within [0.4, 0.6]: 50 of 100 starts, 95 % bounds [${Number(b.lower.toPrecision(4))}, ${Number(b.upper.toPrecision(4))}]` });
    expect(judgeProportionThreshold('r', 'c', { failures: 50, samples: 100 }, t(0.6, 0.45), 10)).toMatchObject({ outcome: 'wait', rule: 'threshold.undecided' });
    expect(judgeProportionThreshold('r', 'c', { failures: 50, samples: 100 }, t(0.55, 0.4), 10)).toMatchObject({ outcome: 'wait', rule: 'threshold.undecided' });
    expect(judgeProportionThreshold('r', 'c', { failures: 50, samples: 100 }, t(undefined, 0.4), 10).outcome).toBe('pass');
  });

  it('waits when the bounds straddle the threshold, showing the query value when given', () => {
    // 5 of 100: Wilson [0.0248, 0.0983] straddles 0.05.
    const b = wilson(5, 100);
    expect(b.lower).toBeLessThan(0.05);
    expect(b.upper).toBeGreaterThan(0.05);
    const j = judgeProportionThreshold('ratio', 'c', { failures: 5, samples: 100 }, t(0.05), 10, 0.0512);
    expect(j.outcome).toBe('wait');
    expect(j.statistics.meanNew).toBe(0.0512);
    expect(j.message).toBe(`ratio on c is 0.0512 (5 of 100 starts); its 95 % bounds [${Number(b.lower.toPrecision(4))}, ${Number(b.upper.toPrecision(4))}] straddle max 0.05: more starts needed`);
  });

  // With no failures the Wilson lower bound is exactly 0, with only failures the upper bound is exactly 1
  // (closed form: centre and margin are equal, z²/2n over 1 + z²/n): bounds that sit exactly on a threshold.
  it('treats a bound exactly on the threshold as within it (bounds are inclusive, as for plain values)', () => {
    const none = { failures: 0, samples: 10 };
    const all = { failures: 10, samples: 10 };
    // 0 of 10 against max 0: the lower bound 0 is not above it (no fail); the upper bound is, so wait.
    const atMax = judgeProportionThreshold('ratio', 'c', none, t(0), 10);
    expect(atMax.statistics.lower).toBe(0);
    expect(atMax).toMatchObject({ outcome: 'wait', rule: 'threshold.undecided' });
    // 10 of 10 against min 1: the upper bound 1 is not below it (no fail); the lower bound is, so wait.
    const atMin = judgeProportionThreshold('ok-ratio', 'c', all, t(undefined, 1), 10);
    expect(atMin.statistics.upper).toBe(1);
    expect(atMin).toMatchObject({ outcome: 'wait', rule: 'threshold.undecided' });
    // 10 of 10 within max 1 and 0 of 10 within min 0: the bound on the threshold passes.
    expect(judgeProportionThreshold('ratio', 'c', all, t(1), 10)).toMatchObject({ outcome: 'pass', rule: 'threshold.within' });
    expect(judgeProportionThreshold('ok-ratio', 'c', none, t(undefined, 0), 10)).toMatchObject({ outcome: 'pass', rule: 'threshold.within' });
  });

  it('shows 0 as the ratio of no starts', () => {
    const j = judgeProportionThreshold('ratio', 'c', { failures: 0, samples: 0 }, t(0.1), 1);
    expect(j).toMatchObject({ outcome: 'wait', rule: 'samples.below-minimum' });
    expect(j.statistics.meanNew).toBe(0);
  });
});

describe('sequential threshold (SPRT)', () => {
  // p0 = 0.01, p1 = 0.1, α = 0.01, β = 0.05: each failure adds ln 10, each success ln(0.9/0.99);
  // roll back at ln 100 ≈ 4.605, pass at ln 0.05 ≈ −2.996.
  const rule = { max: 0.1, healthy: 0.01, falseRollback: 0.01, falsePromotion: 0.05 };
  const llr = (k: number, n: number) => k * Math.log(10) + (n - k) * Math.log(0.9 / 0.99);

  it('fails once the evidence reaches ln(1/α), whatever minSamples says', () => {
    const j = judgeSequentialThreshold('ratio', 'c', { failures: 3, samples: 3 }, rule, 1000);
    expect(j.outcome).toBe('fail');
    expect(j.rule).toBe('sequential.reject');
    expect(j.statistics).toEqual({ method: 'sequential', n1: 3, meanNew: 1, llr: expect.closeTo(llr(3, 3), 9), p0: 0.01, alpha: 0.01, beta: 0.05 });
    expect(j.message).toBe('ratio on c is 1: the evidence says the failure ratio is at 0.1 rather than 0.01 (3 of 3 starts, log likelihood ratio 6.908 of 0.1 against 0.01 (roll back at 4.605, pass at -2.996); false-rollback bound 0.01)');
  });

  it('passes once the evidence falls to ln β and there are minSamples starts (inclusive), else waits and says why', () => {
    // 0 of 40: llr ≈ −3.812 ≤ −2.996.
    expect(llr(0, 40)).toBeLessThan(Math.log(0.05));
    const pass = judgeSequentialThreshold('ratio', 'c', { failures: 0, samples: 40 }, rule, 40);
    expect(pass).toMatchObject({ outcome: 'pass', rule: 'sequential.accept' });
    expect(pass.message).toBe('ratio on c is 0: the evidence says healthy (0 of 40 starts, log likelihood ratio -3.812 of 0.1 against 0.01 (roll back at 4.605, pass at -2.996); false-promotion bound 0.05)');
    const early = judgeSequentialThreshold('ratio', 'c', { failures: 0, samples: 40 }, rule, 41);
    expect(early).toMatchObject({ outcome: 'wait', rule: 'sequential.continue' });
    expect(early.message).toBe('ratio on c is 0: not decided yet (0 of 40 starts, log likelihood ratio -3.812 of 0.1 against 0.01 (roll back at 4.605, pass at -2.996); need 41 starts (minSamples))');
  });

  it('waits between the two boundaries without a minSamples remark', () => {
    // 1 of 10: llr ≈ 1.445.
    const j = judgeSequentialThreshold('ratio', 'c', { failures: 1, samples: 10 }, rule, 1);
    expect(j.message).toBe('ratio on c is 0.1: not decided yet (1 of 10 starts, log likelihood ratio 1.445 of 0.1 against 0.01 (roll back at 4.605, pass at -2.996))');
    expect(judgeSequentialThreshold('ratio', 'c', { failures: 0, samples: 0 }, rule, 1).statistics.meanNew).toBe(0);
  });
});
