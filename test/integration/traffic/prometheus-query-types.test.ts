/**
 * Gate queries that parse but that Prometheus refuses for their types (`rate(x)`, `sum(x[5m])`, `1 > 2`, `{}`):
 * validate must refuse them, naming the query, as Prometheus would at the shift's first measurement (where every
 * measurement then errs and the shift halts: a healthy canary rolled back over a typo). Judged against a real
 * Prometheus, query by query, in both directions: validate refuses what it refuses and accepts what it accepts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../../helpers/require-binary.js';
import { promqlProblem } from '../../../src/traffic/judges/promql-check.js';
import { BASE, configDir, problems, type ConfigDir } from '../../unit/config/helpers.js';
import { startPrometheus, type RunningPrometheus } from './prometheus-process.js';

const hasPrometheus = requireBinary('prometheus', 'the query type check is compared with a real Prometheus');

/** Queries Prometheus (2.42, the one CI installs) answers with HTTP 200, or refuses with HTTP 400, as instant queries. */
const CORPUS = [
  'rate(x)',
  'increase(x{cluster="eu17"})',
  'sum(rate(x[5m])) / increase(y)',
  'sum(rate(x[5m])) / sum(rate(y[5m]))',
  '(sum(rate(x[5m])) or vector(0)) / sum(rate(y[5m]))',
  'histogram_quantile(0.95, x[5m])',
  'histogram_quantile(0.95, sum by (le) (rate(x_bucket[5m])))',
  'histogram_quantile(x, y)',
  'sum(x[5m])',
  'sum(1)',
  'sum by (le) (rate(x[5m]))',
  'x[5m] + 1',
  'x[5m][1m]',
  'rate((x)[5m])',
  'rate(x[5m:1m])',
  'max_over_time(rate(x[1m])[5m:1m])',
  'max_over_time(x[5m:])',
  'rate(x[5m][5m:1m])',
  '"a" + 1',
  '-x[5m]',
  '-rate(x[5m])',
  '-"a"',
  '1 > 2',
  '1 > bool 2',
  'x > 1',
  'x + bool 1',
  'x > bool 1',
  'scalar(x) > 1',
  'scalar(x) > bool 1',
  'x and 1',
  '1 and 2',
  'x and on(a) y',
  'x + on(a) 1',
  'x / on(a) group_left y',
  'topk(x, y)',
  'topk(3, x)',
  'quantile(0.9)',
  'quantile(0.9, x)',
  'count_values("v", x)',
  'count_values(1, x)',
  'sum(1, x)',
  'abs("a")',
  'abs(1)',
  'abs(x)',
  'vector(x)',
  'vector(1)',
  'scalar(x)',
  'clamp_max(x, y)',
  'clamp_max(x, 1)',
  'round(x)',
  'round(x, 1)',
  'round(x, 1, 2)',
  'day_of_week()',
  'time()',
  'time(x)',
  'label_replace(x, "a")',
  'label_replace(x, "a", "$1", "b", "(.*)")',
  'label_join(x, "a", ",", "b", "c")',
  'quantile_over_time(0.9, x[5m])',
  'quantile_over_time(x[5m], 0.9)',
  'predict_linear(x[5m], 60)',
  'absent(x)',
  'absent_over_time(x[5m])',
  'x offset 5m',
  'rate(x[5m] offset 5m)',
  'sum(x) offset 5m',
  'x @ 100',
  'rate(x[5m] @ 100)',
  '{}',
  'x{}',
  '{__name__="x"}',
  '{a=""}',
  '{a!=""}',
  '{a!="b"}',
  '{a=~".*"}',
  '{a=~".+"}',
  '{a=~"b|"}',
  '{a!~"b"}',
  'rate({__name__=~".*"}[5m])',
  'histogram_quantile(0.95, sum(rate(x_bucket[5m])) by (le))',
  '1 - (sum(rate(x[5m])) / sum(rate(y[5m])))',
  'sum(rate(x[5m])) / on() group_left sum(rate(y[5m]))',
  'sum(x) by (a) / ignoring(b) group_left(c) sum(y) by (a, b)',
  '(x > 0) * 1',
  'count(x) or vector(0)',
  'absent(x) * 0',
  'sum without (pod) (x)',
  'increase(x[5m] @ end())',
  'max_over_time(histogram_quantile(0.95, sum by (le) (rate(x[1m])))[5m:1m])',
  '-sum(x)',
  'x ^ 2 % 3',
  'x atan2 y',
  'sum(x) > scalar(y)',
  'time() - x',
  'vector(time())',
  'x unless y',
  'x and on() vector(1)',
  'x offset 1h30m',
  'rate(x[5m]) * on(pod) group_left(node) kube_pod_info',
  'scalar(sum(x)) * 2',
  'sum(x) > bool 0 == bool 1',
  'x == bool 1 and y',
  'topk(scalar(vector(3)), x)',
  '(x)',
  'max_over_time(((x))[5m:])',
  'sum(x) offset 5m',
  'count_values("le", x)',
  'sort(x) or sort_desc(y)',
];

describe.skipIf(!hasPrometheus)('gate query types, validate against a real prometheus', () => {
  let prometheus: RunningPrometheus;
  let ctx: ConfigDir;

  beforeAll(async () => {
    [prometheus, ctx] = await Promise.all([startPrometheus([], 20_000, 120_000), configDir()]);
  }, 30_000);
  afterAll(async () => {
    await prometheus?.stop();
    await ctx?.cleanup();
  });

  /** Prometheus' verdict on a query: refused (HTTP 400, with its error) or answered. */
  async function prometheusRefuses(query: string): Promise<string | undefined> {
    const response = await fetch(`${prometheus.url}/api/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query, timeout: '5s' }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json()) as { error?: string };
    if (response.status === 200) return undefined;
    expect(response.status, `${query}: ${body.error}`).toBe(400);
    return body.error ?? 'refused';
  }

  it(`refuses exactly the queries Prometheus refuses (${CORPUS.length} queries)`, async () => {
    const disagreements: string[] = [];
    let refused = 0;
    for (const query of CORPUS) {
      const theirs = await prometheusRefuses(query);
      const ours = promqlProblem(query);
      if (theirs !== undefined) refused++;
      if ((theirs === undefined) !== (ours === undefined)) disagreements.push(`${query}: prometheus ${theirs ?? 'answers'}; validate ${ours ?? 'accepts'}`);
    }
    expect(disagreements).toEqual([]);
    // The corpus holds both kinds, so agreeing is no accident of one side accepting everything.
    expect(refused).toBeGreaterThan(30);
    expect(CORPUS.length - refused).toBeGreaterThan(30);
  });

  it('refuses a gate query that returns raw samples or a string, which Prometheus answers but no gate can judge', async () => {
    expect(await prometheusRefuses('x[5m]')).toBeUndefined();
    expect(await prometheusRefuses('rate(x[5m])[5m:1m]')).toBeUndefined();
    expect(promqlProblem('rate(x[{{interval}}])[5m:1m]')).toMatch(/its result is a range vector/);
    expect(promqlProblem('x{cluster="{{shortName}}"}[{{interval}}]')).toMatch(/^not valid PromQL: at column 1 of the query, its result is a range vector .*wrap the selector in rate\(\), increase\(\)/);
    expect(await prometheusRefuses('"up"')).toBeUndefined();
    expect(promqlProblem('"up"')).toMatch(/its result is a string/);
  });

  it('names the metric, the query field and the column, with the fix, in validate', () => {
    const query = 'sum(rate(failed_total{c="{{shortName}}"}[{{interval}}])) / sum(rate(starts_total{c="{{shortName}}"}))';
    const config = `${BASE}trafficShift:
  steps: [50, 100]
  analysis:
    provider: { type: prometheus, url: "http://127.0.0.1:9090" }
    metrics:
      - name: start-failures
        query: '${query}'
        threshold: { max: 0.1 }
`;
    const column = query.indexOf('starts_total') + 1;
    const found = problems(config, ctx.file);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^\d+:\d+: trafficShift\.analysis\.metrics\[0\]\.query: not valid PromQL: /);
    expect(found[0]).toContain(
      `at column ${column} of the query, argument 1 of rate() must be a range vector, but "starts_total{c="{{shortName}}"}" is an instant vector: add a range, e.g. [{{interval}}] (Prometheus refuses this query with HTTP 400)`,
    );
  });
});
