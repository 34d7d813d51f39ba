/**
 * A partial response: Prometheus (Thanos, remote read with a store down) answers `status: success` with a
 * `warnings` array. The provider carries the warnings, the decision record keeps them, and a metric whose
 * queries came back partial never passes on that answer: `wait` (rule `query.partial`), `inconclusive`
 * past sampleDeadline; a fail stands, saying the answer was partial. Against a loopback HTTP server, as
 * the real prometheus cannot easily be made to answer with warnings.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricSchema } from '../../../src/traffic/analysis-config.js';
import { evaluateMetric, type MeasurementContext } from '../../../src/traffic/judges/metric-judge.js';
import { PrometheusProvider } from '../../../src/traffic/providers/prometheus.js';

const NEW = { cluster: 'gp-prod-ws-eu18-eu-west1', shortName: 'eu18', region: 'europe-west1' };
const OLD = { cluster: 'gp-prod-ws-eu17-eu-west1', shortName: 'eu17', region: 'europe-west1' };
const NOW = new Date('2025-01-01T12:00:00Z');
const STORE_DOWN = 'receive: store gateway eu-2 unavailable: partial response';

/** Per query text: the value answered and the warnings sent with it. */
let answers: Record<string, { value: string; warnings?: unknown[] }> = {};

describe('prometheus partial responses', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      const query = new URLSearchParams(body).get('query') ?? '';
      const a = answers[query];
      const result = a ? [{ metric: {}, value: [NOW.getTime() / 1000, a.value] }] : [];
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result }, ...(a?.warnings ? { warnings: a.warnings } : {}) }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const provider = () => new PrometheusProvider({ url, timeoutMs: 5_000 });
  const metric = metricSchema.parse({ name: 'errors', query: 'errors{c="{{shortName}}"}', threshold: { max: 0.05 } });
  const ctx = (extra: Partial<MeasurementContext> = {}): MeasurementContext => ({
    provider: provider(),
    newClusters: [NEW],
    oldClusters: [OLD],
    intervalMs: 300_000,
    now: NOW,
    elapsedInStepMs: 0,
    sampleDeadlineMs: 1_800_000,
    ...extra,
  });

  it('carries the warnings of a successful answer through the provider', async () => {
    answers = { up: { value: '1', warnings: [STORE_DOWN] } };
    const series = await provider().instant('up');
    expect(series).toHaveLength(1);
    expect(series.warnings).toEqual([STORE_DOWN]);
    answers = { up: { value: '1' } };
    expect((await provider().instant('up')).warnings).toBeUndefined();
  });

  it('keeps at most 5 warnings, each cut to 300 characters, and says how many were left out', async () => {
    answers = { up: { value: '1', warnings: [...Array.from({ length: 7 }, (_, i) => `w${i}`), 'x'.repeat(400)].reverse() } };
    const warnings = (await provider().instant('up')).warnings ?? [];
    expect(warnings).toHaveLength(6);
    expect(warnings[0]).toBe(`${'x'.repeat(300)}…`);
    expect(warnings[5]).toBe('… and 3 more');
  });

  it('a measurement that would pass on a partial answer waits (query.partial), with the warning in the record', async () => {
    answers = { 'errors{c="eu18"}': { value: '0.01', warnings: [STORE_DOWN] }, 'errors{c="eu17"}': { value: '0.01' } };
    const d = await evaluateMetric(metric, ctx());
    expect(d.outcome).toBe('wait');
    expect(d.rule).toBe('query.partial');
    expect(d.message).toBe(`errors: would pass, but the answer was partial (value query for ${NEW.cluster}: ${STORE_DOWN}): a missing series may hide a failing cluster; measuring again for a complete answer`);
    expect(d.warnings).toContain(`${NEW.cluster}: partial answer to the value query: ${STORE_DOWN}`);
    expect(d.queries.find((q) => q.cluster === NEW.cluster)?.warnings).toEqual([STORE_DOWN]);
    expect(d.queries.find((q) => q.cluster === OLD.cluster)?.warnings).toBeUndefined();
  });

  it('a partial baseline answer holds the pass back too', async () => {
    answers = { 'errors{c="eu18"}': { value: '0.01' }, 'errors{c="eu17"}': { value: '0.01', warnings: [STORE_DOWN] } };
    const d = await evaluateMetric(metric, ctx());
    expect(d.outcome).toBe('wait');
    expect(d.rule).toBe('query.partial');
  });

  it('past sampleDeadline a pass on partial data is inconclusive: a human decides', async () => {
    answers = { 'errors{c="eu18"}': { value: '0.01', warnings: [STORE_DOWN] }, 'errors{c="eu17"}': { value: '0.01' } };
    const d = await evaluateMetric(metric, ctx({ elapsedInStepMs: 1_800_000 }));
    expect(d.outcome).toBe('inconclusive');
    expect(d.rule).toBe('query.partial');
    expect(d.message).toMatch(/and 1800s \(sampleDeadline\) have passed: a human must decide$/);
  });

  it('a fail on partial data stands, saying the answer was partial', async () => {
    answers = { 'errors{c="eu18"}': { value: '0.5', warnings: [STORE_DOWN] }, 'errors{c="eu17"}': { value: '0.01' } };
    const d = await evaluateMetric(metric, ctx());
    expect(d.outcome).toBe('fail');
    expect(d.rule).toMatch(/^threshold\.max/);
    expect(d.message).toContain(`; the answer was partial (value query for ${NEW.cluster}: ${STORE_DOWN})`);
  });

  it('a complete answer passes as before', async () => {
    answers = { 'errors{c="eu18"}': { value: '0.01' }, 'errors{c="eu17"}': { value: '0.01' } };
    const d = await evaluateMetric(metric, ctx());
    expect(d.outcome).toBe('pass');
    expect(d.warnings).toEqual([]);
  });

  // Prometheus 2.47–2.53 sent PromQL's annotations in `warnings` (2.54 moved the infos to `infos`). The texts are
  // Prometheus' own (util/annotations). None says data is missing: a healthy classic histogram trips the first.
  const MONOTONICITY = 'PromQL info: input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name "gitpod_ws_manager_workspace_startup_seconds_bucket" (1:25)';
  const BAD_LE = 'PromQL warning: bucket label "le" is missing or has a malformed value of "" for metric name "x_bucket" (1:25)';

  it('passes on an answer whose warnings are PromQL annotations (Prometheus 2.47–2.53), keeping its warnings in the record', async () => {
    answers = { 'errors{c="eu18"}': { value: '0.01', warnings: [MONOTONICITY, BAD_LE] }, 'errors{c="eu17"}': { value: '0.01', warnings: [MONOTONICITY] } };
    const series = await provider().instant('errors{c="eu18"}');
    expect(series.warnings).toBeUndefined();
    expect(series.annotations).toEqual([BAD_LE]);
    const d = await evaluateMetric(metric, ctx());
    expect(d).toMatchObject({ outcome: 'pass', rule: 'threshold.within' });
    expect(d.warnings).toEqual([`${NEW.cluster}: Prometheus about the value query: ${BAD_LE}`]);
    expect(d.queries.find((q) => q.cluster === NEW.cluster)?.annotations).toEqual([BAD_LE]);
  });

  it('still holds a pass back when a store-down warning comes with the annotations', async () => {
    answers = { 'errors{c="eu18"}': { value: '0.01', warnings: [MONOTONICITY, STORE_DOWN] }, 'errors{c="eu17"}': { value: '0.01' } };
    expect(await evaluateMetric(metric, ctx())).toMatchObject({ outcome: 'wait', rule: 'query.partial' });
  });
});
