/**
 * Prometheus' own timeout, from the real binary (Debian's), without a proxy: started with `--query.timeout=1s` and
 * `--query.max-concurrency=1`, it answers a gate query that waited in its queue behind an expensive query for longer
 * than that with HTTP 503, `errorType: timeout`, "query timed out in query queue" (the provider's own timeout is
 * 20 s, so the error is the server's). The gate errs (`query-error`, counted toward consecutiveErrorLimit, never a
 * verdict on the canary), and its message says Prometheus is overloaded, not that the query is wrong.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analysisSchema } from '../../../src/traffic/analysis-config.js';
import { measure } from '../../../src/traffic/judges/measure.js';
import { ZERO_COUNTERS } from '../../../src/traffic/judges/step-verdict.js';
import { PrometheusProvider } from '../../../src/traffic/providers/prometheus.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { waitFor } from '../shift/harness.js';
import { startPrometheus, type RunningPrometheus } from './prometheus-process.js';
import { fiveSecondContext, STARTS } from './measure-context.js';
import { WorkspaceExporter } from './workspace-exporter.js';

const hasPrometheus = requireBinary('prometheus', "Prometheus' own query timeout is judged against the real binary");

const analysis = analysisSchema.parse({
  provider: { type: 'prometheus', url: 'http://127.0.0.1:1' },
  metrics: [{ name: 'start-rate', query: `sum(rate(${STARTS}[{{interval}}]))`, threshold: { min: 1 }, lookback: '5s' }],
  consecutiveErrorLimit: 1,
});

describe.skipIf(!hasPrometheus)("prometheus' own query timeout (real binary)", () => {
  const exporter = new WorkspaceExporter();
  let prometheus: RunningPrometheus;
  let provider: PrometheusProvider;

  beforeAll(async () => {
    exporter.set('old', { startsPerTick: 2, failureRatio: 0 });
    exporter.set('new', { startsPerTick: 2, failureRatio: 0 });
    const port = await exporter.start(100);
    prometheus = await startPrometheus([`127.0.0.1:${port}`], 20_000, 170_000, [], undefined, ['--query.timeout=1s', '--query.max-concurrency=1']);
    provider = new PrometheusProvider({ url: prometheus.url, timeoutMs: 20_000 });
    await waitFor('7 s of scrapes', async () => {
      const n = await provider.range('gitpod_ws_manager_workspace_starts_total', { start: new Date(Date.now() - 7_000), end: new Date(), stepMs: 1_000 });
      return n.length >= 2 && n.every((s) => s.points.length >= 7);
    }, 40_000);
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await exporter.stop();
  });

  it('errs with the server\'s timeout while an expensive query holds the only slot, counted toward consecutiveErrorLimit', async () => {
    const ctx = () => fiveSecondContext(provider, 'new', 'old');
    // The premise: unloaded, the gate passes within the 1 s limit.
    expect((await measure(analysis, ctx(), ZERO_COUNTERS)).verdict).toBe('pass');
    const engineQueries = async () => Number(/^prometheus_engine_queries (\S+)$/m.exec(await (await fetch(`${prometheus.url}/metrics`)).text())?.[1] ?? 0);
    let seen: Awaited<ReturnType<typeof measure>> | undefined;
    // A subquery at 1 ms steps over an hour runs for seconds and does not stop at the 1 s limit (2.42 checks it between
    // steps of the outer evaluation only); while it runs, the gate's queries wait in the queue. Repeated in case the
    // hog finished first on a fast machine.
    await waitFor('a measurement while the expensive query holds the only slot', async () => {
      const hog = fetch(`${prometheus.url}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: 'count_over_time(vector(1)[1h:1ms])' }) }).then((r) => r.text());
      await waitFor('the expensive query running', async () => (await engineQueries()) >= 1, 10_000);
      const m = await measure(analysis, ctx(), ZERO_COUNTERS);
      await hog;
      expect(m.verdict).not.toBe('fail');
      if (m.decisions.every((d) => d.outcome === 'pass')) return false;
      seen = m;
      return true;
    }, 90_000);
    expect(seen?.decisions.map((d) => [d.outcome, d.rule])).toEqual([['error', 'query-error']]);
    const message = seen?.decisions[0]?.message ?? '';
    expect(message).toMatch(/value query for gp-prod-ws-\w+-eu-west1 failed \(timeout\): prometheus http:\/\/127\.0\.0\.1:\d+ timed out evaluating the query \(HTTP 503: timeout: query timed out in query queue\)/);
    expect(message).toMatch(/Prometheus is overloaded \(more concurrent queries than --query.max-concurrency\); the query itself is not at fault/);
    expect(message).not.toMatch(/fix the query|did not answer within/);
    expect(seen?.verdict).toBe('wait');
    expect(seen?.counters).toMatchObject({ consecutiveErrors: 1, metrics: { 'start-rate': { consecutiveErrors: 1 } } });
  }, 150_000);
});
