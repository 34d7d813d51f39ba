/**
 * Counts judged as counts (Wilson / Newcombe bounds, minSamples per cluster), the
 * baseline read from before the shift at 100 %, non-overlapping comparison windows,
 * "cannot reject" as inconclusive, and per-metric, per-stage limits.
 */
import { describe, expect, it } from 'vitest';
import { metricSchema } from '../../../src/traffic/analysis-config.js';
import { judgeComparison, judgeProportionComparison } from '../../../src/traffic/judges/comparison.js';
import type { MetricDecision, MetricOutcome } from '../../../src/traffic/judges/decision.js';
import { rangeWindow } from '../../../src/traffic/judges/fetch-values.js';
import { evaluateMetric, type MeasurementContext } from '../../../src/traffic/judges/metric-judge.js';
import { resolveQuery } from '../../../src/traffic/judges/query-template.js';
import { decideStep, newStage, ZERO_COUNTERS, type AnalysisCounters } from '../../../src/traffic/judges/step-verdict.js';
import { judgeProportionThreshold } from '../../../src/traffic/judges/threshold.js';
import { normalQuantile, wilsonBounds } from '../../../src/traffic/stats/proportion.js';
import { FakeMetricProvider } from './fake-metric-provider.js';

const EU = { cluster: 'gp-prod-ws-eu18-eu-west1', shortName: 'eu18', region: 'europe-west1' };
const US = { cluster: 'gp-prod-ws-us18-us-west1', shortName: 'us18', region: 'us-west1' };
const OLD = { cluster: 'gp-prod-ws-eu17-eu-west1', shortName: 'eu17', region: 'europe-west1' };
const NOW = new Date('2025-01-01T12:00:00Z');

function ctx(provider: FakeMetricProvider, extra: Partial<MeasurementContext> = {}): MeasurementContext {
  return { provider, newClusters: [EU], oldClusters: [OLD], intervalMs: 60_000, now: NOW, elapsedInStepMs: 60_000, sampleDeadlineMs: 600_000, ...extra };
}

describe('proportions judged on counts', () => {
  it('computes Wilson bounds from the closed form (0 failures: upper = z²/(n + z²))', () => {
    const z = normalQuantile(0.95);
    expect(z).toBeCloseTo(1.6448536269514722, 12);
    expect(wilsonBounds(0, 100, 0.95).upper).toBeCloseTo((z * z) / (100 + z * z), 12);
    expect(wilsonBounds(0, 100, 0.95).lower).toBe(0);
    expect(wilsonBounds(0, 0, 0.95)).toEqual({ lower: 0, upper: 1 });
  });

  it('passes when the upper bound is within, fails when the lower bound is beyond, waits in between', () => {
    const t = { max: 0.05, confidence: 0.95 };
    expect(judgeProportionThreshold('r', 'eu', { failures: 0, samples: 100 }, t, 20)).toMatchObject({ outcome: 'pass', rule: 'threshold.within' });
    // A healthy 1 % cluster that read 3/39 = 0.077 early: its bounds straddle 0.05, so it waits (never a point estimate).
    expect(judgeProportionThreshold('r', 'eu', { failures: 3, samples: 39 }, t, 20)).toMatchObject({ outcome: 'wait', rule: 'threshold.undecided' });
    expect(judgeProportionThreshold('r', 'eu', { failures: 10, samples: 40 }, t, 20)).toMatchObject({ outcome: 'fail', rule: 'threshold.max' });
    expect(judgeProportionThreshold('r', 'eu', { failures: 3, samples: 4 }, t, 20)).toMatchObject({ outcome: 'fail', rule: 'threshold.max.decisive' });
    expect(judgeProportionThreshold('r', 'eu', { failures: 0, samples: 4 }, t, 20)).toMatchObject({ outcome: 'wait', rule: 'samples.below-minimum' });
  });

  it('applies minSamples per cluster, not to the sum over clusters', async () => {
    const m = metricSchema.parse({ name: 'r', query: 'ratio{c="{{shortName}}"}', samplesQuery: 'starts{c="{{shortName}}"}', threshold: { max: 0.5 }, minSamples: 3 });
    const p = new FakeMetricProvider()
      .set('ratio{c="eu18"}', [0])
      .set('ratio{c="us18"}', [0])
      .set('ratio{c="eu17"}', [0])
      .set('starts{c="eu18"}', [5])
      .set('starts{c="us18"}', [2])
      .set('starts{c="eu17"}', [100]);
    const d = await evaluateMetric(m, ctx(p, { newClusters: [EU, US] }));
    expect(d).toMatchObject({ outcome: 'wait', rule: 'samples.below-minimum' });
    expect(d.clusters?.map((c) => [c.cluster, c.outcome, c.samples])).toEqual([
      [EU.cluster, 'pass', 5],
      [US.cluster, 'wait', 2],
    ]);
    expect(d.message).toMatch(/us18-us-west1: 2 starts, need 3/);
  });

  it('accumulates a step\'s counts from earlier disjoint windows', async () => {
    const m = metricSchema.parse({ name: 'r', query: 'ratio{c="{{shortName}}"}', samplesQuery: 'starts{c="{{shortName}}"}', threshold: { max: 0.05 }, minSamples: 20 });
    const p = new FakeMetricProvider().set('ratio{c="eu18"}', [0]).set('ratio{c="eu17"}', [0]).set('starts{c="eu18"}', [30]).set('starts{c="eu17"}', [300]);
    expect((await evaluateMetric(m, ctx(p))).outcome).toBe('wait');
    const d = await evaluateMetric(m, ctx(p, { accumulated: { r: { [EU.cluster]: { failures: 0, samples: 60 } } } }));
    expect(d).toMatchObject({ outcome: 'pass' });
    expect(d.clusters?.[0]).toMatchObject({ failures: 0, samples: 90 });
  });

  it('compares a failure ratio with the baseline by Newcombe bounds on the difference', () => {
    const rule = { method: 'proportion' as const, confidence: 0.99, maxDifference: 0.02, direction: 'increase' as const };
    expect(judgeProportionComparison('r', { failures: 10, samples: 50 }, { failures: 5, samples: 1000 }, rule, 20)).toMatchObject({ outcome: 'fail', rule: 'proportion.worse' });
    expect(judgeProportionComparison('r', { failures: 2, samples: 800 }, { failures: 10, samples: 5000 }, rule, 20)).toMatchObject({ outcome: 'pass', rule: 'proportion.within' });
    expect(judgeProportionComparison('r', { failures: 1, samples: 10 }, { failures: 10, samples: 5000 }, rule, 20)).toMatchObject({ outcome: 'wait', rule: 'proportion.undecided' });
  });
});

describe('comparisons: independent windows, a baseline at 100 %, cannot-reject', () => {
  it('aligns range queries to the resolution and resolves {{window}}', () => {
    const w = rangeWindow(new Date(Date.UTC(2025, 0, 1, 12, 0, 7)), 60_000, 15_000);
    expect(w.end.toISOString()).toBe('2025-01-01T12:00:00.000Z');
    expect(w.start.toISOString()).toBe('2025-01-01T11:59:15.000Z'); // 4 points, one per 15 s window
    expect(resolveQuery('rate(x[{{window}}]) / {{lookback}}', EU, 60_000, 15_000)).toBe('rate(x[15s]) / 1m');
  });

  it('is inconclusive, never a pass, when the sample sizes cannot reach the confidence', () => {
    const rule = { method: 'mann-whitney' as const, confidence: 0.98, direction: 'increase' as const };
    const j = judgeComparison('lat', [5, 6, 7], [1, 2, 3], rule);
    expect(j).toMatchObject({ outcome: 'inconclusive', rule: 'mann-whitney.cannot-reject' });
    expect(j.message).toMatch(/smallest possible p 0\.05 > 0\.02/);
  });

  it('reads the baseline from before the shift when baselineAt is given', async () => {
    const times: Array<[string, number]> = [];
    const p = new FakeMetricProvider().set('lat{c="eu18"}', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).set('lat{c="eu17"}', [1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 10.5]);
    const range = p.range.bind(p);
    p.range = async (query, options) => {
      times.push([query, options.end.getTime()]);
      return range(query, options);
    };
    const m = metricSchema.parse({ name: 'lat', query: 'lat{c="{{shortName}}"}', comparison: { method: 'mann-whitney', resolution: '6s' } });
    const before = new Date(NOW.getTime() - 3_600_000);
    const d = await evaluateMetric(m, ctx(p, { baselineAt: before }));
    expect(times).toEqual([
      ['lat{c="eu18"}', NOW.getTime()],
      ['lat{c="eu17"}', before.getTime()],
    ]);
    expect(d.outcome).toBe('pass');
    expect(d.clusters?.[0]?.baseline).toMatchObject({ clusters: [OLD.cluster], points: 10, at: before.toISOString() });
    expect(d.clusters?.[0]?.statistics).toMatchObject({ method: 'mann-whitney', alternative: 'greater', n1: 10, n2: 10 });
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
  });
});

describe('per-metric limits, reset per stage', () => {
  const decision = (metric: string, outcome: MetricOutcome): MetricDecision => ({ metric, dryRun: false, outcome, rule: `r.${outcome}`, message: `${metric} ${outcome}`, queries: [], warnings: [] });
  const limits = { failureLimit: 0, consecutiveErrorLimit: 4, inconclusiveLimit: 0 };

  it('counts failures per metric against that metric\'s own limit', () => {
    const per = { a: { failureLimit: 1 }, b: {} };
    let c: AnalysisCounters = ZERO_COUNTERS;
    const first = decideStep([decision('a', 'fail'), decision('b', 'pass')], c, limits, per);
    expect(first.verdict).toBe('wait');
    c = first.counters;
    expect(decideStep([decision('a', 'pass'), decision('b', 'fail')], c, limits, per)).toMatchObject({ verdict: 'fail', message: expect.stringMatching(/^failed measurements 1 > failureLimit 0: b fail/) });
  });

  it('forgets the previous stage\'s failures: two failures in different steps do not add up', () => {
    const per = { a: { failureLimit: 1 } };
    const first = decideStep([decision('a', 'fail')], ZERO_COUNTERS, limits, per);
    expect(first.verdict).toBe('wait');
    expect(decideStep([decision('a', 'fail')], first.counters, limits, per).verdict).toBe('fail');
    expect(decideStep([decision('a', 'fail')], newStage(first.counters), limits, per).verdict).toBe('wait');
  });

  it('needs `count` passing measurements of every deciding metric before the stage passes', () => {
    const per = { a: { count: 2 }, b: {} };
    const one = decideStep([decision('a', 'pass'), decision('b', 'pass')], ZERO_COUNTERS, limits, per);
    expect(one).toMatchObject({ verdict: 'wait', rule: 'measurement.count' });
    expect(decideStep([decision('a', 'pass')], one.counters, limits, per).verdict).toBe('pass');
  });
});
