/**
 * Counter semantics of a real Prometheus (Debian's binary) that the judges' own fakes do not model:
 * - a labelled failure counter (client_golang's CounterVec) has no series until the cluster's first failure,
 *   so the documented ratio `sum(rate(failures)) / sum(rate(starts))` is an EMPTY vector on a healthy new
 *   cluster — no failures counted is 0 failures, not a dead cluster;
 * - a ws-manager restart resets the counters inside a window: rate()/increase() count across the reset;
 * - a window shorter than two scrapes holds one sample, and rate() answers nothing: `validate` refuses it when
 *   analysis.scrapeInterval says so;
 * - Prometheus restarts mid-stage: while it is down the gate errors (the pipeline, never the cluster), and after
 *   it the head replayed from the WAL still holds what was scraped before, so a tiled window reads across the gap.
 * Each case measures with the README's queries against an exporter scraped every second.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trafficShiftSchema } from '../../../src/traffic/config.js';
import { measure } from '../../../src/traffic/judges/measure.js';
import type { MeasurementContext } from '../../../src/traffic/judges/metric-judge.js';
import { ZERO_COUNTERS } from '../../../src/traffic/judges/step-verdict.js';
import { PrometheusProvider } from '../../../src/traffic/providers/prometheus.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { waitFor } from '../shift/harness.js';
import { startPrometheus, type RunningPrometheus } from './prometheus-process.js';
import { FAILURES, fiveSecondContext, STARTS, startFailureRatioAnalysis, target } from './measure-context.js';
import { WorkspaceExporter } from './workspace-exporter.js';

const hasPrometheus = requireBinary('prometheus', 'counter semantics are checked against a real Prometheus');

const analysis = startFailureRatioAnalysis();

describe.skipIf(!hasPrometheus)('counter semantics of a real prometheus', () => {
  const exporter = new WorkspaceExporter();
  let prometheus: RunningPrometheus;
  let provider: PrometheusProvider;

  const ctx = (newShort: string, oldShort: string, extra: Partial<MeasurementContext> = {}) => fiveSecondContext(provider, newShort, oldShort, extra);

  beforeAll(async () => {
    // The baseline has had failures (its failure series exists); the new clusters have had none yet.
    exporter.set('eu17', { startsPerTick: 5, failureRatio: 0.02 });
    exporter.set('eu18', { startsPerTick: 5, failureRatio: 0, failuresFromFirst: true });
    // A region where no cluster has counted a failure since its ws-manager started.
    exporter.set('eu20', { startsPerTick: 5, failureRatio: 0, failuresFromFirst: true });
    exporter.set('eu21', { startsPerTick: 5, failureRatio: 0, failuresFromFirst: true });
    exporter.set('eu30', { startsPerTick: 5, failureRatio: 0.02 });
    // A new cluster whose first failure comes later (its failure series is born at 1).
    exporter.set('eu19', { startsPerTick: 1, failureRatio: 0, failuresFromFirst: true });
    // A new cluster without starts yet whose starts counter is labelled too: its starts series is born at its first start.
    exporter.set('eu22', { startsPerTick: 0, failureRatio: 0, failuresFromFirst: true, startsFromFirst: true });
    prometheus = await startPrometheus([`127.0.0.1:${await exporter.start(100)}`], 20_000, 180_000);
    provider = new PrometheusProvider({ url: prometheus.url, timeoutMs: 5_000 });
    // A full 5 s window of scrapes on every cluster.
    await waitFor('7 s of scrapes', async () => {
      const n = await provider.range('gitpod_ws_manager_workspace_starts_total', { start: new Date(Date.now() - 7_000), end: new Date(), stepMs: 1_000 });
      return n.length === 6 && n.every((s) => s.points.length >= 7);
    }, 30_000);
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await exporter.stop();
  });

  it('passes a healthy new cluster whose failure counter has no series yet (no failure counted), saying why', async () => {
    // What Prometheus itself answers: the ratio is an empty vector (no series), the starts are there.
    const ratio = await provider.instant(analysis.metrics[0]!.query.replaceAll('{{shortName}}', 'eu18').replaceAll('{{interval}}', '5s'));
    expect(ratio).toHaveLength(0);
    const m = await measure(analysis, ctx('eu18', 'eu17', { reported: new Set([target('eu18').cluster]) }), ZERO_COUNTERS);
    expect(m.decisions[0]).toMatchObject({ outcome: 'pass', rule: 'threshold.within' });
    expect(m.decisions[0]?.clusters?.[0]).toMatchObject({ failures: 0 });
    expect(m.decisions[0]?.clusters?.[0]?.samples).toBeGreaterThanOrEqual(20);
    expect(m.decisions[0]?.warnings.join('\n')).toMatch(/gp-prod-ws-eu18-eu-west1: the value query returned no series while the cluster had \d+ starts: counted as 0 failures/);
    expect(m.verdict).toBe('pass');
  });

  it("counts a failure series' first failure: rate() needs two samples, so a series born at 1 shows no increase", async () => {
    exporter.fail('eu19', 1);
    // Evaluated just after the new series' second sample, as Prometheus stored them: both lie in the 5 s window.
    let times: number[] = [];
    await waitFor('two scrapes of the new failure series', async () => {
      const raw = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(`${FAILURES.replace('{{shortName}}', 'eu19')}[30s]`)}`);
      const body = (await raw.json()) as { data: { result: Array<{ values: Array<[number, string]> }> } };
      times = (body.data.result[0]?.values ?? []).map(([t]) => Math.round(t * 1000));
      return times.length >= 2;
    }, 30_000);
    const at = new Date((times[1] ?? 0) + 100);
    // What Prometheus itself answers: no increase of the failure counter, though one start failed.
    const failures = await provider.instant(`sum(increase(${FAILURES.replace('{{shortName}}', 'eu19')}[5s]))`, { time: at });
    expect(failures[0]?.points[0]?.[1] ?? 0).toBe(0);
    const m = await measure(analysis, ctx('eu19', 'eu17', { now: at }), ZERO_COUNTERS);
    expect(m.decisions[0]?.clusters?.[0]).toMatchObject({ failures: 1 });
    expect(m.decisions[0]?.warnings.join('\n')).toMatch(/gp-prod-ws-eu19-eu-west1: 1 failure series began in the window: counted from 0/);
  });

  it("counts a starts series' first start too: a first start that failed is 1 failure of 2 starts, not of 1", async () => {
    // The cluster's first start fails (both series are born at 1), a later one succeeds.
    exporter.addStarts('eu22', 1, 1);
    const raw = async (selector: string): Promise<Array<[number, number]>> => {
      const r = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(`${selector}[30s]`)}`);
      const body = (await r.json()) as { data: { result: Array<{ values: Array<[number, string]> }> } };
      return (body.data.result[0]?.values ?? []).map(([t, v]) => [Math.round(t * 1000), Number(v)]);
    };
    const starts = STARTS.replace('{{shortName}}', 'eu22');
    await waitFor('the new starts series scraped', async () => (await raw(starts)).length >= 1, 30_000);
    exporter.addStarts('eu22', 1);
    let samples: Array<[number, number]> = [];
    await waitFor('four scrapes of the new starts series, the second start among them', async () => {
      samples = await raw(starts);
      return samples.length >= 4 && samples.at(-1)?.[1] === 2;
    }, 30_000);
    // Evaluated just after the fourth sample: the series' birth (at 1) and the second start lie in the 5 s window.
    const at = new Date((samples[3]?.[0] ?? 0) + 100);
    expect(samples[0]?.[1]).toBe(1);
    // What Prometheus itself answers: fewer than 2 starts (the first one is no increase; the rest is extrapolation).
    const seen = await provider.instant(analysis.metrics[0]!.samplesQuery!.replaceAll('{{shortName}}', 'eu22').replaceAll('{{interval}}', '5s'), { time: at });
    expect(Math.round(seen[0]?.points[0]?.[1] ?? 0)).toBeLessThan(2);
    const m = await measure(analysis, ctx('eu22', 'eu17', { now: at }), ZERO_COUNTERS);
    expect(m.decisions[0]?.clusters?.[0]).toMatchObject({ failures: 1, samples: 2 });
    expect(m.decisions[0]?.warnings.join('\n')).toMatch(/gp-prod-ws-eu22-eu-west1: 1 start series began in the window: counted from 0/);
  });

  it('does not pass on no failure series anywhere (a misspelt metric looks the same): waits, inconclusive past the deadline', async () => {
    const m = await measure(analysis, ctx('eu21', 'eu20'), ZERO_COUNTERS);
    expect(m.decisions[0]).toMatchObject({ outcome: 'wait', rule: 'no-data.no-failure-series' });
    expect(m.decisions[0]?.message).toMatch(/or vector\(0\)/);
    const late = await measure(analysis, ctx('eu21', 'eu20', { elapsedInStepMs: 60_000 }), ZERO_COUNTERS);
    expect(late.decisions[0]).toMatchObject({ outcome: 'inconclusive', rule: 'samples.deadline-passed' });
    // Written with `or vector(0)`, the same data is 0 failures of many starts: it passes.
    const zeroFilled = { ...analysis, metrics: [{ ...analysis.metrics[0]!, query: `(sum(rate(${FAILURES}[{{interval}}])) or vector(0)) / sum(rate(${STARTS}[{{interval}}]))` }] };
    expect((await measure(zeroFilled, ctx('eu21', 'eu20'), ZERO_COUNTERS)).decisions[0]).toMatchObject({ outcome: 'pass', rule: 'threshold.within' });
  });

  it('counts across a counter reset (the new cluster\'s ws-manager restarts inside the window): neither negative nor inflated starts', async () => {
    const before = await measure(analysis, ctx('eu30', 'eu17'), ZERO_COUNTERS);
    const steady = before.decisions[0]?.clusters?.[0]?.samples ?? 0;
    expect(steady).toBeGreaterThan(20);
    exporter.restart('eu30');
    // The reset lies inside the next 5 s window once two more scrapes are in.
    await new Promise((r) => setTimeout(r, 2_500));
    const m = await measure(analysis, ctx('eu30', 'eu17'), ZERO_COUNTERS);
    expect(m.decisions[0]).toMatchObject({ outcome: 'pass', rule: 'threshold.within' });
    const counted = m.decisions[0]?.clusters?.[0]?.samples ?? 0;
    // A reset read as a drop would give negative or no starts; read as a new counter from its old total, millions.
    expect(counted).toBeGreaterThan(steady / 4);
    expect(counted).toBeLessThan(steady * 4);
  });

  it('finds (almost) nothing in windows shorter than two scrapes, so such a window is refused when scrapeInterval is known', async () => {
    const points = `sum(rate(${FAILURES.replace('{{shortName}}', 'eu17')}[1s])) / sum(rate(${STARTS.replace('{{shortName}}', 'eu17')}[1s]))`;
    // Evaluated half a scrape away from the scrapes' phase, so no window edge falls on a sample.
    const last = await provider.instant(`timestamp(${STARTS.replace('{{shortName}}', 'eu17')})`);
    const phaseMs = Math.round((last[0]?.points[0]?.[1] ?? 0) * 1000) % 1000;
    const end = Math.floor(Date.now() / 1000) * 1000 - 1000 + ((phaseMs + 500) % 1000);
    const answer = await provider.range(points, { start: new Date(end - 9_000), end: new Date(end), stepMs: 1_000 });
    const found = answer.flatMap((s) => s.points).length;
    // 10 evaluation times, each [1s] window holding one scrape (two only if a scrape ran half a second late).
    expect(found).toBeLessThanOrEqual(2);
    const shift = (resolution: string) => ({
      steps: [50, 100],
      interval: '10s',
      analysis: {
        provider: { type: 'prometheus', url: prometheus.url },
        scrapeInterval: '1s',
        metrics: [
          { ...analysis.metrics[0], interval: undefined, lookback: undefined, minSamples: 20, threshold: { max: 0.1 } },
          { name: 'ratio-vs-baseline', query: `sum(rate(${FAILURES}[{{window}}])) / sum(rate(${STARTS}[{{window}}]))`, comparison: { method: 'mann-whitney', resolution } },
        ],
      },
    });
    const refused = trafficShiftSchema.safeParse(shift('1s'));
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]).toMatchObject({ path: ['analysis', 'metrics', 1, 'comparison', 'resolution'] });
    expect(refused.error?.issues[0]?.message).toBe(
      'ratio-vs-baseline: its {{window}} window of 1s holds fewer than two scrapes of 1s (analysis.scrapeInterval), and rate()/increase() need two samples in their window: Prometheus answers nothing for every cluster; make resolution at least 2s (4s keeps one missed scrape harmless)',
    );
    expect(trafficShiftSchema.safeParse(shift('2s')).success).toBe(true);
  });

  // Last: it restarts the Prometheus the other cases read.
  it('survives a Prometheus restart mid-stage: error while it is down, then a window tiled from before the restart counts across the gap', { timeout: 120_000 }, async () => {
    const metricName = analysis.metrics[0]!.name;
    const first = await measure(analysis, ctx('eu30', 'eu17'), ZERO_COUNTERS);
    expect(first.decisions[0]).toMatchObject({ outcome: 'pass' });
    // The stage's last counted window ended 3 s before this measurement: the next one reads from there, before the restart.
    const lastCountedEnd = Date.parse(first.at) - 3_000;
    const before = first.decisions[0]?.clusters?.[0]?.samples ?? 0;
    const restarted = prometheus.restart(3_000);
    await waitFor('prometheus to go down', async () => !(await fetch(`${prometheus.url}/-/ready`).then((r) => r.ok, () => false)), 30_000);
    const down = await measure(analysis, ctx('eu30', 'eu17', { reported: new Set([target('eu30').cluster]), windowStarts: { [metricName]: lastCountedEnd } }), ZERO_COUNTERS);
    expect(down.decisions[0]).toMatchObject({ outcome: 'error', rule: 'query-error' });
    await restarted;
    // Fresh scrapes after the restart, so the window's end holds samples from both sides of the gap.
    await waitFor('two scrapes after the restart', async () => {
      const n = await provider.instant('count_over_time(gitpod_ws_manager_workspace_starts_total{cluster="eu30"}[2500ms])').catch(() => []);
      return (n[0]?.points[0]?.[1] ?? 0) >= 2;
    }, 30_000);
    const after = await measure(analysis, ctx('eu30', 'eu17', { reported: new Set([target('eu30').cluster]), windowStarts: { [metricName]: lastCountedEnd } }), ZERO_COUNTERS);
    expect(after.decisions[0]).toMatchObject({ outcome: 'pass', rule: 'threshold.within' });
    // The window starts before the restart: its starts from then (replayed from the WAL) and across the gap count.
    expect(after.decisions[0]?.clusters?.[0]?.samples ?? 0).toBeGreaterThan(before);
  });
});
