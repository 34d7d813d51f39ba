/**
 * A pre-initialised failure counter (exported as 0 before the first failure) at 0 at the start of a window: Prometheus
 * does not extrapolate its increase toward the range's start past its zero point, while it does the starts beside
 * it (promql/functions.go extrapolatedRate), so the canary's first failing window reads its failure ratio low
 * (stored-steps.ts). Real Prometheus, 1 s scrapes; a burst of 10 failures among 20 starts a second, read as a tiled 3 s
 * window (the controller's, with analysis.scrapeInterval) and as a sliding one; the truth is the raw samples Prometheus
 * stored. The exporter runs in a process of its own, as in the seams test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateMetric } from '../../../src/traffic/judges/metric-judge.js';
import { PrometheusProvider } from '../../../src/traffic/providers/prometheus.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { waitFor } from '../shift/harness.js';
import { FAILURES, measureContext, STARTS, startFailureRatioAnalysis } from './measure-context.js';
import { startPrometheus, type RunningPrometheus } from './prometheus-process.js';
import { storedSamples, storedStep, type StoredSample } from './stored-samples.js';
import { WorkspaceExporterProcess } from './workspace-exporter-process.js';

const hasPrometheus = requireBinary('prometheus', 'a failure counter at its zero point is judged against a real Prometheus');

const metric = { ...startFailureRatioAnalysis().metrics[0]!, minSamples: 1 };
const selector = (template: string) => template.replace('{{shortName}}', 'eu50');

describe.skipIf(!hasPrometheus)('a failure counter at 0 at the start of the window (real prometheus)', () => {
  const exporter = new WorkspaceExporterProcess();
  let prometheus: RunningPrometheus;
  let provider: PrometheusProvider;
  /** A window start half a scrape interval from the scrapes' stamps (as in the seams test). */
  let from = 0;

  beforeAll(async () => {
    const port = await exporter.start(100);
    // eu50: 20 starts a second, its failure counter exported at 0 until the burst. eu51: the baseline.
    exporter.set('eu50', { startsPerTick: 2, failureRatio: 0 });
    exporter.set('eu51', { startsPerTick: 1, failureRatio: 0 });
    prometheus = await startPrometheus([`127.0.0.1:${port}`], 20_000, 120_000);
    provider = new PrometheusProvider({ url: prometheus.url, timeoutMs: 10_000 });
    let starts: StoredSample[] = [];
    await waitFor('3 s of scrapes', async () => (starts = await storedSamples(prometheus.url, selector(STARTS), Date.now() - 3_000, Date.now()).catch(() => [])).length >= 3, 30_000);
    const stamp = starts.at(-1)?.t ?? NaN;
    from = stamp + Math.ceil((Date.now() - stamp) / 1_000) * 1_000 + 500;
    // The burst comes a second into the window: the failure counter's first sample in the window (and the one before it) is 0.
    await waitFor('a second into the window', () => Date.now() >= from + 1_000, 10_000);
    exporter.fail('eu50', 10);
    await waitFor('4 s after the window start stored', async () => ((await storedSamples(prometheus.url, selector(STARTS), from, Date.now())).at(-1)?.t ?? 0) >= from + 4_500, 30_000);
  }, 90_000);

  afterAll(async () => {
    await prometheus?.stop();
    await exporter.stop();
  });

  it('counts every stored failure of a tiled window, not the share rate() extrapolates', async () => {
    // Read 600 ms late, as a controller's measurement may run: the window is [from, from + 3 s] (seamReach).
    const d = await evaluateMetric(metric, measureContext(provider, from + 4_600, { new: 'eu50', old: 'eu51' }, { windowStarts: { [metric.name]: from } }));
    const end = Date.parse(d.window?.end ?? '');
    const [failures, starts] = [await storedSamples(prometheus.url, selector(FAILURES), from, end), await storedSamples(prometheus.url, selector(STARTS), from, end)];
    // Premise: the counter was 0 at the window's start and the burst is inside the window.
    expect(failures.filter((s) => s.t <= from).at(-1)?.v).toBe(0);
    const truth = { failures: storedStep(failures, from, end), starts: storedStep(starts, from, end) };
    expect(truth.failures).toBe(10);
    const c = d.clusters?.[0];
    expect({ failures: c?.failures, samples: c?.samples }, d.message).toEqual({ failures: truth.failures, samples: truth.starts });
    expect(d.warnings.join('\n')).toMatch(/failures counted at the stored samples' ratio/);
  }, 60_000);

  it("reads a sliding window's failure ratio as the stored samples give it", async () => {
    const at = from + 3_200;
    const d = await evaluateMetric(metric, measureContext(provider, at, { new: 'eu50', old: 'eu51' }));
    const inWindow = (s: StoredSample) => s.t > at - 3_000 && s.t <= at;
    const step = (samples: StoredSample[]) => (samples.filter(inWindow).at(-1)?.v ?? NaN) - (samples.filter(inWindow)[0]?.v ?? NaN);
    const [failures, starts] = [await storedSamples(prometheus.url, selector(FAILURES), at - 3_000, at), await storedSamples(prometheus.url, selector(STARTS), at - 3_000, at)];
    // Premise: the window's first failure sample is 0, and the burst is stored inside it.
    expect(failures.filter(inWindow).map((s) => s.v)[0]).toBe(0);
    expect(step(failures)).toBe(10);
    const stored = step(failures) / step(starts);
    const c = d.clusters?.[0];
    // Counted failures are the ratio × the (extrapolated) starts, rounded: within half a failure of the stored ratio.
    expect(Math.abs((c?.failures ?? 0) - stored * (c?.samples ?? 0)), `${JSON.stringify({ stored, c: { f: c?.failures, s: c?.samples } })} ${d.message}`).toBeLessThanOrEqual(0.5);
  }, 60_000);
});
