/**
 * Tiled windows on a real Prometheus (Debian's binary) count every counter step once: a proportion metric adds up
 * back-to-back windows (each starts where the previous one ended), and a step between one window's last scrape and
 * the next one's first must be counted by one of them. An exporter steps its counters at known moments (isolated
 * single failures, a few at once, isolated single starts), Prometheus scrapes it every second, and the gate's own
 * code (evaluateMetric) reads 3 s windows back to back, as the controller does; the windows' sum is compared with
 * what Prometheus stored (its raw samples: the counters' last values at the first window's start and the last one's
 * end). The exporter runs in a process of its own (workspace-exporter-process.ts): a stall of the test's worker on a
 * loaded machine cannot cost a scrape, and the windows are read after the run, from what was stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateMetric } from '../../../src/traffic/judges/metric-judge.js';
import { PrometheusProvider } from '../../../src/traffic/providers/prometheus.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { waitFor } from '../shift/harness.js';
import { FAILURES, measureContext, STARTS, startFailureRatioAnalysis } from './measure-context.js';
import { startPrometheus, type RunningPrometheus } from './prometheus-process.js';
import { scrapeRegularity, storedSamples, storedStep } from './stored-samples.js';
import { WorkspaceExporterProcess } from './workspace-exporter-process.js';

const hasPrometheus = requireBinary('prometheus', 'tiled windows are checked against a real Prometheus');

/** Seconds of stepped counters; read as 3 s and as 4 s windows (a scrape interval of a third and of a quarter). */
const SPAN_MS = 36_000;
/** How late each window's measurement ran (ms), as the controller's are: window lengths are no whole scrapes. */
const LATE_MS = [0, 130, 410, 20, 270, 600, 90, 350, 5, 480, 200, 60];
/**
 * Scrapes the exporter answers too late (after the 1 s scrape_timeout: Prometheus stores no sample, only staleness
 * markers), as a loaded machine once did in CI: each the last scrape before a seam of both chains (windows ending at
 * `from` + 11 s and + 23 s; the scrapes lie half an interval off the seams). A scrape missed inside a window costs
 * nothing; at a seam, neither window has a sample between the one before it and the one after it.
 */
const MISSED_SCRAPES_MS = [10_500, 22_500];
const metric = { ...startFailureRatioAnalysis().metrics[0]!, minSamples: 1 };

describe.skipIf(!hasPrometheus)('tiled windows on a real prometheus', () => {
  const exporter = new WorkspaceExporterProcess();
  let prometheus: RunningPrometheus;
  let provider: PrometheusProvider;
  let from = 0;
  const stepped = { failures: 0, starts: 0 };

  beforeAll(async () => {
    const port = await exporter.start(100);
    // eu40: steady starts (10 a second), failures only where the test steps them. eu42: isolated single starts only.
    exporter.set('eu40', { startsPerTick: 1, failureRatio: 0 });
    exporter.set('eu41', { startsPerTick: 1, failureRatio: 0 });
    exporter.set('eu42', { startsPerTick: 0, failureRatio: 0 });
    // Counters above 0 before the first window: rate() stops extrapolating at a counter's 0 (prometheus-zero-start-counter.test.ts).
    exporter.fail('eu40', 1);
    exporter.addStarts('eu42', 1);
    prometheus = await startPrometheus([`127.0.0.1:${port}`], 20_000, 180_000);
    provider = new PrometheusProvider({ url: prometheus.url, timeoutMs: 10_000 });
    await waitFor('3 s of scrapes', async () => {
      const n = await provider.range(STARTS.replace('{{shortName}}', 'eu40'), { start: new Date(Date.now() - 3_000), end: new Date(), stepMs: 1_000 });
      return n.length === 1 && (n[0]?.points.length ?? 0) >= 3;
    }, 30_000);
    // Every seam lies at `from` plus whole scrape intervals (metric-judge.ts): put them half an interval from the scrapes'
    // stamps. Prometheus aligns a stamp to its schedule only within 2 ms; on a loaded machine one taken tens of ms late
    // could cross a seam and move a step from one window to the next, which is not what this test is about.
    const stamps = await provider.instant(`timestamp(${STARTS.replace('{{shortName}}', 'eu40')})`);
    const stamp = Math.round((stamps[0]?.points[0]?.[1] ?? NaN) * 1_000);
    from = stamp + Math.ceil((Date.now() - stamp) / 1_000) * 1_000 + 500;
    await new Promise((r) => setTimeout(r, Math.max(0, from - Date.now())));
    // Slow answers from just after the scrape before (timers never fire early; one late by up to 0.9 s still catches
    // the scrape) to 0.4 s after the missed one (a scrape of a loaded Prometheus up to that late is still missed; the
    // next comes 1 s after it: a timer later than 0.6 s costs one more scrape, still counted exactly).
    for (const at of MISSED_SCRAPES_MS) {
      setTimeout(() => exporter.respondAfter(1_500), from + at - 900 - Date.now());
      setTimeout(() => exporter.respondAfter(0), from + at + 400 - Date.now());
    }
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

  /** What Prometheus stored between the first window's start and `end`, and how regular its scrapes were. */
  async function truth(end: number): Promise<{ failures: number; starts: number; isolatedStarts: number; scrapes: ReturnType<typeof scrapeRegularity> }> {
    const samples = async (q: string, short: string) => storedSamples(prometheus.url, q.replace('{{shortName}}', short), from, end);
    const [failures, starts, isolated] = [await samples(FAILURES, 'eu40'), await samples(STARTS, 'eu40'), await samples(STARTS, 'eu42')];
    const scrapes = scrapeRegularity(starts, 1_000);
    return { failures: storedStep(failures, from, end), starts: storedStep(starts, from, end), isolatedStarts: storedStep(isolated, from, end), scrapes };
  }

  it('counts every failure and every start once across back-to-back windows', async () => {
    // The four chains of windows (3 s and 4 s, steady and isolated) are independent: read at once, not one after the
    // other (one by one they took 20 s at a load average of 30, against 2 s unloaded).
    const results = await Promise.all(
      [3_000, 4_000].map(async (windowMs) => {
        const [steady, isolated] = await Promise.all([tiledSums('eu40', windowMs), tiledSums('eu42', windowMs)]);
        const { scrapes, ...stored } = await truth(steady.end);
        console.log(JSON.stringify({ windowMs, stepped, truth: stored, scrapes, steady, isolated: { samples: isolated.samples, windows: isolated.windows } }));
        return { counted: { windowMs, failures: steady.failures, starts: steady.samples, isolatedStarts: isolated.samples }, truth: { windowMs, ...stored }, missing: scrapes.missing };
      }),
    );
    // Premise: the two seam scrapes were missed (and any other a loaded machine missed: exact all the same).
    for (const r of results) expect(r.missing, `scrapes missed in the ${r.truth.windowMs} ms chain`).toBeGreaterThanOrEqual(MISSED_SCRAPES_MS.length);
    // Exact, missed scrapes and all: each window counts from the previous one's last stored sample (stored-steps.ts
    // anchoredCounts). Before, rate() lost the steps around a missed seam scrape (seen once in CI: the 4 s chain counted
    // 29 of 32 failures and 331 of 337 starts).
    expect(results.map((r) => r.counted)).toEqual(results.map((r) => r.truth));

  }, 120_000);
});
