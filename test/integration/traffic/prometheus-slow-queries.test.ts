/**
 * A slow or limited Prometheus (Debian's binary): queries it refuses to finish are a broken pipeline, counted toward
 * consecutiveErrorLimit until the shift halts, never a verdict on the canary.
 * - The check for failure series born in the window times out in Prometheus (a proxy sends it with a 1 µs `timeout`;
 *   the body is Prometheus' own): the canary's only failures are in such a series, so taking the unknown count for
 *   0 would pass it. It is an error.
 * - A window that would load more samples than `--query.max-samples` (HTTP 422, `errorType: execution`).
 * - `--query.max-concurrency=1`: a measurement's concurrent queries queue and are answered; while an expensive query
 *   holds the only slot, they time out in Prometheus' queue (or in the provider): errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analysisSchema } from '../../../src/traffic/analysis-config.js';
import { measure } from '../../../src/traffic/judges/measure.js';
import type { MeasurementContext } from '../../../src/traffic/judges/metric-judge.js';
import { ZERO_COUNTERS } from '../../../src/traffic/judges/step-verdict.js';
import { PrometheusProvider } from '../../../src/traffic/providers/prometheus.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { waitFor } from '../shift/harness.js';
import { startPrometheus, type RunningPrometheus } from './prometheus-process.js';
import { startPrometheusProxy, type PrometheusProxy } from './prometheus-proxy.js';
import { WorkspaceExporter } from './workspace-exporter.js';

const hasPrometheus = requireBinary('prometheus', 'queries a slow or limited Prometheus will not finish are judged against the real binary');

const STARTS = 'gitpod_ws_manager_workspace_starts_total{cluster="{{shortName}}"}';
const FAILURES = 'gitpod_ws_manager_workspace_starts_failure_total{cluster="{{shortName}}"}';
const target = (short: string) => ({ cluster: `gp-prod-ws-${short}-eu-west1`, shortName: short, region: 'europe-west1' });

const ratio = (extra: Record<string, unknown> = {}) =>
  analysisSchema.parse({
    provider: { type: 'prometheus', url: 'http://127.0.0.1:1' },
    metrics: [
      {
        name: 'start-failure-ratio',
        query: `sum(rate(${FAILURES}[{{interval}}])) / sum(rate(${STARTS}[{{interval}}]))`,
        samplesQuery: `sum(increase(${STARTS}[{{interval}}]))`,
        threshold: { max: 0.1 },
        minSamples: 20,
      },
    ],
    consecutiveErrorLimit: 1,
    ...extra,
  });

describe.skipIf(!hasPrometheus)('a slow or limited prometheus (real binary)', () => {
  const exporter = new WorkspaceExporter();
  let port = 0;
  const running: RunningPrometheus[] = [];
  let proxy: PrometheusProxy | undefined;

  const ctx = (provider: PrometheusProvider, newShort: string, extra: Partial<MeasurementContext> = {}): MeasurementContext => ({
    provider,
    newClusters: [target(newShort)],
    oldClusters: [target('old')],
    intervalMs: 5_000,
    now: new Date(),
    elapsedInStepMs: 5_000,
    sampleDeadlineMs: 60_000,
    ...extra,
  });
  const start = async (flags: string[] = []) => {
    const p = await startPrometheus([`127.0.0.1:${port}`], 20_000, 170_000, [], undefined, flags);
    running.push(p);
    const provider = new PrometheusProvider({ url: p.url, timeoutMs: 10_000 });
    await waitFor('7 s of scrapes', async () => {
      const n = await provider.range('gitpod_ws_manager_workspace_starts_total', { start: new Date(Date.now() - 7_000), end: new Date(), stepMs: 1_000 });
      return n.length >= 2 && n.every((s) => s.points.length >= 7);
    }, 40_000);
    return p;
  };

  beforeAll(async () => {
    exporter.set('old', { startsPerTick: 2, failureRatio: 0.02 });
    // A canary with no failure series yet: its first failures will be born at once, in one series.
    exporter.set('new', { startsPerTick: 2, failureRatio: 0, failuresFromFirst: true });
    port = await exporter.start(100);
  }, 30_000);

  afterAll(async () => {
    await proxy?.stop();
    await Promise.all(running.map((p) => p.stop()));
    await exporter.stop();
  });

  it('errs, never passes, when the check for failure series born in the window times out in Prometheus', async () => {
    const prometheus = await start();
    proxy = await startPrometheusProxy(prometheus.url);
    const provider = new PrometheusProvider({ url: proxy.url, timeoutMs: 10_000 });
    exporter.fail('new', 60);
    const failures = FAILURES.replace('{{shortName}}', 'new');
    let times: number[] = [];
    await waitFor('two scrapes of the new failure series', async () => {
      const r = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(`${failures}[30s]`)}`);
      times = ((await r.json()) as { data: { result: Array<{ values: Array<[number, string]> }> } }).data.result[0]?.values.map(([t]) => Math.round(t * 1000)) ?? [];
      return times.length >= 2;
    }, 30_000);
    const at = new Date((times[1] ?? 0) + 100);
    // Premise: counted from 0, the born series' 60 failures fail the canary; rate() alone sees none of them.
    const counted = await measure(ratio(), ctx(provider, 'new', { now: at }), ZERO_COUNTERS);
    expect(counted.decisions[0]).toMatchObject({ outcome: 'fail' });
    expect(counted.decisions[0]?.clusters?.[0]?.failures).toBeGreaterThanOrEqual(60);

    proxy.timeOut((q) => q.includes(' unless last_over_time('));
    const m = await measure(ratio(), ctx(provider, 'new', { now: at }), ZERO_COUNTERS);
    expect(proxy.timedOut()).toBeGreaterThan(0);
    expect(m.decisions[0]).toMatchObject({ outcome: 'error', rule: 'query-error' });
    expect(m.decisions[0]?.message).toMatch(/series born in the window for gp-prod-ws-\w+-eu-west1 failed \(timeout\): .*timed out evaluating the query: timeout: query timed out/);
    expect(m.verdict).toBe('wait');
    const again = await measure(ratio(), ctx(provider, 'new', { now: at }), m.counters);
    expect(again).toMatchObject({ verdict: 'halt', rule: 'limit.consecutive-errors' });
  }, 120_000);
});
