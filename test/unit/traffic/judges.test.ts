import { describe, expect, it } from 'vitest';
import { metricSchema, type MetricConfig } from '../../../src/traffic/analysis-config.js';
import { judgeComparison } from '../../../src/traffic/judges/comparison.js';
import { evaluateMetric, type MeasurementContext } from '../../../src/traffic/judges/metric-judge.js';
import { judgeThreshold } from '../../../src/traffic/judges/threshold.js';
import { FakeMetricProvider } from './fake-metric-provider.js';

const NEW = { cluster: 'gp-prod-ws-eu18-eu-west1', shortName: 'eu18', region: 'europe-west1' };
const OLD = { cluster: 'gp-prod-ws-eu17-eu-west1', shortName: 'eu17', region: 'europe-west1' };

function metric(input: Record<string, unknown>): MetricConfig {
  return metricSchema.parse({ name: 'start-failure-rate', query: 'fail_rate{c="{{shortName}}",w="{{interval}}"}', ...input });
}

function ctx(provider: FakeMetricProvider, extra: Partial<MeasurementContext> = {}): MeasurementContext {
  return {
    provider,
    newClusters: [NEW],
    oldClusters: [OLD],
    intervalMs: 300_000,
    now: new Date('2025-01-01T12:00:00Z'),
    elapsedInStepMs: 300_000,
    sampleDeadlineMs: 1_800_000,
    ...extra,
  };
}

const q = (short: string) => `fail_rate{c="${short}",w="5m"}`;
const s = (short: string) => `starts{c="${short}"}`;

describe('threshold judge', () => {
  it('passes within bounds and names the failing cluster, value and bound', () => {
    expect(judgeThreshold('m', [{ cluster: 'a', value: 0.01 }], { max: 0.05 }).outcome).toBe('pass');
    const hi = judgeThreshold('m', [{ cluster: 'a', value: 0.01 }, { cluster: 'b', value: 0.2 }], { max: 0.05 });
    expect(hi).toMatchObject({ outcome: 'fail', rule: 'threshold.max', message: 'm on b is 0.2, above the maximum 0.05' });
    expect(judgeThreshold('m', [{ cluster: 'a', value: 0.5 }], { min: 0.9 })).toMatchObject({ outcome: 'fail', rule: 'threshold.min' });
  });
});

describe('comparison judge', () => {
  const rule = { method: 'mann-whitney' as const, confidence: 0.98, direction: 'increase' as const };
  const baseline = Array.from({ length: 60 }, (_, i) => 0.01 + (i % 7) * 0.001);

  it('fails when the new side is significantly worse', () => {
    const worse = baseline.map((v) => v + 0.02);
    const j = judgeComparison('latency', worse, baseline, rule);
    expect(j.outcome).toBe('fail');
    expect(j.rule).toBe('mann-whitney.worse');
    expect(j.statistics.pValue).toBeLessThan(0.02);
    expect(j.statistics.rankBiserial).toBe(1);
    expect(j.message).toMatch(/^latency: worse than baseline at 98 % confidence/);
    expect(j.statistics).toMatchObject({ alternative: 'greater', exactness: 'asymptotic' });
  });

  it('passes equal distributions and improvements (a one-sided test in the bad direction)', () => {
    expect(judgeComparison('m', [...baseline], baseline, rule).outcome).toBe('pass');
    const better = judgeComparison('m', baseline.map((v) => v - 0.02), baseline, rule);
    expect(better).toMatchObject({ outcome: 'pass', rule: 'mann-whitney.no-significant-worsening' });
    expect(better.message).toMatch(/not worse at 98 % confidence .*one-sided, new higher is worse/);
    expect(judgeComparison('m', baseline.map((v) => v - 0.02), baseline, { ...rule, direction: 'either' }).outcome).toBe('fail');
  });

  it('lets a significant but small effect pass when maxEffectSize allows it', () => {
    // Large samples, small shift: significant, rank-biserial ≈ 0.14.
    const base = Array.from({ length: 400 }, (_, i) => (i * 37) % 100);
    const shifted = base.map((v) => v + 8);
    const strict = judgeComparison('m', shifted, base, rule);
    expect(strict.outcome).toBe('fail');
    const lenient = judgeComparison('m', shifted, base, { ...rule, maxEffectSize: 0.3 });
    expect(lenient).toMatchObject({ outcome: 'pass', rule: 'mann-whitney.effect-within-bound' });
  });

  it('warns below 50 points per side', () => {
    expect(judgeComparison('m', [1, 2, 3], [1, 2, 3], rule).warnings[0]).toMatch(/only 3 new and 3 baseline data points/);
  });

  it('judges ratios in the bad direction', () => {
    const ratio = { method: 'ratio' as const, confidence: 0.98, maxRatio: 1.5, direction: 'increase' as const };
    expect(judgeComparison('m', [2], [1], ratio)).toMatchObject({ outcome: 'fail', rule: 'ratio.above-max' });
    expect(judgeComparison('m', [1.4], [1], ratio).outcome).toBe('pass');
    expect(judgeComparison('m', [0.1], [1], ratio).outcome).toBe('pass');
    expect(judgeComparison('m', [0.1], [1], { ...ratio, direction: 'decrease' })).toMatchObject({ outcome: 'fail', rule: 'ratio.below-min' });
    expect(judgeComparison('m', [0], [0], ratio).statistics.ratio).toBe(1);
    expect(judgeComparison('m', [1], [0], ratio).outcome).toBe('fail');
  });
});

describe('metric evaluation and no-data classification', () => {
  const threshold = metric({ threshold: { max: 0.05 } });

  it('passes healthy data and records resolved queries and values', async () => {
    const p = new FakeMetricProvider().set(q('eu18'), [0.01]).set(q('eu17'), [0.02]);
    const d = await evaluateMetric(threshold, ctx(p));
    expect(d).toMatchObject({ outcome: 'pass', rule: 'threshold.within', dryRun: false });
    expect(d.queries).toEqual([
      { side: 'new', cluster: NEW.cluster, purpose: 'value', query: q('eu18'), series: 1, values: [0.01] },
      { side: 'old', cluster: OLD.cluster, purpose: 'value', query: q('eu17'), series: 1, values: [0.02] },
    ]);
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
  });

  it('fails a spike and names metric, cluster, value and threshold', async () => {
    const p = new FakeMetricProvider().set(q('eu18'), [0.3]).set(q('eu17'), [0.02]);
    const d = await evaluateMetric(threshold, ctx(p));
    expect(d.outcome).toBe('fail');
    expect(d.message).toBe(`start-failure-rate on ${NEW.cluster} is 0.3, above the maximum 0.05`);
  });

  it('classifies a query error as error (pipeline broken), with the error kind', async () => {
    const p = new FakeMetricProvider().fail(q('eu18'), 'unreachable').set(q('eu17'), [0.02]);
    const d = await evaluateMetric(threshold, ctx(p));
    expect(d).toMatchObject({ outcome: 'error', rule: 'query-error' });
    expect(d.message).toMatch(/value query for gp-prod-ws-eu18-eu-west1 failed \(unreachable\).*pipeline is broken/);
    expect(d.queries[0]?.error?.kind).toBe('unreachable');
  });

  it('classifies both sides empty as a broken pipeline, not as a failure', async () => {
    const d = await evaluateMetric(threshold, ctx(new FakeMetricProvider()));
    expect(d).toMatchObject({ outcome: 'error', rule: 'no-data.both-sides' });
  });

  it('waits for a new cluster that never reported while the baseline has data, and fails it past the deadline', async () => {
    const p = new FakeMetricProvider().set(q('eu17'), [0.02]);
    expect(await evaluateMetric(threshold, ctx(p, { elapsedInStepMs: 0 }))).toMatchObject({ outcome: 'wait', rule: 'no-data.never-reported' });
    const d = await evaluateMetric(threshold, ctx(p, { elapsedInStepMs: 1_800_000 }));
    expect(d).toMatchObject({ outcome: 'fail', rule: 'no-data.never-reported' });
    expect(d.message).toMatch(/gp-prod-ws-eu18-eu-west1 reported nothing within 30m \(sampleDeadline\) while the baseline has data: the cluster may be dead/);
  });

  it('fails a new cluster that reported before when its series are gone at a second measurement in a row', async () => {
    const p = new FakeMetricProvider().set(q('eu17'), [0.02]);
    expect(await evaluateMetric(threshold, ctx(p, { elapsedInStepMs: 0, reported: new Set([NEW.cluster]) }))).toMatchObject({ outcome: 'wait', rule: 'no-data.gap' });
    const d = await evaluateMetric(threshold, ctx(p, { elapsedInStepMs: 0, reported: new Set([NEW.cluster]), gaps: { [threshold.name]: [NEW.cluster] } }));
    expect(d).toMatchObject({ outcome: 'fail', rule: 'no-data.stopped-reporting' });
    expect(d.clusters?.[0]).toMatchObject({ cluster: NEW.cluster, outcome: 'fail', query: q('eu18'), points: 0 });
  });

  it('fails a new cluster whose series exist but return no data while other clusters do', async () => {
    const p = new FakeMetricProvider().set(q('eu18'), []).set(q('eu17'), [0.02]);
    const d = await evaluateMetric(threshold, ctx(p));
    expect(d).toMatchObject({ outcome: 'fail', rule: 'no-data.new-silent' });
    expect(d.message).toMatch(/gp-prod-ws-eu18-eu-west1 returns no data while other clusters do: the cluster may be dead/);
  });

  it('waits on a new cluster whose values are NaN (0/0: a quiet window on real Prometheus), inconclusive past the deadline, never calling it dead', async () => {
    // histogram_quantile or a ratio over a window without starts is NaN: the cluster reports, it just had no events.
    const p = new FakeMetricProvider().set(q('eu18'), [Number.NaN]).set(q('eu17'), [0.02]);
    const d = await evaluateMetric(threshold, ctx(p, { elapsedInStepMs: 0 }));
    expect(d).toMatchObject({ outcome: 'wait', rule: 'no-data.no-events' });
    expect(d.clusters?.[0]).toMatchObject({ cluster: NEW.cluster, outcome: 'wait', rule: 'no-data.no-events', samples: 0 });
    expect(d.message).toBe('start-failure-rate: gp-prod-ws-eu18-eu-west1 reports, but only NaN (0/0: no events in the window) yet');
    const late = await evaluateMetric(threshold, ctx(p, { elapsedInStepMs: 1_800_000 }));
    expect(late).toMatchObject({ outcome: 'inconclusive', rule: 'samples.deadline-passed' });
  });

  describe('with a samples query', () => {
    const counted = metric({ threshold: { max: 0.05 }, minSamples: 20, samplesQuery: 'starts{c="{{shortName}}"}' });

    it('waits when the new cluster had no starts yet, and fails it past the deadline', async () => {
      const p = new FakeMetricProvider().set(q('eu17'), [0.02]).set(s('eu18'), [0]).set(s('eu17'), [120]);
      expect(await evaluateMetric(counted, ctx(p))).toMatchObject({ outcome: 'wait', rule: 'no-data.no-traffic-yet' });
      const late = await evaluateMetric(counted, ctx(p, { elapsedInStepMs: 1_800_000 }));
      expect(late).toMatchObject({ outcome: 'fail', rule: 'no-data.no-traffic' });
      expect(late.message).toMatch(/the baseline has starts but gp-prod-ws-eu18-eu-west1 had none within 30m \(sampleDeadline\): the cluster may be dead/);
    });

    // A silent new cluster is dead only when a healthy one would rarely be silent: it weighs its share of the
    // region's starts against the starts its competitors took (a real low-traffic shift is silent often).
    it('past the deadline, weighs a silent cluster\'s share: too little traffic waits (inconclusive), much traffic fails', async () => {
      const expected = { [NEW.cluster]: { share: 0.1, oldShare: 0.9, competitors: [OLD.cluster] } };
      const quiet = new FakeMetricProvider().set(q('eu17'), [0.02]).set(s('eu18'), [0]).set(s('eu17'), [20]);
      const paused = await evaluateMetric(counted, ctx(quiet, { elapsedInStepMs: 1_800_000, expected }));
      expect(paused).toMatchObject({ outcome: 'inconclusive', rule: 'samples.deadline-passed' });
      expect(paused.clusters?.[0]).toMatchObject({ outcome: 'wait', rule: 'no-data.too-little-traffic' });
      expect(paused.message).toMatch(/20 starts on the clusters sharing its region's traffic and 10 % of them its share: a healthy cluster gets none with probability 0\.12\d*: too little traffic/);
      const busy = new FakeMetricProvider().set(q('eu17'), [0.02]).set(s('eu18'), [0]).set(s('eu17'), [120]);
      const dead = await evaluateMetric(counted, ctx(busy, { elapsedInStepMs: 1_800_000, expected }));
      expect(dead).toMatchObject({ outcome: 'fail', rule: 'no-data.no-traffic' });
      expect(dead.message).toMatch(/probability 3\.2e-6, below 0\.01: the cluster may be dead/);
      // Starts on old clusters that do not share its traffic (another region, another set) are no evidence.
      const elsewhere = { [NEW.cluster]: { share: 0.1, oldShare: 0.9, competitors: ['gp-prod-ws-us17-us-west1'] } };
      expect((await evaluateMetric(counted, ctx(busy, { elapsedInStepMs: 1_800_000, expected: elsewhere }))).clusters?.[0]).toMatchObject({ rule: 'no-data.too-little-traffic' });
    });

    it('at 100 % (baseline from before the shift) takes the competitors\' former starts as the rate it now gets', async () => {
      const expected = { [NEW.cluster]: { share: 1, oldShare: 0, competitors: [OLD.cluster] } };
      const few = new FakeMetricProvider().set(q('eu17'), [0.02]).set(s('eu18'), [0]).set(s('eu17'), [2]);
      expect((await evaluateMetric(counted, ctx(few, { elapsedInStepMs: 1_800_000, expected }))).clusters?.[0]).toMatchObject({ outcome: 'wait', rule: 'no-data.too-little-traffic' });
      const many = new FakeMetricProvider().set(q('eu17'), [0.02]).set(s('eu18'), [0]).set(s('eu17'), [10]);
      expect(await evaluateMetric(counted, ctx(many, { elapsedInStepMs: 1_800_000, expected }))).toMatchObject({ outcome: 'fail', rule: 'no-data.no-traffic' });
    });

    it('fails a new cluster that reports starts and a value series without data', async () => {
      const p = new FakeMetricProvider().set(q('eu17'), [0.02]).set(q('eu18'), []).set(s('eu18'), [30]).set(s('eu17'), [120]);
      const d = await evaluateMetric(counted, ctx(p));
      expect(d).toMatchObject({ outcome: 'fail', rule: 'no-data.new-silent' });
      expect(d.message).toMatch(/reports 30 starts but returns no data/);
    });

    // Real Prometheus: a labelled failure counter has no series before the first failure, so the ratio is empty.
    it('counts a new cluster with starts but no value series as 0 failures where the query found series elsewhere, and says so', async () => {
      const p = new FakeMetricProvider().set(q('eu17'), [0.02]).set(s('eu18'), [300]).set(s('eu17'), [120]);
      const d = await evaluateMetric(counted, ctx(p));
      expect(d).toMatchObject({ outcome: 'pass', rule: 'threshold.within' });
      expect(d.clusters?.[0]).toMatchObject({ samples: 300, failures: 0, value: 0 });
      expect(d.warnings).toEqual([
        'gp-prod-ws-eu18-eu-west1: the value query returned no series while the cluster had 300 starts: counted as 0 failures (a labelled failure counter has no series before its first failure; a renamed failure metric would look the same)',
      ]);
    });

    it('waits (inconclusive past the deadline) when no cluster has a value series though they have starts: a misspelt metric looks the same', async () => {
      const p = new FakeMetricProvider().set(s('eu18'), [300]).set(s('eu17'), [120]);
      const d = await evaluateMetric(counted, ctx(p));
      expect(d).toMatchObject({ outcome: 'wait', rule: 'no-data.no-failure-series', warnings: [] });
      expect(d.message).toBe(
        'start-failure-rate: the value query returns no series on any cluster, though gp-prod-ws-eu18-eu-west1 had 300 starts: either no failure was counted anywhere yet (a labelled failure counter has no series before its first failure) or the query names a metric that does not exist; check the query, and write its failure part as (sum(rate(…[{{interval}}])) or vector(0)) to count a missing failure counter as 0',
      );
      expect(await evaluateMetric(counted, ctx(p, { elapsedInStepMs: 1_800_000 }))).toMatchObject({ outcome: 'inconclusive', rule: 'samples.deadline-passed' });
    });

    it('waits below minSamples, then becomes inconclusive at the deadline (never pass, never fail)', async () => {
      const p = new FakeMetricProvider().set(q('eu18'), [0]).set(q('eu17'), [0.02]).set(s('eu18'), [3]).set(s('eu17'), [120]);
      const early = await evaluateMetric(counted, ctx(p));
      expect(early).toMatchObject({ outcome: 'wait', rule: 'samples.below-minimum', samples: { new: 3, old: 120, min: 20 } });
      expect(early.message).toMatch(/on gp-prod-ws-eu18-eu-west1: 3 starts, need 20/);
      const late = await evaluateMetric(counted, ctx(p, { elapsedInStepMs: 1_800_000 }));
      expect(late).toMatchObject({ outcome: 'inconclusive', rule: 'samples.deadline-passed' });
    });

    it('fails early, below minSamples, when even the 95 % lower bound of the ratio is above the maximum', async () => {
      // 2 of 3 starts failed: more samples cannot bring a 0.05 maximum back into reach.
      const p = new FakeMetricProvider().set(q('eu18'), [2 / 3]).set(q('eu17'), [0.02]).set(s('eu18'), [3]).set(s('eu17'), [120]);
      const d = await evaluateMetric(counted, ctx(p));
      expect(d).toMatchObject({ outcome: 'fail', rule: 'threshold.max.decisive' });
      expect(d.message).toMatch(/on gp-prod-ws-eu18-eu-west1 is 0\.6667, above the maximum 0\.05: 2 of 3 starts, 95 % lower bound 0\.2\d+ \(failing before minSamples 20/);
      expect(d.clusters?.[0]).toMatchObject({ failures: 2, samples: 3, statistics: { method: 'proportion', confidence: 0.95 } });
    });

    it('judges once enough samples arrived', async () => {
      const p = new FakeMetricProvider().set(q('eu18'), [0.5]).set(q('eu17'), [0.02]).set(s('eu18'), [25]).set(s('eu17'), [120]);
      expect(await evaluateMetric(counted, ctx(p))).toMatchObject({ outcome: 'fail', rule: 'threshold.max' });
    });

    it('waits when neither side has traffic (quiet hours) instead of calling the pipeline broken', async () => {
      const p = new FakeMetricProvider().set(s('eu18'), [0]).set(s('eu17'), [0]);
      expect(await evaluateMetric(counted, ctx(p))).toMatchObject({ outcome: 'wait', rule: 'no-data.no-traffic-yet' });
    });
  });

  it('compares ranges for comparison metrics and is inconclusive without a baseline', async () => {
    const cmp = metric({ query: 'lat{c="{{shortName}}",w="{{window}}"}', comparison: { method: 'mann-whitney', resolution: '30s' } });
    const lat = (short: string) => `lat{c="${short}",w="30s"}`;
    const healthy = Array.from({ length: 10 }, (_, i) => 1 + i / 10);
    const p = new FakeMetricProvider().set(lat('eu18'), healthy.map((v) => v + 5)).set(lat('eu17'), healthy);
    const d = await evaluateMetric(cmp, ctx(p));
    expect(p.calls.every((c) => c.kind === 'range')).toBe(true);
    expect(d).toMatchObject({ outcome: 'fail', rule: 'mann-whitney.worse', statistics: { method: 'mann-whitney', n1: 10, n2: 10, u: 100 } });
    const noBase = await evaluateMetric(cmp, ctx(new FakeMetricProvider().set(lat('eu18'), healthy)));
    expect(noBase).toMatchObject({ outcome: 'inconclusive', rule: 'no-data.baseline-missing' });
  });

  it('marks dry-run decisions and drops NaN values with a warning', async () => {
    const dry = metric({ threshold: { max: 0.05 }, dryRun: true });
    const p = new FakeMetricProvider().set(q('eu18'), [0.3]).set(q('eu17'), [Number.NaN], [0.01]);
    const d = await evaluateMetric(dry, ctx(p));
    expect(d).toMatchObject({ dryRun: true, outcome: 'fail' });
    expect(d.message).toMatch(/^\[dry run\] /);
    expect(d.warnings[0]).toMatch(/1 NaN value/);
  });
});
