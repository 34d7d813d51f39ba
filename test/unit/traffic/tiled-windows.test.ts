/**
 * A proportion metric adds its windows' counts up over a stage, so its windows must tile: each starts
 * where the previous one ended. Before, every window was `[now − interval, now]`: a measurement that
 * ran late (a slow query: the slots it overran are skipped) or a metric whose interval is off the
 * controller's tick left starts between two windows uncounted (and counted others twice).
 * The provider here is a counter of one start per second (and one failure per 100 starts), answered
 * from the window in the query, like `increase()`: the stage's accumulated starts must equal the
 * seconds its windows covered, with no gap.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { realClock } from '../../../src/traffic/clock.js';
import type { Clock } from '../../../src/traffic/shift-ports.js';
import { trafficShiftSchema, type TrafficShiftInput } from '../../../src/traffic/config.js';
import { parseDuration } from '../../../src/traffic/duration.js';
import type { MetricProvider, MetricSeries, MetricSeriesList } from '../../../src/traffic/providers/provider.js';
import { runShift, type ShiftResult } from '../../../src/traffic/shift-controller.js';
import { FakeRegistry, MemoryJournal, QueueControl } from './fake-shift-ports.js';

const T0 = Date.parse('2025-01-01T12:00:00Z');
const NEW = { name: 'eu18', cluster: 'gp-prod-ws-eu18-eu-west1', region: 'europe-west1' };
const OLD = { name: 'eu17', cluster: 'gp-prod-ws-eu17-eu-west1', region: 'europe-west1' };

/** `starts[W]` = W in seconds; `ratio[W]` = 0.01; `lat[W]` = 1. Queries at `slowAtMs` take `slowForMs`. */
class CounterProvider implements MetricProvider {
  readonly description = 'counter';
  readonly windows: Array<{ query: string; start: number; end: number }> = [];
  constructor(
    private readonly slowAtMs = Number.NaN,
    private readonly slowForMs = 0,
    /** Queries at this time answer with a warning (a partial response: a store down). */
    private readonly partialAtMs = Number.NaN,
    /** Queries at this time fail (the server is down). */
    private readonly failAtMs = Number.NaN,
  ) {}

  async instant(query: string, options?: { time?: Date }): Promise<MetricSeriesList> {
    const end = (options?.time ?? new Date()).getTime();
    // This counter exists from the start: no series of it is born in a window (counter-births.ts asks).
    if (query.startsWith('(min_over_time(')) return [];
    const window = parseDuration(/\[([^\]]+)\]/.exec(query)?.[1] ?? '0s');
    this.windows.push({ query, start: end - window, end });
    if (end === this.failAtMs) throw new Error('connect ECONNREFUSED 127.0.0.1:9090');
    if (end === this.slowAtMs) await new Promise((resolve) => setTimeout(resolve, this.slowForMs));
    const value = query.startsWith('starts') ? window / 1000 : query.startsWith('ratio') ? 0.01 : 1;
    const series: MetricSeriesList = [{ labels: {}, points: [[end / 1000, value]] }];
    if (end === this.partialAtMs) series.warnings = ['store eu-2 unavailable: partial response'];
    return series;
  }

  async range(): Promise<MetricSeries[]> {
    throw new Error('not used');
  }
}

async function run(input: TrafficShiftInput, provider: CounterProvider, clock: Clock = realClock) {
  const registry = new FakeRegistry();
  registry.add('meta-eu', { name: 'eu18', state: 'CORDONED', score: 0 }).add('meta-eu', { name: 'eu17', score: 100 });
  const journal = new MemoryJournal(registry.log);
  const deps = { registry, metas: ['meta-eu'], provider, clock, journal, control: new QueueControl(), sink: new MemorySink(), pollMs: 3_600_000 };
  let settled: ShiftResult | Error | undefined;
  runShift(deps, { deploymentId: 'd1', config: trafficShiftSchema.parse(input), newClusters: [NEW], oldClusters: [OLD] }).then(
    (r) => (settled = r),
    (e: Error) => (settled = e),
  );
  for (let i = 0; i < 30 && settled === undefined; i++) await vi.advanceTimersByTimeAsync(60_000);
  return { settled, journal };
}

/** The new cluster's starts windows of the first step, in order. */
function firstStepWindows(provider: CounterProvider, journal: MemoryJournal) {
  const stepEnd = Date.parse(journal.decisions.filter((d) => d.stepIndex === 0).at(-1)?.at ?? '');
  return provider.windows.filter((w) => w.query.startsWith('starts') && w.query.includes('eu18') && w.end <= stepEnd);
}

const ratioMetric = { name: 'failures', query: 'ratio{c="{{shortName}}"}[{{interval}}]', samplesQuery: 'starts{c="{{shortName}}"}[{{interval}}]', threshold: { max: 0.05 }, minSamples: 1 };

describe('windows whose counts add up tile the stage', () => {
  beforeEach(() => vi.useFakeTimers({ now: T0 }));
  afterEach(() => vi.useRealTimers());

  it('a measurement that overran its slots is followed by a window from where the last one ended', async () => {
    // The measurement at +30s takes 45 s: the slot at +60s is skipped, the next measurement is at +90s.
    const provider = new CounterProvider(T0 + 30_000, 45_000);
    const { settled, journal } = await run(
      { steps: [50, 100], interval: '30s', analysis: { provider: { type: 'simulator' }, metrics: [{ ...ratioMetric, count: 3 }] } },
      provider,
    );
    expect(settled).toMatchObject({ outcome: 'promoted' });
    const windows = firstStepWindows(provider, journal);
    expect(windows.map((w) => [(w.start - T0) / 1000, (w.end - T0) / 1000])).toEqual([
      [0, 30],
      [30, 90],
      [90, 120],
      [120, 150],
    ]);
    // Every start of the step counted once (30 starts are too few to pass at max 0.05: it waits first).
    const last = journal.decisions.filter((d) => d.stepIndex === 0).at(-1);
    expect(last?.decisions[0]?.clusters?.[0]?.samples).toBe(150);
  });

  it('a tick that woke late is followed by an on-time one whose window is too short to read: it waits, and the next reads from the late one', async () => {
    // The wait for the slot at +60s oversleeps to +85s (a loaded machine): that window is [30, 85]; the slot at +90s
    // would read [85, 90], 5 s, under half the metric's 30 s: on Prometheus no sample or one (see prometheus-late-window.test.ts).
    // scrapeInterval is not set: with it, a window ends a scrape before its measurement (metric-judge.ts), and an on-time
    // tick after a late one reads at least two scrapes.
    let late = true;
    const clock: Clock = {
      now: realClock.now,
      sleep: (ms, signal) => {
        const oversleep = late && Date.now() + ms === T0 + 60_000;
        if (oversleep) late = false;
        return realClock.sleep(oversleep ? ms + 25_000 : ms, signal);
      },
    };
    const provider = new CounterProvider();
    const { settled, journal } = await run(
      { steps: [50, 100], interval: '30s', analysis: { provider: { type: 'simulator' }, metrics: [{ ...ratioMetric, count: 3 }] } },
      provider,
      clock,
    );
    expect(settled).toMatchObject({ outcome: 'promoted' });
    const windows = firstStepWindows(provider, journal);
    expect(windows.map((w) => [(w.start - T0) / 1000, (w.end - T0) / 1000]).slice(0, 3)).toEqual([
      [0, 30],
      [30, 85],
      [85, 120],
    ]);
    const short = journal.decisions.find((d) => d.decisions[0]?.rule === 'window.too-short');
    expect(short?.at).toBe(new Date(T0 + 90_000).toISOString());
    expect(short?.decisions[0]?.outcome).toBe('wait');
    // Every start of the step counted once.
    const last = journal.decisions.filter((d) => d.stepIndex === 0).at(-1);
    expect(last?.decisions[0]?.clusters?.[0]?.samples).toBe((windows.at(-1)?.end ?? 0) / 1000 - T0 / 1000);
  });

  it('with scrapeInterval known, ends each tiled window a scrape before its measurement on whole scrapes, reaching back to the last one before it', async () => {
    // Measured at +30, +60, +90, +120 s with 10 s scrapes: the windows are [30, 50], [50, 80], [80, 110] (the next starts
    // at the recorded end), each queried from 9.999 s before its start (prometheus-tiled-window-seams.test.ts).
    const provider = new CounterProvider();
    const { settled, journal } = await run(
      { steps: [50, 100], interval: '30s', analysis: { provider: { type: 'simulator' }, scrapeInterval: '10s', metrics: [{ ...ratioMetric, count: 4 }] } },
      provider,
    );
    expect(settled).toMatchObject({ outcome: 'promoted' });
    const windows = firstStepWindows(provider, journal);
    expect(windows.map((w) => [(w.start - T0) / 1000, (w.end - T0) / 1000]).slice(0, 4)).toEqual([
      [0, 30],
      [20.001, 50],
      [40.001, 80],
      [70.001, 110],
    ]);
    const step = journal.decisions.filter((d) => d.stepIndex === 0);
    expect(step.slice(0, 4).map((d) => d.decisions[0]?.window?.end)).toEqual([30, 50, 80, 110].map((t) => new Date(T0 + t * 1000).toISOString()));
    // The starts answered over each range, scaled back to the window: 110 s of starts, each counted once.
    expect(step[3]?.decisions[0]?.clusters?.[0]?.samples).toBe(110);
  });

  it('a metric whose interval is off the controller tick reads windows that meet, not overlap and leave gaps', async () => {
    // Ticks every 20 s (latency); failures is due at slots 30, 60, 90 s → measured at the ticks 40, 60, 100 s.
    const provider = new CounterProvider();
    const { settled, journal } = await run(
      {
        steps: [50, 100],
        interval: '20s',
        analysis: {
          provider: { type: 'simulator' },
          metrics: [{ ...ratioMetric, interval: '30s', count: 3 }, { name: 'latency', query: 'lat{c="{{shortName}}"}[{{interval}}]', threshold: { max: 5 } }],
        },
      },
      provider,
    );
    expect(settled).toMatchObject({ outcome: 'promoted' });
    const windows = firstStepWindows(provider, journal);
    expect(windows.map((w) => [(w.start - T0) / 1000, (w.end - T0) / 1000])).toEqual([
      [10, 40],
      [40, 60],
      [60, 100],
      [100, 120],
      [120, 160],
    ]);
    for (let i = 1; i < windows.length; i++) expect(windows[i]?.start).toBe(windows[i - 1]?.end);
  });

  it('reads a partial answer\'s window again and does not add its counts (it may lack starts)', async () => {
    const provider = new CounterProvider(Number.NaN, 0, T0 + 60_000);
    const { settled, journal } = await run(
      { steps: [50, 100], interval: '30s', analysis: { provider: { type: 'simulator' }, metrics: [{ ...ratioMetric, count: 3 }] } },
      provider,
    );
    expect(settled).toMatchObject({ outcome: 'promoted' });
    // The second measurement's answer is partial: it does not pass, and says why.
    expect(journal.decisions[1]?.decisions[0]?.outcome).toBe('wait');
    expect(journal.decisions[1]?.decisions[0]?.message).toContain('the answer was partial');
    const windows = firstStepWindows(provider, journal);
    expect(windows.map((w) => [(w.start - T0) / 1000, (w.end - T0) / 1000]).slice(0, 3)).toEqual([
      [0, 30],
      [30, 60],
      [30, 90],
    ]);
    // Every start of the step counted once: the partial window's 30 were not added before being read again.
    const last = journal.decisions.filter((d) => d.stepIndex === 0).at(-1);
    expect(last?.decisions[0]?.clusters?.[0]?.samples).toBe((windows.at(-1)?.end ?? 0) / 1000 - T0 / 1000);
  });

  // The first measurement of a stage had no counted window before it: the next good one must still start at the stage.
  it.each([
    ['partial', new CounterProvider(Number.NaN, 0, T0 + 30_000)],
    ['failed', new CounterProvider(Number.NaN, 0, Number.NaN, T0 + 30_000)],
  ])('after a %s first measurement of a stage, the next window covers the stage from its start', async (_kind, provider) => {
    const { settled, journal } = await run(
      { steps: [50, 100], interval: '30s', analysis: { provider: { type: 'simulator' }, metrics: [{ ...ratioMetric, count: 3 }] } },
      provider,
    );
    expect(settled).toMatchObject({ outcome: 'promoted' });
    expect(journal.decisions[0]?.decisions[0]?.outcome).not.toBe('pass');
    const windows = firstStepWindows(provider, journal);
    expect(windows.map((w) => [(w.start - T0) / 1000, (w.end - T0) / 1000]).slice(0, 3)).toEqual([
      [0, 30],
      [0, 60],
      [60, 90],
    ]);
    // Every start of the step counted once, the first interval's included.
    const last = journal.decisions.filter((d) => d.stepIndex === 0).at(-1);
    expect(last?.decisions[0]?.clusters?.[0]?.samples).toBe((windows.at(-1)?.end ?? 0) / 1000 - T0 / 1000);
  });

  it('leaves a lookback shorter than the interval alone: it samples part of each interval by choice', async () => {
    const provider = new CounterProvider();
    const { settled, journal } = await run(
      { steps: [50, 100], interval: '30s', analysis: { provider: { type: 'simulator' }, metrics: [{ ...ratioMetric, lookback: '10s', count: 2 }] } },
      provider,
    );
    expect(settled).toMatchObject({ outcome: 'promoted' });
    const starts = provider.windows.filter((w) => w.query.startsWith('starts') && w.query.includes('eu18'));
    // A 10 s lookback samples the last 10 s of each 30 s interval, by the operator's choice.
    for (const w of starts) expect(w.end - w.start).toBe(10_000);
    expect(journal.decisions.length).toBeGreaterThanOrEqual(4);
  });
});
