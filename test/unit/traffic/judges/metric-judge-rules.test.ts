/**
 * One metric's measurement as rules, with times and counts worked out by hand:
 * which window and resolution the queries use, when the baseline is read, when the
 * old clusters are asked for their current series (liveness), how the baseline's
 * counts add up, that the worst new cluster decides, and when waiting becomes a
 * human's decision.
 */
import { describe, expect, it } from 'vitest';
import { metricSchema, type MetricConfig } from '../../../../src/traffic/analysis-config.js';
import { evaluateMetric, lookbackOf, type MeasurementContext } from '../../../../src/traffic/judges/metric-judge.js';
import { FakeMetricProvider } from '../fake-metric-provider.js';

const NEW = { cluster: 'gp-prod-ws-eu18-eu-west1', shortName: 'eu18', region: 'europe-west1' };
const NEW2 = { cluster: 'gp-prod-ws-eu19-eu-west1', shortName: 'eu19', region: 'europe-west1' };
const OLD = { cluster: 'gp-prod-ws-eu17-eu-west1', shortName: 'eu17', region: 'europe-west1' };
const OLD2 = { cluster: 'gp-prod-ws-eu16-eu-west1', shortName: 'eu16', region: 'europe-west1' };
const NOW = new Date('2025-01-01T12:00:00Z');

function metric(input: Record<string, unknown>): MetricConfig {
  return metricSchema.parse({ name: 'm', query: 'v{c="{{shortName}}",w="{{interval}}"}', ...input });
}

function ctx(provider: FakeMetricProvider, extra: Partial<MeasurementContext> = {}): MeasurementContext {
  return { provider, newClusters: [NEW], oldClusters: [OLD], intervalMs: 300_000, now: NOW, elapsedInStepMs: 0, sampleDeadlineMs: 1_800_000, ...extra };
}

const v = (short: string, w = '5m') => `v{c="${short}",w="${w}"}`;
const s = (short: string) => `starts{c="${short}"}`;
/**
 * The query for start series born in the 5m window (counter-births.ts), worked out by hand: a series of a target whose
 * process has run longer than the window plus max(2m, the window) (600 s) is born when it was not seen in the hour
 * before the window, unless its target was first scraped in the window; a series of a target whose process started
 * since (a new pod, a container restarted in its pod) is born when it was not reset in the window and not seen before
 * it under the current process (a 1 s subquery over the window plus a minute, and at the window's start); every series
 * of a new target that does not export its start time is born when another target of its job was scraped before.
 */
const born = (short: string) => {
  const S = s(short);
  const current = 'max by (job, instance) (last_over_time(process_start_time_seconds[300000ms] @ end()))';
  const underCurrent = (offset: string) => `(${S}${offset} and on (job, instance) (max by (job, instance) (process_start_time_seconds${offset}) == on (job, instance) ${current}))`;
  const newTargets = '(group by (job, instance) (last_over_time(up[300000ms])) unless on (job, instance) last_over_time(up[3600000ms] offset 300000ms))';
  const newProcesses = '(max by (job, instance) (last_over_time(process_start_time_seconds[300000ms])) >= time() - 600)';
  const longRunning = `min_over_time(${S}[300000ms]) unless last_over_time(${S}[3600000ms] offset 300000ms) unless on (job, instance) ${newTargets} unless on (job, instance) ${newProcesses}`;
  const sinceStart = `(min_over_time(${S}[300000ms]) and on (job, instance) (${current} >= time() - 600)) unless resets(${S}[300000ms]) > 0 unless last_over_time(${underCurrent('')}[360000ms:1s] offset 300000ms) unless ${underCurrent(' offset 300000ms')}`;
  // A new target without process_start_time_seconds, where its job had an `up` in the hour before the window.
  const unannounced = `(${newTargets} unless on (job, instance) last_over_time(process_start_time_seconds[300000ms]) and on (job) group by (job) (last_over_time(up[3600000ms] offset 300000ms)))`;
  return `(${longRunning}) or (${sinceStart}) or (min_over_time(${S}[300000ms]) and on (job, instance) ${unannounced})`;
};

describe('query window', () => {
  it("takes the metric's lookback, else its interval, else the default", () => {
    expect(lookbackOf({ lookback: 60_000, interval: 120_000 }, 300_000)).toBe(60_000);
    expect(lookbackOf({ interval: 120_000 }, 300_000)).toBe(120_000);
    expect(lookbackOf({}, 300_000)).toBe(300_000);
  });

  it('asks a threshold metric one instant query per cluster at now over the lookback, and records that window', async () => {
    const p = new FakeMetricProvider().set(v('eu18', '2m'), [0.01]).set(v('eu17', '2m'), [0.02]);
    const d = await evaluateMetric(metric({ threshold: { max: 0.05 }, lookback: '2m' }), ctx(p));
    expect(p.calls).toEqual([
      { kind: 'instant', query: v('eu18', '2m'), at: NOW.getTime() },
      { kind: 'instant', query: v('eu17', '2m'), at: NOW.getTime() },
    ]);
    expect(d.window).toEqual({ start: '2025-01-01T11:58:00.000Z', end: '2025-01-01T12:00:00.000Z' });
  });

  it('asks a comparison metric range queries at its resolution, aligned to it, and records the resolution', async () => {
    // lookback 5m at 1m: 5 points ending at 12:00, so the range starts at 11:56.
    const m = metric({ query: 'lat{c="{{shortName}}",w="{{window}}"}', comparison: { method: 'mann-whitney', resolution: '1m' } });
    const p = new FakeMetricProvider();
    await evaluateMetric(m, ctx(p, { now: new Date('2025-01-01T12:00:30Z') }));
    expect(p.calls[0]).toEqual({ kind: 'range', query: 'lat{c="eu18",w="1m"}', start: Date.parse('2025-01-01T11:56:00Z'), end: Date.parse('2025-01-01T12:00:00Z'), stepMs: 60_000 });
    const d = await evaluateMetric(m, ctx(p, { now: new Date('2025-01-01T12:00:30Z') }));
    expect(d.window).toEqual({ start: '2025-01-01T11:56:00.000Z', end: '2025-01-01T12:00:00.000Z', resolutionMs: 60_000 });
  });

  it('uses the lookback as the step of a ratio comparison only through its resolution', async () => {
    const m = metric({ query: 'lat{c="{{shortName}}",w="{{window}}"}', comparison: { method: 'ratio', resolution: '30s', maxRatio: 2 } });
    const p = new FakeMetricProvider();
    await evaluateMetric(m, ctx(p));
    expect(p.calls.map((c) => [c.kind, c.query, c.stepMs])).toEqual([
      ['range', 'lat{c="eu18",w="30s"}', 30_000],
      ['range', 'lat{c="eu17",w="30s"}', 30_000],
    ]);
  });

  it('asks a proportion comparison instant queries over the lookback', async () => {
    const m = metric({ samplesQuery: 'starts{c="{{shortName}}"}', comparison: { method: 'proportion', maxDifference: 0.02 } });
    const p = new FakeMetricProvider();
    await evaluateMetric(m, ctx(p));
    expect(p.calls.every((c) => c.kind === 'instant')).toBe(true);
    // The starts' series born in the window are asked too (counter-births.ts): a first start is no increase.
    expect(p.calls.map((c) => c.query)).toEqual([v('eu18'), v('eu17'), s('eu18'), s('eu17'), born('eu18'), born('eu17')]);
  });

  it('counts born start series only of a samplesQuery that adds counters up: a difference could make an added start a wrong one', async () => {
    const asked = async (samplesQuery: string) => {
      const p = new FakeMetricProvider();
      await evaluateMetric(metric({ samplesQuery, threshold: { max: 0.05 } }), ctx(p));
      return p.calls.map((c) => c.query).filter((q) => q.startsWith('(min_over_time('));
    };
    expect(await asked('sum(increase(a{c="{{shortName}}"}[5m])) + sum(increase(b{c="{{shortName}}"}[5m]))')).toHaveLength(4);
    expect(await asked('sum(increase(a{c="{{shortName}}"}[5m])) - sum(increase(b{c="{{shortName}}"}[5m]))')).toEqual([]);
  });

  it('starts a tiled window where the previous one ended (no start lost between two windows), else takes the lookback', async () => {
    const m = metric({ threshold: { max: 0.05 } });
    // The previous window ended 200 s ago: this one spans those 200 s.
    const tiled = new FakeMetricProvider();
    const d = await evaluateMetric(m, ctx(tiled, { windowStarts: { m: NOW.getTime() - 200_000 } }));
    expect(tiled.calls.map((c) => c.query)).toEqual([v('eu18', '3m20s'), v('eu17', '3m20s')]);
    expect(d.window).toEqual({ start: '2025-01-01T11:56:40.000Z', end: '2025-01-01T12:00:00.000Z' });
    // Under half its 5m window (scrapeInterval unknown), or under two scrapes when known, it waits, reading nothing.
    for (const [from, extra] of [[NOW.getTime() - 90_000, {}], [NOW.getTime() - 15_000, { scrapeIntervalMs: 10_000 }]] as const) {
      const early = new FakeMetricProvider();
      expect(await evaluateMetric(m, ctx(early, { windowStarts: { m: from }, ...extra }))).toMatchObject({ outcome: 'wait', rule: 'window.too-short' });
      expect(early.calls).toEqual([]);
    }
    // Another metric's tile leaves the lookback (5m).
    const other = new FakeMetricProvider();
    await evaluateMetric(m, ctx(other, { windowStarts: { other: NOW.getTime() - 90_000 } }));
    expect(other.calls.map((c) => c.query)).toEqual([v('eu18'), v('eu17')]);
    // One that does not lie before now (evaluation times out of order) is not replaced by the lookback, which would
    // count the starts of windows already counted again: nothing is read, it waits (prometheus-late-window.test.ts).
    const backwards = new FakeMetricProvider();
    expect(await evaluateMetric(m, ctx(backwards, { windowStarts: { m: NOW.getTime() } }))).toMatchObject({ outcome: 'wait', rule: 'window.too-short' });
    expect(backwards.calls).toEqual([]);
  });

  it('reads the old clusters at baselineAt and the new ones at now', async () => {
    const before = new Date('2025-01-01T11:00:00Z');
    const m = metric({ threshold: { max: 0.05 }, samplesQuery: 'starts{c="{{shortName}}"}' });
    const p = new FakeMetricProvider().set(v('eu18'), [0.01]).set(v('eu17'), [0.02]).set(s('eu18'), [10]).set(s('eu17'), [10]);
    const d = await evaluateMetric(m, ctx(p, { baselineAt: before }));
    expect(d.queries.map((q) => [q.side, q.purpose, q.cluster])).toEqual([
      ['new', 'value', NEW.cluster],
      ['old', 'value', OLD.cluster],
      ['new', 'samples', NEW.cluster],
      ['old', 'samples', OLD.cluster],
    ]);
    expect(p.calls.map((c) => [c.query, c.at])).toEqual([
      [v('eu18'), NOW.getTime()],
      [v('eu17'), before.getTime()],
      [s('eu18'), NOW.getTime()],
      [s('eu17'), before.getTime()],
      [born('eu18'), NOW.getTime()],
      [born('eu17'), before.getTime()],
    ]);
  });
});

describe('liveness of the old clusters', () => {
  const m = metric({ threshold: { max: 0.05 } });
  const before = new Date('2025-01-01T11:00:00Z');
  const reported = new Set([NEW.cluster]);

  it('asks the old clusters for current series only when a new cluster that reported is silent and the baseline is from before', async () => {
    const p = new FakeMetricProvider().set(v('eu17'), [0.02]);
    await evaluateMetric(m, ctx(p, { baselineAt: before, reported }));
    expect(p.calls.map((c) => c.at)).toEqual([NOW.getTime(), before.getTime(), NOW.getTime()]);
    const silentOnly = new FakeMetricProvider().set(v('eu17'), [0.02]);
    await evaluateMetric(m, ctx(silentOnly, { baselineAt: NOW, reported }));
    expect(silentOnly.calls).toHaveLength(2);
    const neverReported = new FakeMetricProvider().set(v('eu17'), [0.02]);
    await evaluateMetric(m, ctx(neverReported, { baselineAt: before }));
    expect(neverReported.calls).toHaveLength(2);
    const talking = new FakeMetricProvider().set(v('eu18'), [0.01]).set(v('eu17'), [0.02]);
    await evaluateMetric(m, ctx(talking, { baselineAt: before, reported }));
    expect(talking.calls).toHaveLength(2);
    const noOld = new FakeMetricProvider().set(v('eu18'), []);
    await evaluateMetric(m, ctx(noOld, { baselineAt: before, reported, oldClusters: [] }));
    expect(noOld.calls).toHaveLength(1);
  });

  it('calls it the pipeline when the old clusters have no current series either', async () => {
    // The baseline (read at `before`) has data, but nothing answers now.
    const byTime = new FakeMetricProvider().set(v('eu17'), [0.02]);
    // The old cluster answers only at `before`: nothing has series now.
    const provider = {
      description: 'fake',
      async instant(query: string, options?: { time?: Date }) {
        const at = options?.time?.getTime() ?? 0;
        return at === before.getTime() ? byTime.instant(query, options) : [];
      },
      async range() {
        return [];
      },
    };
    const d = await evaluateMetric(m, ctx(provider as unknown as FakeMetricProvider, { baselineAt: before, reported }));
    expect(d).toMatchObject({ outcome: 'error', rule: 'no-data.pipeline' });
    expect(d.message).toBe('m: no current series for new or old clusters (the baseline is read from before the shift): the metrics pipeline looks broken, not one cluster (check scraping)');
    expect(d.queries.map((q) => [q.side, q.purpose])).toEqual([
      ['new', 'value'],
      ['old', 'value'],
      ['old', 'liveness'],
    ]);
  });

  /** `byTime`, except that eu17's series answer only at `before` (it reported, then went silent). */
  const silentNow = (byTime: FakeMetricProvider): FakeMetricProvider =>
    ({
      description: 'fake',
      async instant(query: string, options?: { time?: Date }) {
        if (query === v('eu17') && options?.time?.getTime() !== before.getTime()) return [];
        return byTime.instant(query, options);
      },
      async range() {
        return [];
      },
    }) as unknown as FakeMetricProvider;

  it('judges the silent cluster (a gap) when the old clusters still report now', async () => {
    const p = new FakeMetricProvider().set(v('eu17'), [0.02]);
    const d = await evaluateMetric(m, ctx(p, { baselineAt: before, reported }));
    expect(d).toMatchObject({ outcome: 'wait', rule: 'no-data.gap' });
  });

  it('is not the pipeline when another new cluster still reports', async () => {
    const provider = silentNow(new FakeMetricProvider().set(v('eu17'), [0.02]).set(v('eu19'), [0.01]));
    const d = await evaluateMetric(m, ctx(provider, { baselineAt: before, reported, newClusters: [NEW, NEW2] }));
    expect(d).toMatchObject({ outcome: 'wait', rule: 'no-data.gap' });
    // The reported, silent cluster alone is enough to ask: the other new cluster talking does not hide it.
    expect(d.queries.filter((q) => q.purpose === 'liveness').map((q) => q.cluster)).toEqual([OLD.cluster]);
  });

  it('is not the pipeline while any old cluster still reports now', async () => {
    // eu17 and eu16 both answer at `before`; now only eu16 does.
    const provider = silentNow(new FakeMetricProvider().set(v('eu17'), [0.02]).set(v('eu16'), [0.03]));
    const d = await evaluateMetric(m, ctx(provider, { baselineAt: before, reported, oldClusters: [OLD, OLD2] }));
    expect(d).toMatchObject({ outcome: 'wait', rule: 'no-data.gap' });
  });

  it("does not take the old clusters' current series (asked only for liveness) as data of the window", async () => {
    // Nothing has series in the window (old read at `before`); the old cluster answers only now.
    const byTime = new FakeMetricProvider().set(v('eu17'), [0.02]).set(s('eu17'), [10]);
    const provider = {
      description: 'fake',
      async instant(query: string, options?: { time?: Date }) {
        return options?.time?.getTime() === before.getTime() ? [] : byTime.instant(query, options);
      },
      async range() {
        return [];
      },
    };
    const counted = metric({ threshold: { max: 0.05 }, samplesQuery: 'starts{c="{{shortName}}"}' });
    const d = await evaluateMetric(counted, ctx(provider as unknown as FakeMetricProvider, { baselineAt: before, reported }));
    expect(d.queries.some((q) => q.purpose === 'liveness' && q.series > 0)).toBe(true);
    expect(d).toMatchObject({ outcome: 'error', rule: 'no-data.both-sides' });
    // Without a samples query: series in the window but no values; only the liveness query has values.
    const other = { cluster: 'gp-prod-ws-eu19-eu-west1' };
    const valueless = {
      description: 'fake',
      async instant(query: string, options?: { time?: Date }) {
        if (query === v('eu19')) return [];
        if (options?.time?.getTime() === before.getTime() || query === v('eu18')) return [{ labels: {}, points: [] }];
        return byTime.instant(query, options);
      },
      async range() {
        return [];
      },
    };
    const e = await evaluateMetric(m, ctx(valueless as unknown as FakeMetricProvider, { baselineAt: before, reported: new Set([other.cluster]), newClusters: [NEW, NEW2] }));
    expect(e.queries.some((q) => q.purpose === 'liveness' && q.values.length > 0)).toBe(true);
    expect(e).toMatchObject({ outcome: 'error', rule: 'no-data.both-sides' });
  });
});

describe('errors and empty data', () => {
  const m = metric({ threshold: { max: 0.05 }, samplesQuery: 'starts{c="{{shortName}}"}' });

  it('names the first failed query, its purpose, kind and message', async () => {
    const p = new FakeMetricProvider().set(v('eu18'), [0.01]).set(v('eu17'), [0.02]).set(s('eu18'), [10]).fail(s('eu17'), 'timeout');
    const d = await evaluateMetric(m, ctx(p));
    expect(d).toMatchObject({ outcome: 'error', rule: 'query-error' });
    expect(d.message).toBe(`m: samples query for ${OLD.cluster} failed (timeout): fake timeout for ${s('eu17')}; the metrics pipeline is broken`);
  });

  it('calls it the pipeline when there are series but no values anywhere and no samples query', async () => {
    const p = new FakeMetricProvider().set(v('eu18'), []).set(v('eu17'), []);
    const d = await evaluateMetric(metric({ threshold: { max: 0.05 } }), ctx(p));
    expect(d).toMatchObject({ outcome: 'error', rule: 'no-data.both-sides' });
    expect(d.message).toBe('m: no series for new or baseline clusters: the metrics pipeline looks broken (check scraping and the query; add "or vector(0)" if the series appears only after the first event)');
  });

  it('does not call it the pipeline when only the baseline has values', async () => {
    const p = new FakeMetricProvider().set(v('eu18'), []).set(v('eu17'), [0.01]);
    expect((await evaluateMetric(metric({ threshold: { max: 0.05 } }), ctx(p))).rule).toBe('no-data.new-silent');
  });
});

describe('a new cluster that never reported, past sampleDeadline', () => {
  const counted = metric({ threshold: { max: 0.05 }, samplesQuery: 'starts{c="{{shortName}}"}' });
  const late = { elapsedInStepMs: 1_800_000 };

  it('fails when the baseline has starts, even without a value point', async () => {
    const p = new FakeMetricProvider().set(s('eu17'), [5]);
    expect(await evaluateMetric(counted, ctx(p, late))).toMatchObject({ outcome: 'fail', rule: 'no-data.never-reported' });
  });

  it('keeps waiting (then a human decides) when the baseline has neither points nor starts: nothing says the cluster is dead', async () => {
    const p = new FakeMetricProvider().set(s('eu17'), [0]);
    const d = await evaluateMetric(counted, ctx(p, late));
    expect(d.outcome).not.toBe('fail');
    expect(d.clusters?.[0]).toMatchObject({ outcome: 'wait', rule: 'no-data.never-reported' });
  });

  it('fails when the baseline has value points', async () => {
    const p = new FakeMetricProvider().set(v('eu17'), [0.01]);
    expect(await evaluateMetric(metric({ threshold: { max: 0.05 } }), ctx(p, late))).toMatchObject({ outcome: 'fail', rule: 'no-data.never-reported' });
  });

  it("fails with no series anywhere as the pipeline (error), not as this cluster's failure", async () => {
    expect(await evaluateMetric(counted, ctx(new FakeMetricProvider(), late))).toMatchObject({ outcome: 'error', rule: 'no-data.both-sides' });
  });
});

describe("another metric's state", () => {
  it("does not apply another metric's gaps or accumulated counts", async () => {
    const m = metric({ threshold: { max: 0.05 } });
    const p = new FakeMetricProvider().set(v('eu17'), [0.02]);
    const d = await evaluateMetric(m, ctx(p, { reported: new Set([NEW.cluster]), gaps: { other: [NEW.cluster] }, accumulated: { other: { [NEW.cluster]: { failures: 1, samples: 2 } } } }));
    expect(d).toMatchObject({ outcome: 'wait', rule: 'no-data.gap' });
  });
});

describe('baseline counts', () => {
  it('adds up every old cluster: failures = round(ratio × starts), starts summed', async () => {
    // eu17: 0.1 × 100 = 10 failures; eu16: 0.2 × 51 = 10.2 → 10; samples 151.
    const m = metric({ samplesQuery: 'starts{c="{{shortName}}"}', comparison: { method: 'proportion', maxDifference: 0.5 }, minSamples: 1 });
    const p = new FakeMetricProvider().set(v('eu18'), [0.1]).set(s('eu18'), [10]).set(v('eu17'), [0.3, 0.1]).set(s('eu17'), [100]).set(v('eu16'), [0.2]).set(s('eu16'), [51]);
    const d = await evaluateMetric(m, ctx(p, { oldClusters: [OLD, OLD2] }));
    expect(d.samples).toEqual({ new: 10, old: 151, min: 1 });
    expect(d.clusters?.[0]?.baseline).toEqual({ clusters: [OLD.cluster, OLD2.cluster], at: NOW.toISOString(), samples: 151, failures: 20, value: 20 / 151 });
    expect(d.statistics).toMatchObject({ method: 'proportion', n2: 151, meanOld: 20 / 151 });
  });

  it('counts starts of an old cluster without a value as starts without failures', async () => {
    const m = metric({ samplesQuery: 'starts{c="{{shortName}}"}', comparison: { method: 'proportion', maxDifference: 0.5 }, minSamples: 1 });
    const p = new FakeMetricProvider().set(v('eu18'), [0.1]).set(s('eu18'), [10]).set(s('eu17'), [40]);
    const d = await evaluateMetric(m, ctx(p));
    expect(d.clusters?.[0]?.baseline).toMatchObject({ samples: 40, failures: 0 });
  });

  it('leaves out the old count without a samples query', async () => {
    const p = new FakeMetricProvider().set(v('eu18'), [0.01, 0.02]).set(v('eu17'), [0.02]);
    const d = await evaluateMetric(metric({ threshold: { max: 0.05 } }), ctx(p));
    expect(d.samples).toEqual({ new: 1, min: 0 });
  });
});

describe('the worst cluster decides', () => {
  const m = metric({ threshold: { max: 0.05 } });

  it('fails on one failing cluster among passing ones, with its rule and message', async () => {
    const p = new FakeMetricProvider().set(v('eu18'), [0.01]).set(v('eu19'), [0.5]).set(v('eu17'), [0.02]);
    const d = await evaluateMetric(m, ctx(p, { newClusters: [NEW, NEW2] }));
    expect(d).toMatchObject({ outcome: 'fail', rule: 'threshold.max', message: `m on ${NEW2.cluster} is 0.5, above the maximum 0.05`, statistics: { method: 'threshold' } });
    expect(d.clusters?.map((c) => c.outcome)).toEqual(['pass', 'fail']);
  });

  it('joins the messages of every cluster with the deciding outcome', async () => {
    const p = new FakeMetricProvider().set(v('eu18'), [0.06]).set(v('eu19'), [0.5]).set(v('eu17'), [0.02]);
    const d = await evaluateMetric(m, ctx(p, { newClusters: [NEW, NEW2] }));
    expect(d.message).toBe(`m on ${NEW.cluster} is 0.06, above the maximum 0.05; m on ${NEW2.cluster} is 0.5, above the maximum 0.05`);
  });

  it('passes with every cluster within, and says so when there is no new cluster', async () => {
    const p = new FakeMetricProvider().set(v('eu18'), [0.01]).set(v('eu19'), [0.02]).set(v('eu17'), [0.02]);
    expect(await evaluateMetric(m, ctx(p, { newClusters: [NEW, NEW2] }))).toMatchObject({ outcome: 'pass', rule: 'threshold.within' });
    const none = await evaluateMetric(m, ctx(new FakeMetricProvider().set(v('eu17'), [0.02]), { newClusters: [] }));
    expect(none).toMatchObject({ outcome: 'pass', rule: 'measurement.pass', message: 'm: no new clusters to judge', clusters: [] });
  });

  it('ranks an error above a wait: a pipeline error on one cluster is not hidden by another that waits', async () => {
    const counted = metric({ threshold: { max: 0.05 }, samplesQuery: 'starts{c="{{shortName}}"}', minSamples: 20 });
    // eu18 waits (3 starts); eu19 fails (starts, a value series, but no data).
    const p = new FakeMetricProvider().set(v('eu18'), [0]).set(s('eu18'), [3]).set(v('eu19'), []).set(s('eu19'), [30]).set(v('eu17'), [0.02]).set(s('eu17'), [100]);
    const d = await evaluateMetric(counted, ctx(p, { newClusters: [NEW, NEW2] }));
    expect(d).toMatchObject({ outcome: 'fail', rule: 'no-data.new-silent' });
    expect(d.samples).toEqual({ new: 33, old: 100, min: 20 });
  });
});

describe('waiting past sampleDeadline', () => {
  const counted = metric({ threshold: { max: 0.05 }, samplesQuery: 'starts{c="{{shortName}}"}', minSamples: 20 });
  const p = () => new FakeMetricProvider().set(v('eu18'), [0]).set(v('eu17'), [0.02]).set(s('eu18'), [3]).set(s('eu17'), [120]);

  it('becomes inconclusive exactly at the deadline, saying a human must decide', async () => {
    expect((await evaluateMetric(counted, ctx(p(), { elapsedInStepMs: 1_799_999 }))).outcome).toBe('wait');
    const d = await evaluateMetric(counted, ctx(p(), { elapsedInStepMs: 1_800_000 }));
    expect(d).toMatchObject({ outcome: 'inconclusive', rule: 'samples.deadline-passed' });
    expect(d.message).toBe(`m on ${NEW.cluster}: 3 starts, need 20 (0 of 3 starts) after 1800s (sampleDeadline): a human must decide`);
  });

  it('keeps a gap a wait past the deadline: one missed scrape is never a pause', async () => {
    const gap = new FakeMetricProvider().set(v('eu17'), [0.02]);
    const d = await evaluateMetric(metric({ threshold: { max: 0.05 } }), ctx(gap, { elapsedInStepMs: 10_000_000, reported: new Set([NEW.cluster]) }));
    expect(d).toMatchObject({ outcome: 'wait', rule: 'no-data.gap' });
  });

  it('does not treat a gap next to a cluster waiting for samples as a gap only', async () => {
    const q = new FakeMetricProvider().set(v('eu18'), [0]).set(s('eu18'), [3]).set(v('eu17'), [0.02]).set(s('eu17'), [120]);
    const d = await evaluateMetric(counted, ctx(q, { newClusters: [NEW, NEW2], reported: new Set([NEW2.cluster]), elapsedInStepMs: 1_800_000 }));
    expect(d).toMatchObject({ outcome: 'inconclusive', rule: 'samples.deadline-passed' });
  });
});

describe('inconclusive from a cluster', () => {
  it('is not called a sampleDeadline wait: only waiting past the deadline says so', async () => {
    const m = metric({ query: 'lat{c="{{shortName}}",w="{{window}}"}', comparison: { method: 'ratio', resolution: '1m', maxRatio: 2 } });
    const p = new FakeMetricProvider().set('lat{c="eu18",w="1m"}', [1, 2]).set('lat{c="eu17",w="1m"}', []);
    const d = await evaluateMetric(m, ctx(p, { elapsedInStepMs: 1_800_000 }));
    expect(d).toMatchObject({ outcome: 'inconclusive', rule: 'no-data.baseline-missing' });
    expect(d.message).not.toContain('sampleDeadline');
  });
});

describe('warnings', () => {
  it('warns that a Mann-Whitney test on fewer than 50 new points has little power, per cluster', async () => {
    const m = metric({ query: 'lat{c="{{shortName}}",w="{{window}}"}', comparison: { method: 'mann-whitney', resolution: '30s' } });
    const ten = Array.from({ length: 10 }, (_, i) => 1 + i / 10);
    const p = new FakeMetricProvider().set('lat{c="eu18",w="30s"}', ten).set('lat{c="eu17",w="30s"}', ten);
    const d = await evaluateMetric(m, ctx(p));
    expect(d.warnings).toContain(`m on ${NEW.cluster}: only 10 new and 10 baseline data points; the test has little power`);
  });

  it('does not warn from 50 new points on', async () => {
    const m = metric({ query: 'lat{c="{{shortName}}",w="{{window}}"}', comparison: { method: 'mann-whitney', resolution: '30s' } });
    const fifty = Array.from({ length: 50 }, (_, i) => 1 + i / 50);
    const p = new FakeMetricProvider().set('lat{c="eu18",w="30s"}', fifty).set('lat{c="eu17",w="30s"}', fifty);
    const d = await evaluateMetric(m, ctx(p, { intervalMs: 1_500_000 }));
    expect(d.statistics).toMatchObject({ method: 'mann-whitney', n1: 50 });
    expect(d.warnings).toEqual([]);
  });

  it('names the cluster, count and query purpose of dropped NaN and unjudged infinite values', async () => {
    const p = new FakeMetricProvider().set(v('eu18'), [0.01]).set(v('eu17'), [Number.NaN], [Number.POSITIVE_INFINITY], [0.01]);
    const d = await evaluateMetric(metric({ threshold: { max: 0.05 } }), ctx(p));
    expect(d.warnings).toEqual([
      `${OLD.cluster}: 1 NaN value(s) (0/0: no events) ignored in the value query`,
      `${OLD.cluster}: 1 infinite value(s) ignored in the value query`,
    ]);
    expect(d.queries.every((q) => !('dropped' in q) && !('infinities' in q))).toBe(true);
  });
});
