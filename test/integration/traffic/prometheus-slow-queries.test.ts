/**
 * A slow or limited Prometheus (Debian's binary): queries it refuses to finish are a broken pipeline, counted toward
 * consecutiveErrorLimit until the shift halts, never a verdict on the canary.
 * - The check for failure series born in the window times out in Prometheus (a proxy sends it with a 1 µs `timeout`;
 *   the body is Prometheus' own): the canary's only failures are in such a series, so taking the unknown count for
 *   0 would pass it. It is an error; so is a timeout of the stored steps' query (stored-steps.ts).
 * - A window that would load more samples than `--query.max-samples` (HTTP 422, `errorType: execution`): a server
 *   limit (`limit`), not a query to fix.
 * - `--query.max-concurrency=1`: a measurement's concurrent queries queue and are answered; while an expensive query
 *   holds the only slot, they time out in Prometheus' queue (or in the provider): errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measure } from '../../../src/traffic/judges/measure.js';
import type { MeasurementContext } from '../../../src/traffic/judges/metric-judge.js';
import { analysisSchema } from '../../../src/traffic/analysis-config.js';
import { ZERO_COUNTERS } from '../../../src/traffic/judges/step-verdict.js';
import { PrometheusProvider } from '../../../src/traffic/providers/prometheus.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { waitFor } from '../shift/harness.js';
import { startPrometheus, type RunningPrometheus } from './prometheus-process.js';
import { startPrometheusProxy, type PrometheusProxy } from './prometheus-proxy.js';
import { FAILURES, fiveSecondContext, STARTS, startFailureRatioAnalysis } from './measure-context.js';
import { WorkspaceExporter } from './workspace-exporter.js';

const hasPrometheus = requireBinary('prometheus', 'queries a slow or limited Prometheus will not finish are judged against the real binary');

const ratio = (extra: Record<string, unknown> = {}) => startFailureRatioAnalysis({ consecutiveErrorLimit: 1, ...extra });

describe.skipIf(!hasPrometheus)('a slow or limited prometheus (real binary)', () => {
  const exporter = new WorkspaceExporter();
  let port = 0;
  const running: RunningPrometheus[] = [];
  let proxy: PrometheusProxy | undefined;

  const ctx = (provider: PrometheusProvider, newShort: string, extra: Partial<MeasurementContext> = {}) => fiveSecondContext(provider, newShort, 'old', extra);
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
    expect(m.decisions[0]?.message).toMatch(/series born in the window for gp-prod-ws-\w+-eu-west1 failed \(timeout\): .*timed out evaluating the query \(HTTP 503: timeout: query timed out/);
    expect(m.verdict).toBe('wait');
    const again = await measure(ratio(), ctx(provider, 'new', { now: at }), m.counters);
    expect(again).toMatchObject({ verdict: 'halt', rule: 'limit.consecutive-errors' });
  }, 120_000);

  it('errs, never judges without it, when the query for the stored failure and start steps times out in Prometheus', async () => {
    const prometheus = await start();
    const stepsProxy = await startPrometheusProxy(prometheus.url);
    try {
      const provider = new PrometheusProvider({ url: stepsProxy.url, timeoutMs: 10_000 });
      // The cluster with the pre-initialised failure counter (2 % failing) judged as the canary: its stored steps are asked.
      // (A third cluster in the exporter would put the scrape wait's range query over --query.max-samples below.)
      const swapped = (p: PrometheusProvider) => fiveSecondContext(p, 'old', 'new');
      // Premise: answered, the same measurement is judged (no error).
      const answered = await measure(ratio(), swapped(provider), ZERO_COUNTERS);
      expect(answered.decisions[0]?.outcome, answered.decisions[0]?.message).not.toBe('error');
      // The stored steps' query (stored-steps.ts: its ratio is the count where rate() stops at a counter's zero point).
      stepsProxy.timeOut((q) => q.includes('"part", "steps"'));
      const m = await measure(ratio(), swapped(provider), ZERO_COUNTERS);
      expect(stepsProxy.timedOut()).toBeGreaterThan(0);
      expect(m.decisions[0]).toMatchObject({ outcome: 'error', rule: 'query-error' });
      expect(m.decisions[0]?.message).toMatch(/the query for the stored failure and start steps of gp-prod-ws-\w+-eu-west1 failed \(timeout\): .*timed out evaluating the query \(HTTP 503: timeout: query timed out/);
      expect(m.verdict).toBe('wait');
      const again = await measure(ratio(), swapped(provider), m.counters);
      expect(again).toMatchObject({ verdict: 'halt', rule: 'limit.consecutive-errors' });
    } finally {
      await stepsProxy.stop();
    }
  }, 120_000);

  const rate = (lookback: string) =>
    analysisSchema.parse({
      provider: { type: 'prometheus', url: 'http://127.0.0.1:1' },
      metrics: ['a', 'b', 'c'].map((n) => ({ name: `start-rate-${n}`, query: `sum(rate(${STARTS}[{{interval}}]))`, threshold: { min: 1 }, lookback })),
      consecutiveErrorLimit: 1,
    });

  it('errs on a window over --query.max-samples (HTTP 422, execution), and halts at consecutiveErrorLimit', async () => {
    const prometheus = await start(['--query.max-samples=20']);
    const provider = new PrometheusProvider({ url: prometheus.url, timeoutMs: 10_000 });
    // A 60 s window passes while it holds fewer than 20 samples, then Prometheus refuses to load it.
    let m: Awaited<ReturnType<typeof measure>> | undefined;
    await waitFor('a 60 s window over 20 samples', async () => {
      m = await measure(rate('60s'), ctx(provider, 'new'), ZERO_COUNTERS);
      if (m.decisions.some((d) => d.outcome !== 'pass')) return true;
      expect(m.verdict).not.toBe('fail');
      return false;
    }, 60_000);
    expect(m?.decisions.map((d) => [d.outcome, d.rule])).toEqual([['error', 'query-error'], ['error', 'query-error'], ['error', 'query-error']]);
    // A server limit, not the author's mistake: no "fix the query" (the kind says so too: `limit`, not `bad-query`).
    expect(m?.decisions[0]?.message).toMatch(/failed \(limit\): .*refused to run the query, over a limit of the server \(HTTP 422: execution: query processing would load too many samples into memory.*\); the window holds more samples than the server's --query.max-samples allows: shorten/);
    expect(m?.decisions[0]?.message).not.toMatch(/fix the query/);
    expect(m?.verdict).toBe('wait');
    const again = await measure(rate('60s'), ctx(provider, 'new'), m!.counters);
    expect(again).toMatchObject({ verdict: 'halt', rule: 'limit.consecutive-errors' });
    // A window the limit allows is judged as usual on the same Prometheus.
    expect((await measure(rate('5s'), ctx(provider, 'new'), ZERO_COUNTERS)).verdict).toBe('pass');
  }, 120_000);

  it('with --query.max-concurrency=1 queues a measurement\'s queries, and errs while an expensive query holds the slot', async () => {
    const prometheus = await start(['--query.max-concurrency=1']);
    // Three metrics, two clusters, value queries all at once: one at a time in Prometheus, all answered.
    const patient = new PrometheusProvider({ url: prometheus.url, timeoutMs: 10_000 });
    expect((await measure(rate('5s'), ctx(patient, 'new'), ZERO_COUNTERS)).verdict).toBe('pass');
    const engineQueries = async () => Number(/^prometheus_engine_queries (\S+)$/m.exec(await (await fetch(`${prometheus.url}/metrics`)).text())?.[1] ?? 0);
    const hurried = new PrometheusProvider({ url: prometheus.url, timeoutMs: 500 });
    // Its sub-second timeout is sent in a form Prometheus parses (`500ms`; `0.5s` is refused with HTTP 400).
    expect((await measure(rate('5s'), ctx(hurried, 'new'), ZERO_COUNTERS)).verdict).toBe('pass');
    let seen: Awaited<ReturnType<typeof measure>> | undefined;
    // A subquery at 1 ms steps over an hour (3.6 M points) runs for seconds; measured while it is running, every query
    // waits in the queue past its 500 ms. Repeated where the hog finished first (a fast machine) or during the
    // measurement (a loaded one: the queries queued behind it got the slot in time, some or all of them).
    await waitFor('a measurement while the expensive query holds the only slot', async () => {
      const body = new URLSearchParams({ query: 'count_over_time(vector(1)[1h:1ms])' });
      const hog = fetch(`${prometheus.url}/api/v1/query`, { method: 'POST', body }).then((r) => r.text());
      await waitFor('the expensive query running', async () => (await engineQueries()) >= 1, 10_000);
      const m = await measure(rate('5s'), ctx(hurried, 'new'), ZERO_COUNTERS);
      await hog;
      expect(m.verdict).not.toBe('fail');
      if (!m.decisions.every((d) => d.outcome === 'error')) return false;
      seen = m;
      return true;
    }, 60_000);
    expect(seen?.decisions.map((d) => [d.outcome, d.rule])).toEqual([['error', 'query-error'], ['error', 'query-error'], ['error', 'query-error']]);
    expect(seen?.decisions[0]?.message).toMatch(/\(timeout\)/);
    expect(seen?.verdict).toBe('wait');
  }, 120_000);
});
