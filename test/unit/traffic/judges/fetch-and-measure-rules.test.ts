/**
 * Fetching and measuring as rules: a failed query is recorded with its kind (never
 * thrown) except our own abort; NaN values are dropped and counted, ±Inf kept apart; range
 * windows are aligned to the step (times worked out by hand); at most `limit` queries
 * are in flight and results keep the input order; a measurement judges only the due
 * metrics and never lets a dry-run metric's limits decide.
 */
import { describe, expect, it } from 'vitest';
import { metricSchema } from '../../../../src/traffic/analysis-config.js';
import { fetchValues, mapLimit, rangeWindow, type FetchRequest } from '../../../../src/traffic/judges/fetch-values.js';
import { measure, metricLimits } from '../../../../src/traffic/judges/measure.js';
import { ZERO_COUNTERS } from '../../../../src/traffic/judges/step-verdict.js';
import { MetricQueryError, type MetricProvider } from '../../../../src/traffic/providers/provider.js';
import { FakeMetricProvider } from '../fake-metric-provider.js';

const A = { cluster: 'gp-prod-ws-eu18-eu-west1', shortName: 'eu18', region: 'europe-west1' };
const B = { cluster: 'gp-prod-ws-eu17-eu-west1', shortName: 'eu17', region: 'europe-west1' };
const NOW = new Date('2025-01-01T12:00:30Z');

function request(provider: MetricProvider, extra: Partial<FetchRequest> = {}): FetchRequest {
  return { provider, template: 'v{c="{{shortName}}",i="{{interval}}",w="{{window}}"}', purpose: 'value', mode: { kind: 'instant' }, targets: [{ side: 'new', target: A }, { side: 'old', target: B }], intervalMs: 300_000, now: NOW, ...extra };
}

function throwing(error: unknown): MetricProvider {
  return {
    description: 'throwing',
    instant: async () => {
      throw error;
    },
    range: async () => {
      throw error;
    },
  };
}

describe('fetchValues', () => {
  it('resolves the template per target, takes the window from the interval by default, and keeps the order and sides', async () => {
    const p = new FakeMetricProvider().set('v{c="eu18",i="5m",w="5m"}', [1, 2], [3]).set('v{c="eu17",i="5m",w="5m"}', [4]);
    const r = await fetchValues(request(p));
    expect(r).toEqual([
      { side: 'new', cluster: A.cluster, purpose: 'value', query: 'v{c="eu18",i="5m",w="5m"}', series: 2, values: [2, 3], infinities: [], dropped: 0 },
      { side: 'old', cluster: B.cluster, purpose: 'value', query: 'v{c="eu17",i="5m",w="5m"}', series: 1, values: [4], infinities: [], dropped: 0 },
    ]);
    expect(p.calls.map((c) => c.at)).toEqual([NOW.getTime(), NOW.getTime()]);
  });

  it('asks a range aligned to the step and keeps every point; drops and counts NaN, keeps infinities apart', async () => {
    const p = new FakeMetricProvider().set('v{c="eu18",i="5m",w="1m"}', [1, Number.NaN, 2, Number.NEGATIVE_INFINITY]);
    const [r] = await fetchValues(request(p, { mode: { kind: 'range', stepMs: 60_000 }, windowMs: 60_000, targets: [{ side: 'new', target: A }] }));
    expect(r).toMatchObject({ series: 1, values: [1, 2], infinities: [Number.NEGATIVE_INFINITY], dropped: 1 });
    expect(p.calls).toEqual([{ kind: 'range', query: 'v{c="eu18",i="5m",w="1m"}', start: Date.parse('2025-01-01T11:56:00Z'), end: Date.parse('2025-01-01T12:00:00Z'), stepMs: 60_000 }]);
  });

  it('records a failed query with its kind and message instead of throwing', async () => {
    const [q] = await fetchValues(request(throwing(new MetricQueryError('auth', 'HTTP 401 from prometheus')), { targets: [{ side: 'new', target: A }] }));
    expect(q).toEqual({ side: 'new', cluster: A.cluster, purpose: 'value', query: 'v{c="eu18",i="5m",w="5m"}', series: 0, values: [], infinities: [], dropped: 0, error: { kind: 'auth', message: 'HTTP 401 from prometheus' } });
    const [u] = await fetchValues(request(throwing(new TypeError('boom')), { targets: [{ side: 'new', target: A }] }));
    expect(u?.error).toEqual({ kind: 'unexpected', message: 'boom' });
    const [s] = await fetchValues(request(throwing('plain text'), { targets: [{ side: 'new', target: A }] }));
    expect(s?.error).toEqual({ kind: 'unexpected', message: 'plain text' });
  });

  it('lets our own abort through: it stops the evaluation, it is not a metrics failure', async () => {
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    await expect(fetchValues(request(throwing(abort)))).rejects.toBe(abort);
    const aborted = new MetricQueryError('aborted', 'query aborted');
    await expect(fetchValues(request(throwing(aborted)))).rejects.toBe(aborted);
  });
});

describe('rangeWindow', () => {
  it('ends on the last multiple of the step and spans lookback / step points', () => {
    // 12:00:30 at 1m → end 12:00; 5 points → start 11:56.
    expect(rangeWindow(NOW, 300_000, 60_000)).toEqual({ start: new Date('2025-01-01T11:56:00Z'), end: new Date('2025-01-01T12:00:00Z') });
    // 330 s at 60 s → 5 whole points.
    expect(rangeWindow(NOW, 330_000, 60_000).start).toEqual(new Date('2025-01-01T11:56:00Z'));
  });

  it('keeps at least one point and a step of at least 1 ms', () => {
    expect(rangeWindow(NOW, 10_000, 60_000)).toEqual({ start: new Date('2025-01-01T12:00:00Z'), end: new Date('2025-01-01T12:00:00Z') });
    expect(rangeWindow(new Date(1005), 3, 0)).toEqual({ start: new Date(1003), end: new Date(1005) });
  });
});

describe('mapLimit', () => {
  it('keeps the input order however the calls finish', async () => {
    const delays = [30, 0, 20, 10, 0];
    const r = await mapLimit(delays, 2, (d) => new Promise<number>((resolve) => setTimeout(() => resolve(d * 2), d)));
    expect(r).toEqual([60, 0, 40, 20, 0]);
  });

  it('has at most `limit` calls in flight, and uses the limit when there are enough items', async () => {
    let inFlight = 0;
    let most = 0;
    const gates: Array<() => void> = [];
    const run = mapLimit([1, 2, 3, 4, 5, 6, 7], 3, async (x) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise<void>((resolve) => gates.push(resolve));
      inFlight--;
      return x;
    });
    // Release one waiting call at a time until all are done.
    for (let released = 0; released < 7; released++) {
      while (gates.length === 0) await new Promise((r) => setTimeout(r, 1));
      gates.shift()?.();
    }
    expect(await run).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(most).toBe(3);
  });

  it('returns an empty list for no items without calling', async () => {
    let calls = 0;
    expect(await mapLimit([], 4, async () => ++calls)).toEqual([]);
    expect(calls).toBe(0);
  });
});

describe('measure', () => {
  const metric = (name: string, extra: Record<string, unknown> = {}) => metricSchema.parse({ name, query: `${name}{c="{{shortName}}"}`, threshold: { max: 0.05 }, ...extra });

  it("keeps each deciding metric's own limits, leaves dry-run metrics out", () => {
    expect(metricLimits([metric('a', { failureLimit: 2, count: 3 }), metric('b', { dryRun: true }), metric('c', { consecutiveErrorLimit: 4, inconclusiveLimit: 1 })])).toEqual({
      a: { failureLimit: 2, consecutiveErrorLimit: undefined, inconclusiveLimit: undefined, count: 3 },
      c: { failureLimit: undefined, consecutiveErrorLimit: 4, inconclusiveLimit: 1, count: undefined },
    });
  });

  it('evaluates only the due metrics and records time, source, decisions and verdict', async () => {
    const p = new FakeMetricProvider().set('a{c="eu18"}', [0.5]).set('a{c="eu17"}', [0.01]).set('b{c="eu18"}', [0.01]).set('b{c="eu17"}', [0.01]);
    const analysis = { metrics: [metric('a', { failureLimit: 1 }), metric('b')], failureLimit: 0, consecutiveErrorLimit: 0, inconclusiveLimit: 0 };
    const ctx = { provider: p, newClusters: [A], oldClusters: [B], intervalMs: 300_000, now: NOW, elapsedInStepMs: 0, sampleDeadlineMs: 600_000 };
    const r = await measure(analysis, ctx, ZERO_COUNTERS, (m) => m.name === 'a');
    expect(r.at).toBe('2025-01-01T12:00:30.000Z');
    expect(r.source).toBe('fake');
    expect(r.decisions.map((d) => [d.metric, d.outcome])).toEqual([['a', 'fail']]);
    // a's own failureLimit 1 tolerates the failure (the analysis-wide 0 would not); b is required but not measured.
    expect(r).toMatchObject({ verdict: 'wait', outcome: 'fail', rule: 'measurement.fail' });
    const all = await measure(analysis, ctx, ZERO_COUNTERS);
    expect(all.decisions.map((d) => d.metric)).toEqual(['a', 'b']);
  });
});
