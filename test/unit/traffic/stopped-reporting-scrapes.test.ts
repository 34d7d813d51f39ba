/**
 * Issue #10: a cluster that stopped reporting is caught at the FIRST empty window when that
 * window cannot have been emptied by a missed scrape. rate()/increase() need two samples; a
 * window spanning ≥ 3 scrape intervals (analysis.scrapeInterval) holds ≥ 3, so one missed
 * scrape still leaves two. Shorter windows, or an unknown scrape interval, keep the gap rule
 * (stopped-reporting-gap.test.ts). "Never reported" and "pipeline broken" stay what they were.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { analysisSchema, metricSchema } from '../../../src/traffic/analysis-config.js';
import { realClock } from '../../../src/traffic/clock.js';
import { trafficShiftSchema, type TrafficShiftInput } from '../../../src/traffic/config.js';
import { emptyWindowIsDamning } from '../../../src/traffic/judges/cluster-judge.js';
import { evaluateMetric, type MeasurementContext } from '../../../src/traffic/judges/metric-judge.js';
import type { MetricSeries } from '../../../src/traffic/providers/provider.js';
import { runShift, type ShiftResult } from '../../../src/traffic/shift-controller.js';
import { FakeMetricProvider } from './fake-metric-provider.js';
import { FakeRegistry, MemoryJournal, QueueControl } from './fake-shift-ports.js';

const NEW = { name: 'eu18', cluster: 'gp-prod-ws-eu18-eu-west1', region: 'europe-west1' };
const OLD = { name: 'eu17', cluster: 'gp-prod-ws-eu17-eu-west1', region: 'europe-west1' };
const RATE = (short: string) => `fail_rate{c="${short}"}`;
const METRIC = 'start-failure-rate';
const NOW = new Date('2025-01-01T12:00:00Z');

describe('an empty window spanning ≥ 3 known scrapes (judge)', () => {
  const metric = metricSchema.parse({ name: METRIC, query: 'fail_rate{c="{{shortName}}"}', threshold: { max: 0.05 } });
  const ctx = (provider: FakeMetricProvider, extra: Partial<MeasurementContext> = {}): MeasurementContext => ({
    provider,
    newClusters: [{ cluster: NEW.cluster, shortName: NEW.name, region: NEW.region }],
    oldClusters: [{ cluster: OLD.cluster, shortName: OLD.name, region: OLD.region }],
    intervalMs: 60_000,
    now: NOW,
    elapsedInStepMs: 60_000,
    sampleDeadlineMs: 600_000,
    reported: new Set([NEW.cluster]),
    ...extra,
  });
  const gone = () => new FakeMetricProvider().set(RATE('eu17'), [0.01]);

  it('the threshold is 3 scrapes: 60 s with 20 s scrapes is damning, with 30 s or unknown scrapes it is not', () => {
    expect(emptyWindowIsDamning(60_000, 20_000)).toBe(true);
    expect(emptyWindowIsDamning(59_999, 20_000)).toBe(false);
    expect(emptyWindowIsDamning(60_000, 30_000)).toBe(false);
    expect(emptyWindowIsDamning(60_000, undefined)).toBe(false);
    expect(emptyWindowIsDamning(undefined, 1_000)).toBe(false);
    expect(emptyWindowIsDamning(60_000, 0)).toBe(false);
  });

  it('fails at the first empty measurement when the 60 s window spans 6 scrapes of 10 s', async () => {
    const d = await evaluateMetric(metric, ctx(gone(), { scrapeIntervalMs: 10_000 }));
    expect(d).toMatchObject({ outcome: 'fail', rule: 'no-data.stopped-reporting' });
    expect(d.message).toMatch(/eu18-eu-west1 reported before, but its series are gone: it stopped reporting \(no series in a 1m window, 6 scrapes of 10s: one missed scrape cannot empty it/);
  });

  it('keeps the gap (wait) when the window spans only 2 scrapes, or the scrape interval is unknown', async () => {
    for (const scrapeIntervalMs of [30_000, undefined]) {
      expect(await evaluateMetric(metric, ctx(gone(), { scrapeIntervalMs }))).toMatchObject({ outcome: 'wait', rule: 'no-data.gap' });
    }
  });

  it('a range comparison counts its own resolution as the window: 2 s points with 1 s scrapes keep the gap', async () => {
    const latInput = (resolution: string) => ({ name: 'lat', query: 'lat{c="{{shortName}}"}[{{window}}]', comparison: { method: 'mann-whitney', confidence: 0.99, resolution }, lookback: '12s', minSamples: 3 });
    const lat = metricSchema.parse(latInput('2s'));
    const p = new FakeMetricProvider().set('lat{c="eu17"}[2s]', [8, 8.2, 7.9, 8.1, 8.05, 8.15]);
    const base = { intervalMs: 4_000, scrapeIntervalMs: 1_000 };
    expect(await evaluateMetric(lat, ctx(p, base))).toMatchObject({ outcome: 'wait', rule: 'no-data.gap' });
    // 4 s points span 4 scrapes: damning.
    const wide = metricSchema.parse(latInput('4s'));
    const q = new FakeMetricProvider().set('lat{c="eu17"}[4s]', [8, 8.2, 7.9]);
    expect(await evaluateMetric(wide, ctx(q, base))).toMatchObject({ outcome: 'fail', rule: 'no-data.stopped-reporting' });
  });

  it('a cluster that never reported still waits for sampleDeadline (never reported is not stopped reporting)', async () => {
    const d = await evaluateMetric(metric, ctx(gone(), { scrapeIntervalMs: 10_000, reported: new Set() }));
    expect(d).toMatchObject({ outcome: 'wait', rule: 'no-data.never-reported' });
  });

  it('at 100 %, old clusters gone too is still the pipeline (error), not the cluster', async () => {
    const shiftStart = new Date(NOW.getTime() - 600_000);
    class Before extends FakeMetricProvider {
      override async instant(query: string, options?: { time?: Date }): Promise<MetricSeries[]> {
        const series = await super.instant(query, options);
        return (options?.time?.getTime() ?? 0) > shiftStart.getTime() ? [] : series;
      }
    }
    const d = await evaluateMetric(metric, ctx(new Before().set(RATE('eu17'), [0.01]), { scrapeIntervalMs: 10_000, baselineAt: shiftStart }));
    expect(d).toMatchObject({ outcome: 'error', rule: 'no-data.pipeline' });
  });

  it('scrapeInterval is an analysis setting (a duration), unset by default', () => {
    const base = { provider: { type: 'simulator' }, metrics: [{ name: METRIC, query: 'x', threshold: { max: 0.05 } }] };
    expect(analysisSchema.parse(base).scrapeInterval).toBeUndefined();
    expect(analysisSchema.parse({ ...base, scrapeInterval: '15s' }).scrapeInterval).toBe(15_000);
    expect(() => analysisSchema.parse({ ...base, scrapeInterval: 'often' })).toThrow();
  });
});

describe('an empty window spanning ≥ 3 known scrapes (controller)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function start(scrapeInterval: string | undefined) {
    const config = trafficShiftSchema.parse({
      steps: [25, 50, 100],
      interval: '60s',
      analysis: { provider: { type: 'simulator' }, ...(scrapeInterval ? { scrapeInterval } : {}), metrics: [{ name: METRIC, query: 'fail_rate{c="{{shortName}}"}', threshold: { max: 0.05 } }] },
    } as TrafficShiftInput);
    const registry = new FakeRegistry();
    registry.add('meta-eu', { name: 'eu18', state: 'CORDONED', score: 50 }).add('meta-eu', { name: 'eu17', score: 100 });
    const journal = new MemoryJournal(registry.log);
    const provider = new FakeMetricProvider().set(RATE('eu18'), [0.01]).set(RATE('eu17'), [0.01]);
    let settled: ShiftResult | Error | undefined;
    runShift({ registry, metas: ['meta-eu'], provider, clock: realClock, journal, control: new QueueControl(), sink: new MemorySink() }, { deploymentId: 'd1', config, newClusters: [NEW], oldClusters: [OLD] }).then(
      (r) => (settled = r),
      (e: Error) => (settled = e),
    );
    return { journal, provider, result: () => settled };
  }
  const minutes = (n: number) => vi.advanceTimersByTimeAsync(n * 60_000);

  it('with 15 s scrapes (a 60 s window spans 4) the first empty measurement rolls back; without, the second', async () => {
    const known = start('15s');
    await minutes(1.5); // 1 min: data (reported)
    known.provider.set(RATE('eu18')); // the series are gone
    await minutes(1); // 2 min: first empty measurement
    expect(known.result()).toMatchObject({ outcome: 'rolled-back', reason: expect.stringMatching(/it stopped reporting \(no series in a 1m window, 4 scrapes of 15s/) });
    expect(known.journal.decisions.map((d) => d.decisions[0]?.rule).slice(-1)).toEqual(['no-data.stopped-reporting']);

    const unknown = start(undefined);
    await minutes(1.5);
    unknown.provider.set(RATE('eu18'));
    await minutes(1);
    expect(unknown.result()).toBeUndefined();
    await minutes(1);
    expect(unknown.result()).toMatchObject({ outcome: 'rolled-back' });
    expect(unknown.journal.decisions.map((d) => d.decisions[0]?.rule).slice(-2)).toEqual(['no-data.gap', 'no-data.stopped-reporting']);
  });
});
