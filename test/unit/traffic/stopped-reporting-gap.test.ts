/**
 * Issue #10: one missed scrape must not roll back a healthy shift. A new cluster that
 * had reported is "stopped reporting" only at the SECOND measurement in a row without
 * series (the first is a gap: wait), also across a restart; and at 100 % (baseline
 * from before the shift) everything vanishing is the pipeline (error), not the cluster.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { metricSchema } from '../../../src/traffic/analysis-config.js';
import { realClock } from '../../../src/traffic/clock.js';
import { trafficShiftSchema, type TrafficShiftInput } from '../../../src/traffic/config.js';
import { evaluateMetric, type MeasurementContext } from '../../../src/traffic/judges/metric-judge.js';
import type { MetricSeries } from '../../../src/traffic/providers/provider.js';
import { runShift, type ShiftResult } from '../../../src/traffic/shift-controller.js';
import { FakeMetricProvider } from './fake-metric-provider.js';
import { FakeRegistry, MemoryJournal, QueueControl } from './fake-shift-ports.js';

const NEW = { name: 'eu18', cluster: 'gp-prod-ws-eu18-eu-west1', region: 'europe-west1' };
const OLD = { name: 'eu17', cluster: 'gp-prod-ws-eu17-eu-west1', region: 'europe-west1' };
const RATE = (short: string) => `fail_rate{c="${short}"}`;
const METRIC = 'start-failure-rate';

describe('a gap in a reporting cluster (judge)', () => {
  const metric = metricSchema.parse({ name: METRIC, query: 'fail_rate{c="{{shortName}}"}', threshold: { max: 0.05 } });
  const NOW = new Date('2025-01-01T12:00:00Z');
  const ctx = (provider: FakeMetricProvider, extra: Partial<MeasurementContext> = {}): MeasurementContext => ({
    provider,
    newClusters: [{ cluster: NEW.cluster, shortName: NEW.name, region: NEW.region }],
    oldClusters: [{ cluster: OLD.cluster, shortName: OLD.name, region: OLD.region }],
    intervalMs: 60_000,
    now: NOW,
    elapsedInStepMs: 3_600_000, // far past sampleDeadline: a gap still waits, it never turns inconclusive
    sampleDeadlineMs: 600_000,
    reported: new Set([NEW.cluster]),
    ...extra,
  });

  it('waits on the first empty measurement (no-data.gap) and fails on the second', async () => {
    const p = new FakeMetricProvider().set(RATE('eu17'), [0.01]);
    const gap = await evaluateMetric(metric, ctx(p));
    expect(gap).toMatchObject({ outcome: 'wait', rule: 'no-data.gap' });
    expect(gap.message).toMatch(/eu18-eu-west1 reported before, but none of its series are in this window \(a missed scrape\?\)/);
    const second = await evaluateMetric(metric, ctx(p, { gaps: { [METRIC]: [NEW.cluster] } }));
    expect(second).toMatchObject({ outcome: 'fail', rule: 'no-data.stopped-reporting' });
    expect(second.message).toMatch(/series are gone: it stopped reporting \(no series in two measurements in a row/);
  });

  it('judges the data again when the series come back after a gap', async () => {
    const p = new FakeMetricProvider().set(RATE('eu17'), [0.01]).set(RATE('eu18'), [0.01]);
    expect(await evaluateMetric(metric, ctx(p, { gaps: { [METRIC]: [NEW.cluster] } }))).toMatchObject({ outcome: 'pass' });
  });

  it('at 100 % tells broken scraping (old clusters current series gone too: error) from a stopped cluster (fail)', async () => {
    const shiftStart = new Date(NOW.getTime() - 600_000);
    // Answers like Prometheus after the break: eu17's series exist only up to the shift's start.
    class Before extends FakeMetricProvider {
      override async instant(query: string, options?: { time?: Date }): Promise<MetricSeries[]> {
        const series = await super.instant(query, options);
        return (options?.time?.getTime() ?? 0) > shiftStart.getTime() ? [] : series;
      }
    }
    const broken = new Before().set(RATE('eu17'), [0.01]);
    for (const gaps of [undefined, { [METRIC]: [NEW.cluster] }]) {
      const d = await evaluateMetric(metric, ctx(broken, { baselineAt: shiftStart, gaps }));
      expect(d).toMatchObject({ outcome: 'error', rule: 'no-data.pipeline' });
      expect(d.message).toMatch(/no current series for new or old clusters .*the metrics pipeline looks broken/);
      expect(d.queries.filter((q) => q.purpose === 'liveness')).toMatchObject([{ side: 'old', cluster: OLD.cluster, series: 0 }]);
    }
    // The old cluster still reports now: only the new one went away.
    const stopped = new FakeMetricProvider().set(RATE('eu17'), [0.01]);
    const d = await evaluateMetric(metric, ctx(stopped, { baselineAt: shiftStart, gaps: { [METRIC]: [NEW.cluster] } }));
    expect(d).toMatchObject({ outcome: 'fail', rule: 'no-data.stopped-reporting' });
    expect(d.queries.filter((q) => q.purpose === 'liveness')).toMatchObject([{ side: 'old', cluster: OLD.cluster, series: 1 }]);
    // While the new cluster reports, no liveness query is sent.
    const healthy = new FakeMetricProvider().set(RATE('eu17'), [0.01]).set(RATE('eu18'), [0.01]);
    const ok = await evaluateMetric(metric, ctx(healthy, { baselineAt: shiftStart }));
    expect(ok.outcome).toBe('pass');
    expect(ok.queries.some((q) => q.purpose === 'liveness')).toBe(false);
  });
});

describe('a gap in a reporting cluster (controller)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2025-01-01T12:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const config = () =>
    trafficShiftSchema.parse({
      steps: [25, 50, 100],
      interval: '60s',
      analysis: { provider: { type: 'simulator' }, metrics: [{ name: METRIC, query: 'fail_rate{c="{{shortName}}"}', threshold: { max: 0.05 } }] },
    } as TrafficShiftInput);

  function setup() {
    const registry = new FakeRegistry();
    for (const meta of ['meta-eu']) registry.add(meta, { name: 'eu18', state: 'CORDONED', score: 50 }).add(meta, { name: 'eu17', score: 100 });
    const journal = new MemoryJournal(registry.log);
    const provider = new FakeMetricProvider().set(RATE('eu18'), [0.01]).set(RATE('eu17'), [0.01]);
    const deps = { registry, metas: ['meta-eu'], provider, clock: realClock, journal, control: new QueueControl(), sink: new MemorySink() };
    return { journal, provider, deps };
  }

  function start(deps: ReturnType<typeof setup>['deps'], signal?: AbortSignal) {
    let settled: ShiftResult | Error | undefined;
    runShift({ ...deps, signal }, { deploymentId: 'd1', config: config(), newClusters: [NEW], oldClusters: [OLD] }).then(
      (r) => (settled = r),
      (e: Error) => (settled = e),
    );
    return { result: () => settled };
  }
  const minutes = (n: number) => vi.advanceTimersByTimeAsync(n * 60_000);
  const rules = (journal: MemoryJournal) => journal.decisions.map((d) => d.decisions[0]?.rule);

  it('one missed scrape, then data again: no failure, the shift promotes', async () => {
    const { journal, provider, deps } = setup();
    const run = start(deps);
    await minutes(1.5); // 1 min: data (reported)
    provider.set(RATE('eu18')); // no series
    await minutes(1); // 2 min: the gap
    expect(journal.decisions.at(-1)).toMatchObject({ verdict: 'wait' });
    expect(journal.progress?.gaps).toEqual({ [METRIC]: [NEW.cluster] });
    provider.set(RATE('eu18'), [0.01]);
    await minutes(5);
    expect(run.result()).toMatchObject({ outcome: 'promoted' });
    expect(rules(journal)).toContain('no-data.gap');
    expect(journal.decisions.some((d) => d.verdict === 'fail')).toBe(false);
    expect(journal.progress?.gaps).toEqual({ [METRIC]: [] });
  });

  it('two empty measurements in a row: rolled back at the second', async () => {
    const { journal, provider, deps } = setup();
    const run = start(deps);
    await minutes(1.5);
    provider.set(RATE('eu18'));
    await minutes(1); // 2 min: the gap
    expect(run.result()).toBeUndefined();
    await minutes(1); // 3 min: stopped reporting
    expect(run.result()).toMatchObject({ outcome: 'rolled-back', reason: expect.stringMatching(/^fail: .*eu18-eu-west1 reported before, but its series are gone: it stopped reporting/) });
    expect(rules(journal).slice(-2)).toEqual(['no-data.gap', 'no-data.stopped-reporting']);
  });

  it('a restart between the two empty measurements keeps the gap: the second still fails', async () => {
    const { journal, provider, deps } = setup();
    const abort = new AbortController();
    start(deps, abort.signal);
    await minutes(1.5);
    provider.set(RATE('eu18'));
    await minutes(1); // 2 min: the gap
    abort.abort();
    await vi.advanceTimersByTimeAsync(1);
    expect(journal.progress?.gaps).toEqual({ [METRIC]: [NEW.cluster] });
    const second = start(deps);
    await minutes(1);
    expect(second.result()).toMatchObject({ outcome: 'rolled-back', reason: expect.stringMatching(/it stopped reporting/) });
    expect(rules(journal).slice(-2)).toEqual(['no-data.gap', 'no-data.stopped-reporting']);
  });
});

describe('a thin baseline (late scrapes) only delays a comparison', () => {
  const metric = metricSchema.parse({ name: 'lat', query: 'lat{c="{{shortName}}"}', comparison: { method: 'mann-whitney', confidence: 0.99, resolution: '2s' }, lookback: '12s', minSamples: 6 });
  const ctx = (provider: FakeMetricProvider, elapsedInStepMs: number): MeasurementContext => ({
    provider,
    newClusters: [{ cluster: NEW.cluster, shortName: NEW.name, region: NEW.region }],
    oldClusters: [{ cluster: OLD.cluster, shortName: OLD.name, region: OLD.region }],
    intervalMs: 4_000,
    now: new Date('2025-01-01T12:00:00Z'),
    elapsedInStepMs,
    sampleDeadlineMs: 60_000,
  });

  it('waits while the baseline has fewer than minSamples points, inconclusive only past sampleDeadline, judged once it has them', async () => {
    const thin = new FakeMetricProvider().set('lat{c="eu18"}', [8, 8.1, 8.2, 7.9, 8.3, 8]).set('lat{c="eu17"}', [8, 8.2, 7.9]);
    expect(await evaluateMetric(metric, ctx(thin, 8_000))).toMatchObject({ outcome: 'wait', rule: 'samples.baseline-below-minimum' });
    expect(await evaluateMetric(metric, ctx(thin, 60_000))).toMatchObject({ outcome: 'inconclusive', rule: 'samples.deadline-passed' });
    const full = new FakeMetricProvider().set('lat{c="eu18"}', [8, 8.1, 8.2, 7.9, 8.3, 8]).set('lat{c="eu17"}', [8, 8.2, 7.9, 8.1, 8.05, 8.15]);
    expect(await evaluateMetric(metric, ctx(full, 8_000))).toMatchObject({ outcome: 'pass' });
  });

  it('a test that cannot reject yet (too few distinct points) waits until sampleDeadline, then is inconclusive', async () => {
    const few = metricSchema.parse({ name: 'lat', query: 'lat{c="{{shortName}}"}', comparison: { method: 'mann-whitney', confidence: 0.98, resolution: '2s' }, lookback: '6s', minSamples: 3 });
    const p = new FakeMetricProvider().set('lat{c="eu18"}', [5, 6, 7]).set('lat{c="eu17"}', [1, 2, 3]);
    expect(await evaluateMetric(few, ctx(p, 8_000))).toMatchObject({ outcome: 'wait', rule: 'mann-whitney.cannot-reject' });
    expect(await evaluateMetric(few, ctx(p, 60_000))).toMatchObject({ outcome: 'inconclusive', rule: 'mann-whitney.cannot-reject' });
  });
});
