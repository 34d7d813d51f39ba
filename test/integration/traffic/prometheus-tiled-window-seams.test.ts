/**
 * Tiled windows on a real Prometheus (Debian's binary) count every counter step once: a proportion metric adds up
 * back-to-back windows (each starts where the previous one ended), and a step between one window's last scrape and
 * the next one's first must be counted by one of them. An exporter steps its counters at known moments (isolated
 * single failures, a few at once, isolated single starts), Prometheus scrapes it every second, and the gate's own
 * code (evaluateMetric) reads 3 s windows back to back, as the controller does; the windows' sum is compared with
 * what Prometheus stored (the counters' values at the first window's start and the last one's end).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateMetric } from '../../../src/traffic/judges/metric-judge.js';
import { PrometheusProvider } from '../../../src/traffic/providers/prometheus.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { waitFor } from '../shift/harness.js';
import { FAILURES, measureContext, STARTS, startFailureRatioAnalysis } from './measure-context.js';
import { startPrometheus, type RunningPrometheus } from './prometheus-process.js';
import { WorkspaceExporter } from './workspace-exporter.js';

const hasPrometheus = requireBinary('prometheus', 'tiled windows are checked against a real Prometheus');

/** Seconds of stepped counters; read as 3 s and as 4 s windows (a scrape interval of a third and of a quarter). */
const SPAN_MS = 36_000;
/** How late each window's measurement ran (ms), as the controller's are: window lengths are no whole scrapes. */
const LATE_MS = [0, 130, 410, 20, 270, 600, 90, 350, 5, 480, 200, 60];
const metric = { ...startFailureRatioAnalysis().metrics[0]!, minSamples: 1 };

describe.skipIf(!hasPrometheus)('tiled windows on a real prometheus', () => {
  const exporter = new WorkspaceExporter();
  let prometheus: RunningPrometheus;
  let provider: PrometheusProvider;
  let from = 0;
  const stepped = { failures: 0, starts: 0 };

  beforeAll(async () => {
    // eu40: steady starts (10 a second), failures only where the test steps them. eu42: isolated single starts only.
    exporter.set('eu40', { startsPerTick: 1, failureRatio: 0 });
    exporter.set('eu41', { startsPerTick: 1, failureRatio: 0 });
    exporter.set('eu42', { startsPerTick: 0, failureRatio: 0 });
    // Counters above 0 before the first window: rate() stops extrapolating at a counter's 0, another matter.
    exporter.fail('eu40', 1);
    exporter.addStarts('eu42', 1);
    prometheus = await startPrometheus([`127.0.0.1:${await exporter.start(100)}`], 20_000, 180_000);
    provider = new PrometheusProvider({ url: prometheus.url, timeoutMs: 10_000 });
    await waitFor('3 s of scrapes', async () => {
      const n = await provider.range(STARTS.replace('{{shortName}}', 'eu40'), { start: new Date(Date.now() - 3_000), end: new Date(), stepMs: 1_000 });
      return n.length === 1 && (n[0]?.points.length ?? 0) >= 3;
    }, 30_000);
    from = Date.now();
    // Steps at moments spread over the scrape phase (every 1.37 s): singles, and every fifth a burst of three.
    const until = from + SPAN_MS;
    for (let i = 1; Date.now() < until - 1_500; i++) {
      await new Promise((r) => setTimeout(r, 1_370));
      const n = i % 5 === 0 ? 3 : 1;
      exporter.fail('eu40', n);
      exporter.addStarts('eu42', 1);
      stepped.failures += n;
      stepped.starts += 1;
    }
    await waitFor('the last window scraped', async () => Date.now() > until + 2_500, 30_000);
  }, 120_000);

  afterAll(async () => {
    await prometheus?.stop();
    await exporter.stop();
  });

  /** The counter's value Prometheus stored last at or before `at` (an instant query: raw, no extrapolation). */
  async function stored(selector: string, at: number): Promise<number> {
    const s = await provider.instant(selector, { time: new Date(at) });
    return s[0]?.points[0]?.[1] ?? NaN;
  }

  /** The measurements' times: every `windowMs`, each late by its LATE_MS, the last one at the span's end. */
  const times = (windowMs: number) => Array.from({ length: SPAN_MS / windowMs }, (_, i) => (i === SPAN_MS / windowMs - 1 ? from + SPAN_MS : from + (i + 1) * windowMs + (LATE_MS[i] ?? 0)));

  /** Reads back-to-back windows as the controller does: each starts where the previous one ended (its record's end). */
  async function tiledSums(newShort: string, windowMs: number): Promise<{ failures: number; samples: number; end: number; windows: string[] }> {
    let failures = 0;
    let samples = 0;
    const windows: string[] = [];
    let start = from;
    for (const at of times(windowMs)) {
      const d = await evaluateMetric(metric, measureContext(provider, at, { new: newShort, old: 'eu41' }, { intervalMs: windowMs, windowStarts: { [metric.name]: start } }));
      start = Date.parse(d.window?.end ?? '');
      const e = d.clusters?.[0];
      failures += e?.failures ?? 0;
      samples += e?.samples ?? 0;
      windows.push(`${e?.failures ?? '-'}/${e?.samples ?? '-'}`);
    }
    return { failures, samples, end: start, windows };
  }

  /** What Prometheus stored between the first window's start and `end` (instant queries: raw values, no extrapolation). */
  async function truth(end: number): Promise<{ failures: number; starts: number; isolatedStarts: number }> {
    const sel = (q: string, short: string) => q.replace('{{shortName}}', short);
    const step = async (selector: string) => (await stored(selector, end)) - (await stored(selector, from));
    return { failures: await step(sel(FAILURES, 'eu40')), starts: await step(sel(STARTS, 'eu40')), isolatedStarts: await step(sel(STARTS, 'eu42')) };
  }

  it('counts every failure and every start once across back-to-back windows', async () => {
    const counted = [];
    const truths = [];
    for (const windowMs of [3_000, 4_000]) {
      const steady = await tiledSums('eu40', windowMs);
      const isolated = await tiledSums('eu42', windowMs);
      const stored = await truth(steady.end);
      console.log(JSON.stringify({ windowMs, stepped, truth: stored, steady, isolated: { samples: isolated.samples, windows: isolated.windows } }));
      counted.push({ windowMs, failures: steady.failures, starts: steady.samples, isolatedStarts: isolated.samples });
      truths.push({ windowMs, ...stored });
    }
    expect(counted).toEqual(truths);
  }, 120_000);
});
