/**
 * A scrape is stamped when it starts and stored when the target has answered: a measurement right after a scrape's
 * time does not see it yet, with clocks in sync. Tiled windows on a real Prometheus (Debian's binary), measured in
 * real time as the controller does, against an exporter that answers each 1 s scrape 600 ms late, each measurement
 * about 350 ms after a scrape's stamp (its answer still out): the windows' sums of failures and starts (steady ones, and
 * isolated single starts) are compared with what Prometheus stored (its raw samples) between the first window's start
 * and the last end. The exporter runs in a process of its own (workspace-exporter-process.ts): in the test's worker a
 * stall of 300 ms on a loaded machine pushed a 700 ms answer past the 1 s scrape_timeout, and the run lost scrapes.
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

const hasPrometheus = requireBinary('prometheus', 'windows are read from a real Prometheus');

const WINDOW_MS = 3_000;
const WINDOWS = 12;
const metric = { ...startFailureRatioAnalysis().metrics[0]!, minSamples: 1 };

describe.skipIf(!hasPrometheus)('windows measured while a scrape is in flight (real prometheus)', () => {
  const exporter = new WorkspaceExporterProcess();
  let prometheus: RunningPrometheus;
  let provider: PrometheusProvider;

  beforeAll(async () => {
    const port = await exporter.start(100);
    exporter.set('eu50', { startsPerTick: 1, failureRatio: 0 });
    exporter.set('eu51', { startsPerTick: 1, failureRatio: 0 });
    exporter.set('eu52', { startsPerTick: 0, failureRatio: 0 });
    // Counters above 0 before the first window: rate() stops extrapolating at a counter's 0, another matter.
    exporter.fail('eu50', 1);
    exporter.addStarts('eu52', 1);
    // Late enough that a measurement ~350 ms after a stamp misses its scrape, and 400 ms inside the scrape_timeout (1 s).
    exporter.respondAfter(600);
    prometheus = await startPrometheus([`127.0.0.1:${port}`], 20_000, 180_000);
    provider = new PrometheusProvider({ url: prometheus.url, timeoutMs: 10_000 });
    await waitFor('3 s of scrapes', async () => {
      const n = await provider.range(STARTS.replace('{{shortName}}', 'eu50'), { start: new Date(Date.now() - 3_000), end: new Date(), stepMs: 1_000 });
      return n.length === 1 && (n[0]?.points.length ?? 0) >= 3;
    }, 30_000);
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await exporter.stop();
  });

  it('counts every failure and start once though the last scrape before a window ends is stored after it is read', async () => {
    // The stamp of a scrape: windows start 250 ms after one (clear of stamps that drift), measured 90 ms after their end.
    const stamps = await provider.instant(`timestamp(${STARTS.replace('{{shortName}}', 'eu50')})`);
    const stamp = Math.round((stamps[0]?.points[0]?.[1] ?? NaN) * 1000);
    const from = stamp + Math.ceil((Date.now() - stamp) / 1_000) * 1_000 + 250;
    const stepping = (async () => {
      for (let i = 1; Date.now() < from + WINDOWS * WINDOW_MS - 1_500; i++) {
        await new Promise((r) => setTimeout(r, 1_370));
        exporter.fail('eu50', i % 5 === 0 ? 3 : 1);
        exporter.addStarts('eu52', 1);
      }
    })();
    const read = async (short: string, windowStart: number, at: number) => {
      await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
      const d = await evaluateMetric(metric, measureContext(provider, Date.now(), { new: short, old: 'eu51' }, { intervalMs: WINDOW_MS, windowStarts: { [metric.name]: windowStart } }));
      return { end: Date.parse(d.window?.end ?? ''), failures: d.clusters?.[0]?.failures ?? 0, samples: d.clusters?.[0]?.samples ?? 0 };
    };
    let start = { eu50: from, eu52: from };
    const windows: string[] = [];
    const windowEnds: number[] = [];
    let counted = { failures: 0, starts: 0, isolatedStarts: 0 };
    for (let i = 0; i < WINDOWS; i++) {
      const at = from + (i + 1) * WINDOW_MS + 90;
      const [a, b] = await Promise.all([read('eu50', start.eu50, at), read('eu52', start.eu52, at)]);
      start = { eu50: a.end, eu52: b.end };
      windowEnds.push(a.end);
      counted = { failures: counted.failures + a.failures, starts: counted.starts + a.samples, isolatedStarts: counted.isolatedStarts + b.samples };
      windows.push(`${a.failures}/${a.samples}/${b.samples}@${Date.now() - a.end}`);
    }
    await stepping;
    await waitFor('the last window stored', async () => Date.now() > start.eu50 + 3_000, 10_000);
    const samples = async (q: string, short: string, end: number) => storedSamples(prometheus.url, q.replace('{{shortName}}', short), from, end);
    const [failures, starts, isolated] = [await samples(FAILURES, 'eu50', start.eu50), await samples(STARTS, 'eu50', start.eu50), await samples(STARTS, 'eu52', start.eu52)];
    const truth = { failures: storedStep(failures, from, start.eu50), starts: storedStep(starts, from, start.eu50), isolatedStarts: storedStep(isolated, from, start.eu52) };
    // Per window, what was stored (failures / isolated starts), beside what was counted: a seam shows as a pair that differs.
    const ends = [from, ...windowEnds];
    const per = ends.slice(1).map((end, i) => `${storedStep(failures, ends[i]!, end)}/${storedStep(isolated, ends[i]!, end)}`);
    const scrapes = scrapeRegularity(starts, 1_000);
    console.log(JSON.stringify({ truth, counted, scrapes, windows, per }));
    expect(counted).toEqual(truth);
  }, 120_000);
});
