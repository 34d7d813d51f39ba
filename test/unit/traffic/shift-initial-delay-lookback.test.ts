/**
 * Per-metric `initialDelay` and `lookback` through the shift controller (not only config parsing), on a
 * virtual clock (vitest fake timers drive the real clock) with a fake provider that records the time of
 * every query: no metric is measured before its initialDelay in any stage, the query window and range
 * really are the lookback, and both hold with per-metric interval/count, accumulation, and a restart.
 *
 * The expected schedules are worked out by hand from the documented rules (docs/canary-analysis.md):
 * the controller ticks every shortest interval after the analysis-wide initialDelay (first step only);
 * a metric is due when `floor((t − its initialDelay) / its interval)` exceeds the measurements it had
 * in the stage, where t is the time since the stage began (minus the analysis-wide delay).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { realClock } from '../../../src/traffic/clock.js';
import { trafficShiftSchema, type TrafficShiftInput } from '../../../src/traffic/config.js';
import { runShift, type ShiftResult } from '../../../src/traffic/shift-controller.js';
import { FakeMetricProvider } from './fake-metric-provider.js';
import { FakeRegistry, MemoryJournal, QueueControl } from './fake-shift-ports.js';

const T0 = Date.parse('2025-01-01T12:00:00Z');
const NEW = { name: 'eu18', cluster: 'gp-prod-ws-eu18-eu-west1', region: 'europe-west1' };
const OLD = { name: 'eu17', cluster: 'gp-prod-ws-eu17-eu-west1', region: 'europe-west1' };

/**
 * `fast` every 60 s (default), `slow` every 120 s after 90 s with count 2 over a 5 min lookback, and a
 * dry-run metric with the same delay and interval as `slow` (dry runs are measurements too).
 */
const METRICS = [
  { name: 'fast', query: 'fast{c="{{shortName}}",w="{{interval}}"}', threshold: { max: 0.05 } },
  { name: 'slow', query: 'slow{c="{{shortName}}",w="{{lookback}}"}', threshold: { max: 0.05 }, interval: '120s', initialDelay: '90s', count: 2, lookback: '5m' },
  { name: 'dry', query: 'dry{c="{{shortName}}"}', threshold: { max: 0.05 }, interval: '120s', initialDelay: '90s', dryRun: true },
];

function setup() {
  const registry = new FakeRegistry();
  registry.add('meta-eu', { name: 'eu18', state: 'CORDONED', score: 50 }).add('meta-eu', { name: 'eu17', score: 100 });
  const journal = new MemoryJournal(registry.log);
  const provider = new FakeMetricProvider();
  for (const c of ['eu18', 'eu17']) {
    provider.set(`fast{c="${c}",w="1m"}`, [0.01]).set(`slow{c="${c}",w="5m"}`, [0.01]).set(`dry{c="${c}"}`, [0.01]);
  }
  const deps = { registry, metas: ['meta-eu'], provider, clock: realClock, journal, control: new QueueControl(), sink: new MemorySink() };
  return { registry, journal, provider, deps };
}

function run(deps: ReturnType<typeof setup>['deps'], input: Partial<TrafficShiftInput>, signal?: AbortSignal) {
  const config = trafficShiftSchema.parse({
    steps: [25, 50, 100],
    interval: '60s',
    ...input,
    analysis: { provider: { type: 'simulator' }, initialDelay: '30s', metrics: METRICS, ...(input.analysis ?? {}) },
  } as TrafficShiftInput);
  let settled: ShiftResult | Error | undefined;
  runShift({ ...deps, signal }, { deploymentId: 'd1', config, newClusters: [NEW], oldClusters: [OLD] }).then(
    (r) => (settled = r),
    (e: Error) => (settled = e),
  );
  return () => settled;
}

/** [percent, seconds since T0, metrics measured] per journaled measurement. */
function schedule(journal: MemoryJournal): Array<[number, number, string[]]> {
  return journal.decisions.map((d) => [d.percent, (Date.parse(d.at) - T0) / 1000, d.decisions.map((m) => m.metric)]);
}

/** Seconds since T0 at which `metric` was measured in the stage at `percent`. */
function times(journal: MemoryJournal, metric: string, percent: number): number[] {
  return schedule(journal)
    .filter(([p, , ms]) => p === percent && ms.includes(metric))
    .map(([, t]) => t);
}

describe('initialDelay and lookback through the shift controller', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('measures no metric before its initialDelay in any stage, each on its own interval, and advances when count passes are in', async () => {
    const { journal, deps } = setup();
    const result = run(deps, {});
    await vi.advanceTimersByTimeAsync(30 * 60_000);
    expect(result()).toMatchObject({ outcome: 'promoted' });
    // Step 1 (25 %) from 0 s: analysis initialDelay 30 s, so ticks at 30 + 60k. slow/dry are due when
    // floor((60k − 90) / 120) grows: k = 4 (270 s) and k = 6 (390 s); slow's 2nd pass ends the step at 390 s.
    // Step 2 (50 %) from 390 s, no analysis delay: ticks at +60k; slow at +240, +360 → ends at 750 s.
    // Step 3 (100 %) from 750 s: slow at +240, +360 → 1110 s; bake 0 → promoted.
    const stages: Array<[number, number, number]> = [[25, 0, 30], [50, 390, 0], [100, 750, 0]];
    for (const [percent, start, delay] of stages) {
      expect(times(journal, 'fast', percent)).toEqual([1, 2, 3, 4, 5, 6].map((k) => start + delay + 60 * k));
      expect(times(journal, 'slow', percent)).toEqual([start + delay + 240, start + delay + 360]);
      expect(times(journal, 'dry', percent)).toEqual([start + delay + 240, start + delay + 360]);
      // The property itself, independent of the cadence arithmetic: nothing before the delays.
      for (const t of times(journal, 'slow', percent)) expect(t).toBeGreaterThanOrEqual(start + delay + 90);
      for (const t of times(journal, 'fast', percent)) expect(t).toBeGreaterThanOrEqual(start + delay);
    }
    // Until slow's second pass the step only waits (count 2), though every measurement passed.
    const step1 = journal.decisions.filter((d) => d.percent === 25);
    expect(step1.map((d) => d.verdict)).toEqual(['wait', 'wait', 'wait', 'wait', 'wait', 'pass']);
    expect(step1[3]?.message).toMatch(/slow 1\/2/);
  });

  it('reads each metric over its own lookback: the query window and the range span it, for threshold and comparison metrics', async () => {
    const { journal, provider, deps } = setup();
    const up = [1, 2, 3, 4, 5, 6];
    provider.set('lat{c="eu18",w="30s"}', up).set('lat{c="eu17",w="30s"}', up.map((v) => v + 0.5));
    const latency = { name: 'latency', query: 'lat{c="{{shortName}}",w="{{window}}"}', lookback: '3m', comparison: { method: 'mann-whitney', resolution: '30s' } };
    const result = run(deps, { steps: [50, 100], analysis: { initialDelay: '0s', metrics: [METRICS[1], latency] } as never });
    await vi.advanceTimersByTimeAsync(30 * 60_000);
    expect(result()).toMatchObject({ outcome: 'promoted' });
    // Threshold: instant query at the measurement time, its window is the 5 m lookback (not the 1 m or 2 m interval).
    const slowCalls = provider.calls.filter((c) => c.query.startsWith('slow{c="eu18"'));
    expect(slowCalls.length).toBeGreaterThan(0);
    for (const c of slowCalls) expect(c).toMatchObject({ kind: 'instant', query: 'slow{c="eu18",w="5m"}' });
    expect(slowCalls.map((c) => c.at)).toEqual(times(journal, 'slow', 50).concat(times(journal, 'slow', 100)).map((t) => T0 + t * 1000));
    // Comparison: a range over the 3 m lookback at 30 s: 6 aligned points ending at the measurement
    // (for the old cluster at 100 %: ending when the shift began, the baseline offset).
    const newRanges = provider.calls.filter((c) => c.query === 'lat{c="eu18",w="30s"}');
    expect(newRanges.length).toBe(times(journal, 'latency', 50).length + times(journal, 'latency', 100).length);
    for (const c of newRanges) {
      expect(c.kind).toBe('range');
      expect(c.stepMs).toBe(30_000);
      expect((c.end ?? 0) - (c.start ?? 0)).toBe(5 * 30_000);
      expect(c.end).toBe(Math.floor((c.end ?? 0) / 30_000) * 30_000);
    }
    const oldAt100 = provider.calls.filter((c) => c.query === 'lat{c="eu17",w="30s"}').slice(-1)[0];
    expect(oldAt100).toMatchObject({ start: T0 - 5 * 30_000, end: T0 });
    const decision = journal.decisions.find((d) => d.decisions.some((m) => m.metric === 'latency'))?.decisions.find((m) => m.metric === 'latency');
    expect(decision?.window).toMatchObject({ resolutionMs: 30_000 });
    expect(decision?.statistics).toMatchObject({ n1: 6, n2: 6 });
  });

  it('adds up proportion counts only when the lookback fits the interval (disjoint windows), never over overlapping ones', async () => {
    const { journal, provider, deps } = setup();
    for (const c of ['eu18', 'eu17']) {
      provider.set(`ratio{c="${c}",w="1m"}`, [0.01]).set(`starts{c="${c}",w="1m"}`, [10]).set(`ratio{c="${c}",w="3m"}`, [0.01]).set(`starts{c="${c}",w="3m"}`, [30]);
    }
    const ratio = (name: string, lookback: string) => ({
      name,
      query: 'ratio{c="{{shortName}}",w="{{lookback}}"}',
      samplesQuery: 'starts{c="{{shortName}}",w="{{lookback}}"}',
      threshold: { max: 0.2 },
      minSamples: 1000, // never passes: the stage keeps measuring and the counts keep showing
      lookback,
    });
    run(deps, { steps: [100], analysis: { initialDelay: '0s', sampleDeadline: '1h', metrics: [ratio('disjoint', '1m'), ratio('overlapping', '3m')] } as never });
    await vi.advanceTimersByTimeAsync(4 * 60_000 + 1);
    const samples = (metric: string) => journal.decisions.map((d) => d.decisions.find((m) => m.metric === metric)?.clusters?.[0]?.samples);
    expect(samples('disjoint')).toEqual([10, 20, 30, 40]);
    expect(samples('overlapping')).toEqual([30, 30, 30, 30]);
  });

  it('after a restart keeps each metric\'s measurements of the stage and still measures nothing before its initialDelay', async () => {
    const { journal, deps } = setup();
    const abort = new AbortController();
    const first = run(deps, {}, abort.signal);
    // Step 2 (50 %) began at 390 s; slow was measured there once at 630 s. Stop at 650 s, down for 100 s.
    await vi.advanceTimersByTimeAsync(650_000);
    expect(times(journal, 'slow', 50)).toEqual([630]);
    abort.abort();
    await vi.advanceTimersByTimeAsync(1);
    expect((first() as Error).name).toBe('AbortError');
    await vi.advanceTimersByTimeAsync(99_999);
    // Resumed at 750 s (360 s into the step): the missed slot is measured once, at once; slow's
    // 1 < floor((360 − 90) / 120) = 2 makes it due, its 2nd pass (the 1st survived) ends the step.
    const abort2 = new AbortController();
    const second = run(deps, {}, abort2.signal);
    await vi.advanceTimersByTimeAsync(1);
    expect(times(journal, 'slow', 50)).toEqual([630, 750]);
    expect(journal.decisions.filter((d) => d.percent === 50).at(-1)?.verdict).toBe('pass');
    expect(journal.progress).toMatchObject({ phase: 'steps', stepIndex: 2 });
    // Step 3 (100 %) from 750 s: stopped at +61 s and down 20 s, before slow's initialDelay; the
    // restart does not bring slow forward: still at +240 s and +360 s.
    await vi.advanceTimersByTimeAsync(61_000);
    abort2.abort();
    await vi.advanceTimersByTimeAsync(1);
    expect((second() as Error).name).toBe('AbortError');
    await vi.advanceTimersByTimeAsync(19_999);
    const third = run(deps, {});
    await vi.advanceTimersByTimeAsync(30 * 60_000);
    expect(third()).toMatchObject({ outcome: 'promoted' });
    expect(times(journal, 'fast', 100)).toEqual([810, 870, 930, 990, 1050, 1110]);
    expect(times(journal, 'slow', 100)).toEqual([990, 1110]);
    expect(times(journal, 'dry', 100)).toEqual([990, 1110]);
  });
});
