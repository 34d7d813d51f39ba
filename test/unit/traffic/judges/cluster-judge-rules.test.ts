/**
 * One new cluster's evidence as rules, fed directly (no provider): counts of a
 * ratio are whole events and add up over the step, the value shown is the
 * median of a comparison's points, the baseline is recorded next to a threshold only
 * when there are old clusters, and "too few" waits until sampleDeadline.
 * Expected values are counted by hand.
 */
import { describe, expect, it } from 'vitest';
import { metricSchema, type MetricConfig } from '../../../../src/traffic/analysis-config.js';
import { judgeCluster, type ClusterInput } from '../../../../src/traffic/judges/cluster-judge.js';
import type { FetchedQuery } from '../../../../src/traffic/judges/fetch-values.js';

const TARGET = { cluster: 'gp-prod-ws-eu18-eu-west1', shortName: 'eu18', region: 'europe-west1' };
const AT = '2025-01-01T12:00:00.000Z';

function metric(input: Record<string, unknown>): MetricConfig {
  return metricSchema.parse({ name: 'm', query: 'v', ...input });
}

function query(values: number[], extra: Partial<FetchedQuery> = {}): FetchedQuery {
  return { side: 'new', cluster: TARGET.cluster, purpose: 'value', query: 'v{eu18}', series: values.length > 0 ? 1 : 0, values, dropped: 0, infinities: [], ...extra };
}

function input(m: MetricConfig, extra: Partial<ClusterInput> = {}): ClusterInput {
  return {
    metric: m,
    target: TARGET,
    value: query([]),
    proportion: false,
    reportedBefore: false,
    baseline: { clusters: ['old'], points: [], counts: { failures: 0, samples: 0 }, hasData: true, at: AT },
    deadlinePassed: false,
    deadlineMs: 600_000,
    ...extra,
  };
}

const counted = metric({ threshold: { max: 0.1 }, samplesQuery: 's', minSamples: 10 });
const samples = (n: number) => query([n], { purpose: 'samples', query: 's{eu18}' });

describe('ratios judged on whole events', () => {
  it("rounds Prometheus' extrapolated starts and failures to whole events", () => {
    // 243.1 starts → 243; 0.0123 × 243 = 2.99 → 3 failures.
    const e = judgeCluster(input(counted, { value: query([0.0123]), samples: samples(243.1), proportion: true }));
    expect(e).toMatchObject({ samples: 243, failures: 3, value: 3 / 243, samplesQuery: 's{eu18}', query: 'v{eu18}', points: 1, threshold: { max: 0.1 } });
  });

  it("counts failures at the stored steps' ratio where it is above the query's (rate() stopped at the counter's zero point), never below it", () => {
    // 0.09 × 100 = 9 failures from the query; the stored steps say 0.1 → 10 of 100, and the query's value is not shown.
    const e = judgeCluster(input(counted, { value: query([0.09]), samples: samples(100), proportion: true, storedRatio: 0.1 }));
    expect(e).toMatchObject({ samples: 100, failures: 10 });
    expect(e.statistics?.meanNew).toBe(0.1);
    // A stored ratio below the query's (the starts counter at its zero point) changes nothing.
    expect(judgeCluster(input(counted, { value: query([0.09]), samples: samples(100), proportion: true, storedRatio: 0.05 }))).toMatchObject({ failures: 9 });
  });

  it('never counts more failures than starts', () => {
    const e = judgeCluster(input(counted, { value: query([1.6]), samples: samples(10), proportion: true }));
    expect(e).toMatchObject({ samples: 10, failures: 10 });
  });

  it("adds this window to the step's earlier counts and shows the accumulated ratio", () => {
    // Earlier 1 of 20; now 0.5 × 10 = 5 of 10 → 6 of 30.
    const e = judgeCluster(input(counted, { value: query([0.5]), samples: samples(10), proportion: true, prior: { failures: 1, samples: 20 } }));
    expect(e).toMatchObject({ samples: 30, failures: 6, value: 0.2 });
    expect(e.statistics).toMatchObject({ method: 'proportion', n1: 30, meanNew: 0.2 });
    // Without earlier counts the query's own value is the one shown.
    const first = judgeCluster(input(counted, { value: query([0.5]), samples: samples(10), proportion: true }));
    expect(first.statistics?.meanNew).toBe(0.5);
  });

  it('judges a quiet window (no starts, no value) on the earlier counts of the step', () => {
    // Series exist, no starts and no ratio now; earlier 2 of 20: judged on 2 of 20.
    const e = judgeCluster(input(counted, { value: query([], { series: 1 }), samples: samples(0), proportion: true, prior: { failures: 2, samples: 20 } }));
    expect(e).toMatchObject({ samples: 20, failures: 2, value: 0.1 });
  });

  it("shows the query's own ratio for the step's first window (not the rounded counts), the counts' ratio afterwards", () => {
    // 0.0123 × 243 → 3 failures: the counts say 3/243 = 0.01235, the query said 0.0123.
    const first = judgeCluster(input(counted, { value: query([0.0123]), samples: samples(243), proportion: true }));
    expect(first.statistics?.meanNew).toBe(0.0123);
    expect(first.value).toBe(3 / 243);
    const later = judgeCluster(input(counted, { value: query([0.0123]), samples: samples(243), proportion: true, prior: { failures: 0, samples: 7 } }));
    expect(later.statistics?.meanNew).toBe(3 / 250);
  });

  it('keeps the query value of a window without starts instead of dividing 0 by 0', () => {
    const e = judgeCluster(input(counted, { value: query([0.02]), samples: samples(0), proportion: true }));
    expect(e).toMatchObject({ samples: 0, failures: 0, value: 0.02 });
  });

  it('records the baseline counts next to a ratio threshold only when there are old clusters', () => {
    const baseline = { clusters: ['old'], points: [], counts: { failures: 2, samples: 40 }, hasData: true, at: AT };
    const e = judgeCluster(input(counted, { value: query([0]), samples: samples(20), proportion: true, baseline }));
    expect(e.baseline).toEqual({ clusters: ['old'], at: AT, samples: 40, failures: 2, value: 0.05 });
    const none = judgeCluster(input(counted, { value: query([0]), samples: samples(20), proportion: true, baseline: { ...baseline, clusters: [], counts: { failures: 0, samples: 0 } } }));
    expect(none.baseline).toBeUndefined();
  });

  it('runs the sequential judge when the threshold asks for it, with the baseline beside it', () => {
    const seq = metric({ threshold: { max: 0.1, sequential: { healthy: 0.01 } }, samplesQuery: 's', minSamples: 1 });
    const e = judgeCluster(input(seq, { value: query([1]), samples: samples(3), proportion: true }));
    expect(e).toMatchObject({ outcome: 'fail', rule: 'sequential.reject', samples: 3, failures: 3, statistics: { method: 'sequential' } });
    expect(e.baseline).toEqual({ clusters: ['old'], at: AT, samples: 0, failures: 0, value: undefined });
  });

  it('compares a ratio with the baseline counts, and is inconclusive when the baseline has none', () => {
    const cmp = metric({ samplesQuery: 's', comparison: { method: 'proportion', maxDifference: 0.02 }, minSamples: 10 });
    const base = { clusters: ['old'], points: [], counts: { failures: 1, samples: 100 }, hasData: true, at: AT };
    const e = judgeCluster(input(cmp, { value: query([0.2]), samples: samples(100), proportion: true, baseline: base }));
    expect(e).toMatchObject({ outcome: 'fail', rule: 'proportion.worse', samples: 100, failures: 20, baseline: { samples: 100, failures: 1, value: 0.01 } });
    expect(e.message).toContain(TARGET.cluster);
    const missing = judgeCluster(input(cmp, { value: query([0.2]), samples: samples(100), proportion: true, baseline: { ...base, counts: { failures: 0, samples: 0 } } }));
    // The evidence still carries the cluster's counts and the (empty) baseline beside them.
    expect(missing).toMatchObject({ samples: 100, failures: 20, value: 0.2, baseline: { clusters: ['old'], samples: 0, failures: 0 } });
    expect(missing).toMatchObject({ outcome: 'inconclusive', rule: 'no-data.baseline-missing', message: `m: ${TARGET.cluster} has 100 starts but the baseline has none: nothing to compare with` });
  });
});

describe('no value in the window', () => {
  it('fails a cluster that reports starts but no value, and waits for one without starts until the deadline', () => {
    expect(judgeCluster(input(counted, { value: query([], { series: 1 }), samples: samples(7), proportion: true }))).toMatchObject({ outcome: 'fail', rule: 'no-data.new-silent', samples: 7 });
    const quiet = { value: query([], { series: 1 }), samples: samples(0), proportion: true, baseline: { clusters: ['old'], points: [], counts: { failures: 0, samples: 50 }, hasData: true, at: AT } };
    expect(judgeCluster(input(counted, quiet))).toMatchObject({ outcome: 'wait', rule: 'no-data.no-traffic-yet', message: `m: no starts on ${TARGET.cluster} yet`, samples: 0 });
    expect(judgeCluster(input(counted, { ...quiet, deadlinePassed: true }))).toMatchObject({ outcome: 'fail', rule: 'no-data.no-traffic', message: `m: the baseline has starts but ${TARGET.cluster} had none within 10m (sampleDeadline): the cluster may be dead` });
    // Past the deadline, a cluster that had starts earlier in the step is not called dead for one quiet window.
    expect(judgeCluster(input(counted, { ...quiet, deadlinePassed: true, prior: { failures: 0, samples: 12 } })).rule).not.toBe('no-data.no-traffic');
    // Nor when the baseline had no starts either.
    expect(judgeCluster(input(counted, { ...quiet, deadlinePassed: true, baseline: { ...quiet.baseline, counts: { failures: 0, samples: 0 } } })).rule).toBe('no-data.no-traffic-yet');
  });

  it('waits for a cluster that never reported while the baseline has no data, even past the deadline', () => {
    const m = metric({ threshold: { max: 1 } });
    const e = judgeCluster(input(m, { deadlinePassed: true, baseline: { clusters: ['old'], points: [], counts: { failures: 0, samples: 0 }, hasData: false, at: AT } }));
    expect(e).toMatchObject({ outcome: 'wait', rule: 'no-data.never-reported', message: `m: ${TARGET.cluster} has not reported yet`, samples: 0 });
    expect(judgeCluster(input(m, { deadlinePassed: true })).outcome).toBe('fail');
  });

  it('waits one empty measurement of a cluster that reported (a gap), fails the second in a row (stopped reporting)', () => {
    const m = metric({ threshold: { max: 1 } });
    const gap = judgeCluster(input(m, { reportedBefore: true }));
    expect(gap).toMatchObject({ outcome: 'wait', rule: 'no-data.gap', samples: 0 });
    expect(gap.message).toContain(TARGET.cluster);
    // A gap is never a failure on its own, past the deadline and with a baseline that has data too.
    expect(judgeCluster(input(m, { reportedBefore: true, gapBefore: false, deadlinePassed: true })).outcome).toBe('wait');
    // Consecutive means consecutive: the previous measurement of this metric was the gap.
    const stopped = judgeCluster(input(m, { reportedBefore: true, gapBefore: true }));
    expect(stopped).toMatchObject({ outcome: 'fail', rule: 'no-data.stopped-reporting' });
    expect(stopped.message).toContain(TARGET.cluster);
    // Stopping is not waiting for samples: it fails before the deadline and whatever the baseline holds.
    const noBaseline = { clusters: ['old'], points: [], counts: { failures: 0, samples: 0 }, hasData: false, at: AT };
    expect(judgeCluster(input(m, { reportedBefore: true, gapBefore: true, baseline: noBaseline }))).toMatchObject({ outcome: 'fail', rule: 'no-data.stopped-reporting' });
  });

  it('keeps never reporting apart from stopping: without earlier series it is never-reported, whatever the gaps say', () => {
    const m = metric({ threshold: { max: 1 } });
    expect(judgeCluster(input(m, { gapBefore: true }))).toMatchObject({ outcome: 'wait', rule: 'no-data.never-reported', samples: 0 });
    const dead = judgeCluster(input(m, { gapBefore: true, deadlinePassed: true }));
    expect(dead).toMatchObject({ outcome: 'fail', rule: 'no-data.never-reported' });
    // The message names the cluster and the deadline it missed (600 000 ms = 10m).
    expect(dead.message).toContain(TARGET.cluster);
    expect(dead.message).toContain('10m');
  });

  it('waits on a cluster whose only values are NaN (0/0: no events), and fails one with series but no values at all', () => {
    const m = metric({ threshold: { max: 1 } });
    const nan = judgeCluster(input(m, { value: query([], { series: 1, dropped: 2 }), deadlinePassed: true }));
    expect(nan).toMatchObject({ outcome: 'wait', rule: 'no-data.no-events', samples: 0 });
    expect(nan.message).toContain(TARGET.cluster);
    const silent = judgeCluster(input(m, { value: query([], { series: 1 }) }));
    expect(silent).toMatchObject({ outcome: 'fail', rule: 'no-data.new-silent' });
    expect(silent.message).toContain(TARGET.cluster);
    // With a samples query, NaN is not the signal: starts without a value fail (counted above), none wait.
    expect(judgeCluster(input(counted, { value: query([], { series: 1, dropped: 1 }), samples: samples(7), proportion: true })).rule).toBe('no-data.new-silent');
  });

  it('names the cluster and its starts when it reports starts but no value, and records no starts for no traffic', () => {
    const e = judgeCluster(input(counted, { value: query([], { series: 1 }), samples: samples(7), proportion: true }));
    expect(e.message).toContain(TARGET.cluster);
    expect(e.message).toContain('7 starts');
    const base = { clusters: ['old'], points: [], counts: { failures: 0, samples: 50 }, hasData: true, at: AT };
    const dead = judgeCluster(input(counted, { value: query([], { series: 1 }), samples: samples(0), proportion: true, baseline: base, deadlinePassed: true }));
    expect(dead).toMatchObject({ outcome: 'fail', rule: 'no-data.no-traffic', samples: 0 });
  });

  it('counts a samples series as reporting', () => {
    const m = metric({ threshold: { max: 1 }, samplesQuery: 's' });
    const e = judgeCluster(input(m, { value: query([]), samples: query([0], { purpose: 'samples', series: 1 }), reportedBefore: true, gapBefore: true }));
    expect(e.rule).not.toBe('no-data.stopped-reporting');
  });
});

describe('points of a plain value', () => {
  it('waits below minSamples data points with the latest value', () => {
    // Points are samples for comparisons (a threshold without a samplesQuery may not set minSamples above 1: validate).
    const m = metric({ comparison: { method: 'ratio', maxRatio: 2, resolution: '1m' }, lookback: '3m', minSamples: 3 });
    const baseline = { clusters: ['old'], points: [0.3, 0.3, 0.3], counts: { failures: 0, samples: 0 }, hasData: true, at: AT };
    expect(judgeCluster(input(m, { value: query([0.2, 0.4]), baseline }))).toMatchObject({ outcome: 'wait', rule: 'samples.below-minimum', message: `m: 2 samples on ${TARGET.cluster}, need 3`, samples: 2, value: 0.4 });
    expect(judgeCluster(input(m, { value: query([0.2, 0.4, 0.3]), baseline }))).toMatchObject({ outcome: 'pass', samples: 3 });
  });

  it('checks every point of a threshold metric, records the baseline median beside it only with old clusters', () => {
    const m = metric({ threshold: { max: 1 } });
    const base = { clusters: ['old'], points: [5, 1, 3, 2], counts: { failures: 0, samples: 0 }, hasData: true, at: AT };
    const e = judgeCluster(input(m, { value: query([2, 0.5]), baseline: base }));
    expect(e).toMatchObject({ outcome: 'fail', rule: 'threshold.max', value: 0.5, samples: 2 });
    // Median of 1, 2, 3, 5 = 2.5.
    expect(e.baseline).toEqual({ clusters: ['old'], at: AT, points: 4, value: 2.5 });
    expect(judgeCluster(input(m, { value: query([0.5]), baseline: { ...base, clusters: [] } })).baseline).toBeUndefined();
    // Old clusters without points: no median (not 0).
    expect(judgeCluster(input(m, { value: query([0.5]), baseline: { ...base, points: [] } })).baseline).toStrictEqual({ clusters: ['old'], at: AT, points: 0, value: undefined });
  });

  it('refuses a metric with neither threshold nor comparison (the config schema never lets one through) instead of judging it', () => {
    const bare = { ...metric({ threshold: { max: 1 } }), threshold: undefined } as MetricConfig;
    expect(() => judgeCluster(input(bare, { value: query([0.5]) }))).toThrow('metric m has neither threshold nor comparison');
    const base = { clusters: ['old'], points: [], counts: { failures: 1, samples: 100 }, hasData: true, at: AT };
    const ratio = { ...counted, threshold: undefined } as MetricConfig;
    expect(() => judgeCluster(input(ratio, { value: query([0.1]), samples: samples(50), proportion: true, baseline: base }))).toThrow('metric m has neither threshold nor comparison');
  });

  it('shows the median of the compared points, and waits for a baseline with fewer than minSamples points', () => {
    const m = metric({ comparison: { method: 'ratio', maxRatio: 2, resolution: '1m' }, minSamples: 3 });
    const base = { clusters: ['old'], points: [1, 1], counts: { failures: 0, samples: 0 }, hasData: true, at: AT };
    const few = judgeCluster(input(m, { value: query([9, 1, 3]), baseline: base }));
    expect(few).toMatchObject({ outcome: 'wait', rule: 'samples.baseline-below-minimum', message: `m: 2 baseline points for ${TARGET.cluster}, need 3`, value: 3, samples: 3, baseline: { points: 2, value: 1 } });
    const enough = judgeCluster(input(m, { value: query([9, 1, 3]), baseline: { ...base, points: [1, 1, 1] } }));
    // mean 13/3 over 1: above 2.
    expect(enough).toMatchObject({ outcome: 'fail', rule: 'ratio.above-max', value: 3 });
    expect(enough.message).toContain(TARGET.cluster);
    const none = judgeCluster(input(m, { value: query([9, 1, 3, 4]), baseline: { ...base, points: [] } }));
    // Median of 1, 3, 4, 9 = 3.5.
    expect(none).toMatchObject({ outcome: 'inconclusive', rule: 'no-data.baseline-missing', value: 3.5, message: `m: ${TARGET.cluster} has 4 values but the baseline has none: nothing to compare with` });
  });

  it('waits on a comparison that cannot reject yet, and is inconclusive with it past the deadline', () => {
    const m = metric({ comparison: { method: 'mann-whitney', resolution: '1m' } });
    const base = { clusters: ['old'], points: [1, 2], counts: { failures: 0, samples: 0 }, hasData: true, at: AT };
    expect(judgeCluster(input(m, { value: query([3, 4]), baseline: base }))).toMatchObject({ outcome: 'wait', rule: 'mann-whitney.cannot-reject', value: 3.5 });
    expect(judgeCluster(input(m, { value: query([3, 4]), baseline: base, deadlinePassed: true }))).toMatchObject({ outcome: 'inconclusive', rule: 'mann-whitney.cannot-reject' });
  });
});
