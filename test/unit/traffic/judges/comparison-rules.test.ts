/**
 * The comparison judges' rules on hand-worked cases. Mann-Whitney on 4 against 4
 * untied points: every new value above every old one gives U = 16 and an exact
 * one-sided p = 1/C(8,4) = 1/70, two-sided 2/70; 2 against 2 can never go below
 * p = 1/C(4,2) = 1/6. Ties in a small sample: the exact permutation p is counted here by
 * enumerating every split, the normal-approximation p is SciPy's (literals from SciPy 1.17.1
 * `mannwhitneyu(x, y, alternative=...)`, whose `auto` takes the approximation there).
 * Ratios are mean over mean; proportions use Newcombe's bounds on the difference, built
 * here from the closed-form Wilson interval.
 */
import { describe, expect, it } from 'vitest';
import { metricSchema } from '../../../../src/traffic/analysis-config.js';
import { judgeComparison, judgeProportionComparison, type ComparisonRule } from '../../../../src/traffic/judges/comparison.js';
import { differenceBounds } from '../../../../src/traffic/stats/proportion.js';
import { measure } from '../../../../src/traffic/judges/measure.js';
import { ZERO_COUNTERS } from '../../../../src/traffic/judges/step-verdict.js';
import { FakeMetricProvider } from '../fake-metric-provider.js';

const Z95 = 1.6448536269514722;
const HIGH = [10, 11, 12, 13];
const LOW = [1, 2, 3, 4];
const mw = (extra: Partial<ComparisonRule> = {}): ComparisonRule => ({ method: 'mann-whitney', confidence: 0.95, direction: 'increase', ...extra });

function wilson(k: number, n: number): { lower: number; upper: number } {
  const z = Z95;
  const p = k / n;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const h = (z / d) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  return { lower: Math.max(0, c - h), upper: Math.min(1, c + h) };
}

function newcombe(k1: number, n1: number, k2: number, n2: number): { lower: number; upper: number } {
  const a = wilson(k1, n1);
  const b = wilson(k2, n2);
  const d = k1 / n1 - k2 / n2;
  return { lower: d - Math.hypot(k1 / n1 - a.lower, b.upper - k2 / n2), upper: d + Math.hypot(a.upper - k1 / n1, k2 / n2 - b.lower) };
}

describe('Mann-Whitney comparison', () => {
  it('fails a new side that is entirely worse, one-sided in the bad direction, with the facts', () => {
    const j = judgeComparison('lat on c', HIGH, LOW, mw());
    expect(j.outcome).toBe('fail');
    expect(j.rule).toBe('mann-whitney.worse');
    expect(j.statistics).toMatchObject({ method: 'mann-whitney', n1: 4, n2: 4, u: 16, alternative: 'greater', exactness: 'exact', rankBiserial: 1, hodgesLehmann: 9, meanNew: 11.5, meanOld: 2.5 });
    expect(j.statistics.pValue).toBeCloseTo(1 / 70, 12);
    expect(j.statistics.alpha).toBeCloseTo(0.05, 12);
    expect(j.message).toBe('lat on c: worse than baseline at 95 % confidence (new mean 11.5 vs baseline 2.5, U=16, p=0.01429 (exact, one-sided, new higher is worse), effect 1)');
    expect(j.warnings).toEqual(['lat on c: only 4 new and 4 baseline data points (below 50); the test has little power']);
  });

  it('names the lower side as worse for direction decrease, and a two-sided test for either', () => {
    const down = judgeComparison('x', LOW, HIGH, mw({ direction: 'decrease' }));
    expect(down).toMatchObject({ outcome: 'fail', statistics: { alternative: 'less' } });
    expect(down.message).toContain('(exact, one-sided, new lower is worse)');
    const either = judgeComparison('x', LOW, HIGH, mw({ direction: 'either' }));
    expect(either).toMatchObject({ outcome: 'fail', statistics: { alternative: 'two-sided' } });
    expect(either.statistics.pValue).toBeCloseTo(2 / 70, 12);
    expect(either.message).toContain('(exact, two-sided)');
  });

  it('passes an improvement: the test is one-sided in the bad direction', () => {
    const j = judgeComparison('x', LOW, HIGH, mw());
    expect(j.outcome).toBe('pass');
    expect(j.rule).toBe('mann-whitney.no-significant-worsening');
    expect(j.message).toMatch(/^x: not worse at 95 % confidence \(new mean 2\.5 vs baseline 11\.5, U=0, p=1 \(exact/);
  });

  it('is inconclusive, never a pass, when even the most extreme data could not reach α', () => {
    const j = judgeComparison('x', [3, 4], [1, 2], mw());
    expect(j.outcome).toBe('inconclusive');
    expect(j.rule).toBe('mann-whitney.cannot-reject');
    expect(j.statistics.minPValue).toBeCloseTo(1 / 6, 12);
    expect(j.message).toMatch(/^x: 2 new and 2 baseline points cannot show a difference at 95 % confidence \(smallest possible p 0\.1667 > 0\.05\); lengthen lookback or shorten resolution \(new mean 3\.5/);
  });

  it('lets a significant effect pass when its size is within maxEffectSize (inclusive), and names the bound when it fails', () => {
    const within = judgeComparison('x', HIGH, LOW, mw({ maxEffectSize: 1 }));
    expect(within.outcome).toBe('pass');
    expect(within.rule).toBe('mann-whitney.effect-within-bound');
    expect(within.message).toMatch(/^x: significant but small difference, effect 1 ≤ 1 \(new mean/);
    const down = judgeComparison('x', LOW, HIGH, mw({ direction: 'decrease', maxEffectSize: 1 }));
    expect(down.statistics.rankBiserial).toBe(-1);
    expect(down.outcome).toBe('pass');
    const over = judgeComparison('x', HIGH, LOW, mw({ maxEffectSize: 0.99 }));
    expect(over.outcome).toBe('fail');
    expect(over.message).toMatch(/^x: worse than baseline at 95 % confidence, effect above 0\.99 \(/);
  });

  it('rejects only when p < α: a p of exactly α passes, and a smallest possible p of exactly α can never reject (inconclusive)', () => {
    // One new value above 6 of 7 baseline values: U = 6, P(U ≥ 6) = 2/8 = 0.25 = 1 − 0.75 exactly; smallest p 1/8.
    const atAlpha = judgeComparison('x', [6.5], [1, 2, 3, 4, 5, 6, 7], mw({ confidence: 0.75 }));
    expect(atAlpha.statistics).toMatchObject({ pValue: 0.25, minPValue: 0.125, alpha: 0.25 });
    expect(atAlpha).toMatchObject({ outcome: 'pass', rule: 'mann-whitney.no-significant-worsening' });
    // One value above all of 3: P(U ≥ 3) = 1/4, the smallest p there is, equal to α.
    const never = judgeComparison('x', [10], [1, 2, 3], mw({ confidence: 0.75 }));
    expect(never.statistics).toMatchObject({ pValue: 0.25, minPValue: 0.25, alpha: 0.25 });
    expect(never).toMatchObject({ outcome: 'inconclusive', rule: 'mann-whitney.cannot-reject' });
    expect(never.message).toMatch(/^x: 1 new and 3 baseline points cannot show a difference at 75 % confidence \(smallest possible p 0\.25 = 0\.25\);/);
  });

  it('warns only below 50 points on either side', () => {
    const fifty = Array.from({ length: 50 }, (_, i) => i);
    expect(judgeComparison('x', fifty, fifty, mw()).warnings).toEqual([]);
    expect(judgeComparison('x', fifty.slice(1), fifty, mw()).warnings).toEqual(['x: only 49 new and 50 baseline data points (below 50); the test has little power']);
    expect(judgeComparison('x', fifty, fifty.slice(1), mw()).warnings).toEqual(['x: only 50 new and 49 baseline data points (below 50); the test has little power']);
  });
});

/** One-sided (new greater) permutation p by enumerating every choice of the new side's positions in the pooled sample. */
function permutationGreater(x: readonly number[], y: readonly number[]): number {
  const pooled = [...x, ...y];
  const u = (idx: readonly number[]) => {
    let s = 0;
    for (const i of idx) for (let j = 0; j < pooled.length; j++) if (!idx.includes(j)) s += (pooled[i] as number) > (pooled[j] as number) ? 1 : pooled[i] === pooled[j] ? 0.5 : 0;
    return s;
  };
  const observed = u(x.map((_, i) => i));
  let atLeast = 0;
  let total = 0;
  const visit = (start: number, chosen: number[]) => {
    if (chosen.length === x.length) {
      total++;
      if (u(chosen) >= observed) atLeast++;
      return;
    }
    for (let i = start; i < pooled.length; i++) visit(i + 1, [...chosen, i]);
  };
  visit(0, []);
  return atLeast / total;
}

describe('Mann-Whitney on ties in a small sample: the exact test and the normal approximation must agree', () => {
  // U = 27 of 32; exact p = 25/495 (counted below), SciPy's approximation 0.03246803357021272: either side of 0.05.
  const X = [2, 3, 3, 2];
  const Y = [3, 1, 2, 1, 0, 0, 1, 2];
  const SCIPY_GREATER = 0.03246803357021272;
  // Every new value above every old one, with ties: exact 1/210, SciPy's approximation 0.0063903357114262.
  const TOP = [3, 3, 4, 4];
  const BOTTOM = [0, 0, 1, 1, 2, 2];

  it('the reference values: exact p by enumeration, and the approximation equals SciPy', () => {
    expect(permutationGreater(X, Y)).toBeCloseTo(25 / 495, 15);
    expect(permutationGreater(TOP, BOTTOM)).toBeCloseTo(1 / 210, 15);
    const j = judgeComparison('x', X, Y, mw({ confidence: 0.9 }));
    expect(j.statistics).toMatchObject({ exactness: 'permutation', alternative: 'greater', u: 27 });
    expect(j.statistics.pValue).toBeCloseTo(25 / 495, 14);
    expect(j.statistics.asymptoticPValue).toBeCloseTo(SCIPY_GREATER, 14);
  });

  it('says it cannot decide, with both p-values and α, when they fall on different sides of α (exact above, approximation below)', () => {
    const j = judgeComparison('lat on c', X, Y, mw());
    expect(j.outcome).toBe('inconclusive');
    expect(j.rule).toBe('mann-whitney.ties-undecided');
    expect(j.message).toBe(
      'lat on c: ties in a small sample: the exact test (p=0.05051) and the normal approximation (p=0.03247) disagree at α=0.05; more points decide (new mean 2.5 vs baseline 1.25, U=27, p=0.05051 (permutation, one-sided, new higher is worse), effect 0.6875)',
    );
    // The test stays one-sided in the bad direction: the same data is a clear pass the other way round.
    expect(judgeComparison('x', X, Y, mw({ direction: 'decrease' })).outcome).toBe('pass');
  });

  it('says it cannot decide when the exact test rejects and the approximation does not', () => {
    const j = judgeComparison('x', TOP, BOTTOM, mw({ confidence: 0.995 }));
    expect(j).toMatchObject({ outcome: 'inconclusive', rule: 'mann-whitney.ties-undecided' });
    expect(j.statistics.pValue).toBeCloseTo(1 / 210, 14);
    expect(j.statistics.asymptoticPValue).toBeCloseTo(0.0063903357114262, 14);
    expect(j.message).toContain('the exact test (p=0.004762) and the normal approximation (p=0.00639) disagree at α=0.005;');
  });

  it('an exact p of exactly α does not reject: with the approximation below α, that is a disagreement', () => {
    // [2,2,1] vs [2,1,0,0,0]: 7 of the C(8,3) = 56 splits reach U ≥ 13, so p = 1/8 = 1 − 0.875 exactly;
    // SciPy's approximation 0.07782434558402676; smallest p 1/56.
    const x = [2, 2, 1];
    const y = [2, 1, 0, 0, 0];
    expect(permutationGreater(x, y)).toBe(0.125);
    const j = judgeComparison('x', x, y, mw({ confidence: 0.875 }));
    expect(j.statistics).toMatchObject({ pValue: 0.125, alpha: 0.125, exactness: 'permutation' });
    expect(j.statistics.asymptoticPValue).toBeCloseTo(0.07782434558402676, 14);
    expect(j).toMatchObject({ outcome: 'inconclusive', rule: 'mann-whitney.ties-undecided' });
  });

  it('decides when both are on the same side of α: fail below both, pass above both', () => {
    expect(judgeComparison('x', X, Y, mw({ confidence: 0.9 }))).toMatchObject({ outcome: 'fail', rule: 'mann-whitney.worse' });
    expect(judgeComparison('x', X, Y, mw({ confidence: 0.98 }))).toMatchObject({ outcome: 'pass', rule: 'mann-whitney.no-significant-worsening' });
    expect(judgeComparison('x', TOP, BOTTOM, mw())).toMatchObject({ outcome: 'fail', rule: 'mann-whitney.worse' });
  });

  it('passes a disagreement whose effect is within maxEffectSize (inclusive): either test then passes', () => {
    // Effect 2·27/32 − 1 = 0.6875.
    expect(judgeComparison('x', X, Y, mw({ maxEffectSize: 0.6875 }))).toMatchObject({ outcome: 'pass', rule: 'mann-whitney.no-significant-worsening' });
    expect(judgeComparison('x', TOP, BOTTOM, mw({ confidence: 0.995, maxEffectSize: 1 }))).toMatchObject({ outcome: 'pass', rule: 'mann-whitney.effect-within-bound' });
    expect(judgeComparison('x', X, Y, mw({ maxEffectSize: 0.68 }))).toMatchObject({ outcome: 'inconclusive', rule: 'mann-whitney.ties-undecided' });
  });

  it('has no approximate p without ties or with large samples, so it never says it cannot decide there', () => {
    expect(judgeComparison('x', HIGH, LOW, mw()).statistics.asymptoticPValue).toBeUndefined();
    const big = Array.from({ length: 9 }, (_, i) => Math.floor(i / 2));
    expect(judgeComparison('x', big, big, mw()).statistics).toMatchObject({ exactness: 'asymptotic' });
    expect(judgeComparison('x', big, big, mw()).statistics.asymptoticPValue).toBeUndefined();
  });

  it('through a measurement: waits while later windows may decide; past sampleDeadline it is inconclusive and counts against inconclusiveLimit (0 pauses, 1 measures again)', async () => {
    const NEW = { cluster: 'gp-prod-ws-eu18-eu-west1', shortName: 'eu18', region: 'europe-west1' };
    const OLD = { cluster: 'gp-prod-ws-eu17-eu-west1', shortName: 'eu17', region: 'europe-west1' };
    const p = new FakeMetricProvider().set('p95{c="eu18"}', X).set('p95{c="eu17"}', Y);
    const metric = metricSchema.parse({ name: 'p95', query: 'p95{c="{{shortName}}"}', comparison: { method: 'mann-whitney', confidence: 0.95, resolution: '1m' } });
    const early = { provider: p, newClusters: [NEW], oldClusters: [OLD], intervalMs: 600_000, now: new Date('2025-01-01T12:10:00Z'), elapsedInStepMs: 600_000, sampleDeadlineMs: 1_800_000 };
    const waiting = await measure({ metrics: [metric], failureLimit: 0, consecutiveErrorLimit: 0, inconclusiveLimit: 0 }, early, ZERO_COUNTERS);
    expect(waiting.decisions[0]).toMatchObject({ outcome: 'wait', rule: 'mann-whitney.ties-undecided' });
    expect(waiting).toMatchObject({ verdict: 'wait' });
    const ctx = { ...early, elapsedInStepMs: 1_800_000 };
    const paused = await measure({ metrics: [metric], failureLimit: 0, consecutiveErrorLimit: 0, inconclusiveLimit: 0 }, ctx, ZERO_COUNTERS);
    expect(paused.decisions[0]).toMatchObject({ outcome: 'inconclusive', rule: 'mann-whitney.ties-undecided' });
    expect(paused.decisions[0]?.message).toContain('ties in a small sample: the exact test (p=0.05051) and the normal approximation (p=0.03247) disagree at α=0.05; more points decide');
    expect(paused).toMatchObject({ verdict: 'inconclusive-pause', rule: 'limit.inconclusive' });
    const tolerated = await measure({ metrics: [metric], failureLimit: 0, consecutiveErrorLimit: 0, inconclusiveLimit: 1 }, ctx, ZERO_COUNTERS);
    expect(tolerated).toMatchObject({ verdict: 'wait', outcome: 'inconclusive' });
    const again = await measure({ metrics: [metric], failureLimit: 0, consecutiveErrorLimit: 0, inconclusiveLimit: 1 }, ctx, tolerated.counters);
    expect(again).toMatchObject({ verdict: 'inconclusive-pause', rule: 'limit.inconclusive' });
  });
});

describe('ratio comparison', () => {
  const ratio = (maxRatio: number | undefined, direction: ComparisonRule['direction'] = 'increase'): ComparisonRule => ({ method: 'ratio', confidence: 0.95, maxRatio, direction });

  it('fails a mean ratio above maxRatio and passes one at it', () => {
    expect(judgeComparison('x', [3, 3], [1, 1], ratio(2))).toEqual({
      outcome: 'fail',
      rule: 'ratio.above-max',
      message: 'x: ratio above 2 (new mean 3 / baseline 1 = 3)',
      statistics: { method: 'ratio', n1: 2, n2: 2, meanNew: 3, meanOld: 1, ratio: 3 },
      warnings: [],
    });
    expect(judgeComparison('x', [2, 2], [1, 1], ratio(2))).toEqual({
      outcome: 'pass',
      rule: 'ratio.within',
      message: 'x: ratio within bound 2 (new mean 2 / baseline 1 = 2)',
      statistics: { method: 'ratio', n1: 2, n2: 2, meanNew: 2, meanOld: 1, ratio: 2 },
      // Only Mann-Whitney warns about few points: a ratio of means has no test to lack power.
      warnings: [],
    });
  });

  it('fails below 1/maxRatio in the decrease direction (inclusive bound), and only in the bad direction', () => {
    expect(judgeComparison('x', [1], [4], ratio(2, 'decrease'))).toMatchObject({ outcome: 'fail', rule: 'ratio.below-min', message: 'x: ratio below 0.5 (new mean 1 / baseline 4 = 0.25)' });
    expect(judgeComparison('x', [1], [2], ratio(2, 'decrease')).outcome).toBe('pass');
    expect(judgeComparison('x', [4], [1], ratio(2, 'decrease')).outcome).toBe('pass');
    expect(judgeComparison('x', [1], [4], ratio(2, 'increase')).outcome).toBe('pass');
    expect(judgeComparison('x', [1], [4], ratio(2, 'either')).rule).toBe('ratio.below-min');
    expect(judgeComparison('x', [4], [1], ratio(2, 'either')).rule).toBe('ratio.above-max');
  });

  it('treats a zero baseline as equality when both are zero and as an unbounded change otherwise', () => {
    expect(judgeComparison('x', [0], [0], ratio(2, 'either')).statistics.ratio).toBe(1);
    expect(judgeComparison('x', [0], [0], ratio(2, 'either')).outcome).toBe('pass');
    expect(judgeComparison('x', [1], [0], ratio(2)).statistics.ratio).toBe(Number.POSITIVE_INFINITY);
    expect(judgeComparison('x', [1], [0], ratio(2)).outcome).toBe('fail');
    expect(judgeComparison('x', [-1], [0], ratio(2, 'either'))).toMatchObject({ outcome: 'fail', rule: 'ratio.below-min', statistics: { ratio: 0 } });
  });

  it('without maxRatio never fails', () => {
    expect(judgeComparison('x', [1000], [1], ratio(undefined, 'either'))).toMatchObject({ outcome: 'pass', message: 'x: ratio within bound Infinity (new mean 1000 / baseline 1 = 1000)' });
    expect(judgeComparison('x', [0.001], [1], ratio(undefined, 'either')).outcome).toBe('pass');
  });
});

describe('proportion comparison (Newcombe bounds on the difference)', () => {
  const rule = (maxDifference: number | undefined, direction: ComparisonRule['direction'] = 'increase'): ComparisonRule => ({ method: 'proportion', confidence: 0.95, maxDifference, direction });

  it('fails when the lower bound of new − baseline exceeds the tolerance, with the counts in the message', () => {
    const b = newcombe(10, 100, 1, 100);
    expect(b.lower).toBeGreaterThan(0.02);
    const j = judgeProportionComparison('r on c', { failures: 10, samples: 100 }, { failures: 1, samples: 100 }, rule(0.02), 100);
    expect(j.outcome).toBe('fail');
    expect(j.rule).toBe('proportion.worse');
    expect(j.statistics).toEqual({ method: 'proportion', n1: 100, n2: 100, meanNew: 0.1, meanOld: 0.01, lower: expect.closeTo(b.lower, 12), upper: expect.closeTo(b.upper, 12), confidence: 0.95, maxDifference: 0.02 });
    const f = (v: number) => Number(v.toPrecision(4));
    expect(j.message).toBe(`r on c: failure ratio worse than baseline by more than 0.02 (10/100 = 0.1 vs baseline 1/100 = 0.01, difference in [${f(b.lower)}, ${f(b.upper)}] at 95 %)`);
    expect(j.warnings).toEqual([]);
  });

  it('never warns, whatever it decides: the counts are the evidence, not a number of points', () => {
    for (const [k1, k2, minSamples] of [[10, 1, 100], [1, 1, 100], [1, 1, 101]] as const) {
      expect(judgeProportionComparison('r', { failures: k1, samples: 100 }, { failures: k2, samples: 100 }, rule(0.05), minSamples).warnings).toEqual([]);
    }
    expect(judgeProportionComparison('r', { failures: 1, samples: 100 }, { failures: 1, samples: 100 }, rule(0.05), 100).outcome).toBe('pass');
    expect(judgeProportionComparison('r', { failures: 1, samples: 100 }, { failures: 1, samples: 100 }, rule(0.05), 101).outcome).toBe('wait');
  });

  it('a bound exactly at the tolerance is within it: worse only strictly beyond, within inclusive, each direction', () => {
    // The tolerance is set to the bound itself (Newcombe bounds from the stats module), so only the comparison is tested.
    const worse = differenceBounds(10, 100, 1, 100, 0.95);
    expect(worse.lower).toBeGreaterThan(0);
    expect(judgeProportionComparison('r', { failures: 10, samples: 100 }, { failures: 1, samples: 100 }, rule(worse.lower), 1).outcome).not.toBe('fail');
    expect(judgeProportionComparison('r', { failures: 10, samples: 100 }, { failures: 1, samples: 100 }, rule(worse.lower * 0.999), 1).outcome).toBe('fail');
    const better = differenceBounds(1, 100, 10, 100, 0.95);
    expect(better.upper).toBeLessThan(0);
    expect(judgeProportionComparison('r', { failures: 1, samples: 100 }, { failures: 10, samples: 100 }, rule(-better.upper, 'decrease'), 1).outcome).not.toBe('fail');
    expect(judgeProportionComparison('r', { failures: 1, samples: 100 }, { failures: 10, samples: 100 }, rule(-better.upper * 0.999, 'decrease'), 1).outcome).toBe('fail');
    const same = differenceBounds(1, 100, 1, 100, 0.95);
    expect(judgeProportionComparison('r', { failures: 1, samples: 100 }, { failures: 1, samples: 100 }, rule(same.upper), 1).outcome).toBe('pass');
    expect(judgeProportionComparison('r', { failures: 1, samples: 100 }, { failures: 1, samples: 100 }, rule(same.upper * 0.999), 1).outcome).toBe('wait');
    expect(judgeProportionComparison('r', { failures: 1, samples: 100 }, { failures: 1, samples: 100 }, rule(-same.lower, 'decrease'), 1).outcome).toBe('pass');
    expect(judgeProportionComparison('r', { failures: 1, samples: 100 }, { failures: 1, samples: 100 }, rule(-same.lower * 0.999, 'decrease'), 1).outcome).toBe('wait');
  });

  it('takes a missing maxDifference as 0', () => {
    const j = judgeProportionComparison('r', { failures: 10, samples: 100 }, { failures: 1, samples: 100 }, rule(undefined), 1);
    expect(j.outcome).toBe('fail');
    expect(j.statistics.maxDifference).toBe(0);
  });

  it('judges only the bad direction: an improvement passes under increase, a worsening passes under decrease', () => {
    expect(judgeProportionComparison('r', { failures: 1, samples: 100 }, { failures: 10, samples: 100 }, rule(0.02), 100).outcome).toBe('pass');
    expect(judgeProportionComparison('r', { failures: 10, samples: 100 }, { failures: 1, samples: 100 }, rule(0.02, 'decrease'), 100).outcome).toBe('pass');
    expect(judgeProportionComparison('r', { failures: 1, samples: 100 }, { failures: 10, samples: 100 }, rule(0.02, 'decrease'), 100).outcome).toBe('fail');
    expect(judgeProportionComparison('r', { failures: 1, samples: 100 }, { failures: 10, samples: 100 }, rule(0.02, 'either'), 100).outcome).toBe('fail');
    expect(judgeProportionComparison('r', { failures: 10, samples: 100 }, { failures: 1, samples: 100 }, rule(0.02, 'either'), 100).outcome).toBe('fail');
  });

  it('passes within the tolerance only with minSamples on both sides (inclusive), otherwise waits', () => {
    const b = newcombe(1, 100, 1, 100);
    expect(b.upper).toBeLessThan(0.05);
    const pass = judgeProportionComparison('r', { failures: 1, samples: 100 }, { failures: 1, samples: 100 }, rule(0.05, 'either'), 100);
    expect(pass).toMatchObject({ outcome: 'pass', rule: 'proportion.within' });
    expect(pass.message).toMatch(/^r: within 0\.05 of the baseline \(1\/100 = 0\.01 vs baseline 1\/100 = 0\.01, difference in \[/);
    expect(judgeProportionComparison('r', { failures: 1, samples: 100 }, { failures: 1, samples: 1000 }, rule(0.05, 'either'), 101).outcome).toBe('wait');
    expect(judgeProportionComparison('r', { failures: 1, samples: 1000 }, { failures: 1, samples: 100 }, rule(0.05, 'either'), 101).outcome).toBe('wait');
    const wait = judgeProportionComparison('r', { failures: 1, samples: 100 }, { failures: 1, samples: 100 }, rule(0.005, 'either'), 1);
    expect(wait).toMatchObject({ outcome: 'wait', rule: 'proportion.undecided' });
    expect(wait.message).toMatch(/^r: not enough events to tell yet \(1\/100/);
  });

  it('waits on a two-sided tolerance when only one bound is inside it', () => {
    // 3/100 vs 1/100: the upper bound of the difference is above 0.05, the lower bound above −0.05.
    const b = newcombe(3, 100, 1, 100);
    expect(b.upper).toBeGreaterThan(0.05);
    expect(b.lower).toBeGreaterThan(-0.05);
    expect(b.lower).toBeLessThan(0.05);
    expect(judgeProportionComparison('r', { failures: 3, samples: 100 }, { failures: 1, samples: 100 }, rule(0.05, 'either'), 1).outcome).toBe('wait');
    expect(judgeProportionComparison('r', { failures: 1, samples: 100 }, { failures: 3, samples: 100 }, rule(0.05, 'either'), 1).outcome).toBe('wait');
  });

  it('counts a side without samples as a ratio of 0', () => {
    const j = judgeProportionComparison('r', { failures: 0, samples: 0 }, { failures: 0, samples: 0 }, rule(0.05), 1);
    expect(j.statistics).toMatchObject({ meanNew: 0, meanOld: 0 });
    expect(j.outcome).toBe('wait');
  });
});
