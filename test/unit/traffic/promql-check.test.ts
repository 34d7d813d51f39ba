/**
 * Gate queries parsed by the Prometheus project's PromQL grammar at validate time:
 * the error at the query's config position plus the column inside the query.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { literalRangeWindows, promqlProblem } from '../../../src/traffic/judges/promql-check.js';
import { parseDuration } from '../../../src/traffic/duration.js';
import { BASE, configDir, problems, valid, type ConfigDir } from '../config/helpers.js';

let ctx: ConfigDir;
beforeAll(async () => {
  ctx = await configDir();
});
afterAll(() => ctx.cleanup());

function withQuery(query: string, samplesQuery?: string): string {
  return `${BASE}trafficShift:
  steps: [50, 100]
  analysis:
    provider: { type: prometheus, url: "http://127.0.0.1:9090" }
    metrics:
      - name: start-failures
        query: '${query}'
        threshold: { max: 0.1 }
${samplesQuery === undefined ? '' : `        samplesQuery: '${samplesQuery}'\n`}`;
}

describe('promqlProblem', () => {
  it('accepts real gate queries with placeholders', () => {
    expect(promqlProblem('sum(rate(gitpod_ws_manager_workspace_starts_failure_total{cluster="{{shortName}}"}[{{interval}}])) / sum(rate(gitpod_ws_manager_workspace_starts_total{cluster="{{shortName}}"}[{{interval}}]))')).toBeUndefined();
    expect(promqlProblem('histogram_quantile(0.95, sum by (le) (rate(x_bucket{region="{{region}}", c="{{cluster}}"}[{{interval}}])))')).toBeUndefined();
  });

  it('gives the column in the query as written, after the placeholders', () => {
    // The unclosed sum( ends the query: column = length + 1.
    const query = 'sum(rate(starts_total{cluster="{{shortName}}"}[{{interval}}])';
    expect(promqlProblem(query)).toMatch(new RegExp(`^not valid PromQL: syntax error at column ${query.length + 1} of the query, at the end of the query;`));
    const broken = 'rate(x{c="{{shortName}}"}[{{interval}}]) +* 2';
    expect(promqlProblem(broken)).toContain(`syntax error at column ${broken.indexOf('* 2') + 1} of the query, near "* 2"`);
  });

  it('leaves unknown placeholders to their own error', () => {
    expect(promqlProblem('rate(x{c="{{shortname}}"}[5m])')).toBeUndefined();
  });
});

describe('validate parses prometheus gate queries', () => {
  it('reports a syntax error at the query position plus the column inside it', () => {
    expect(problems(withQuery('sum(rate(starts_total{cluster="{{shortName}}"}[{{interval}}])) /'), ctx.file)).toEqual([
      expect.stringMatching(/^21:16: trafficShift\.analysis\.metrics\[0\]\.query: not valid PromQL: syntax error at column 65 of the query, at the end of the query; /),
    ]);
  });

  it('checks samplesQuery too', () => {
    expect(problems(withQuery('rate(failures_total[{{interval}}])', 'sum(starts_total{a="b"'), ctx.file)).toEqual([
      expect.stringMatching(/^23:23: trafficShift\.analysis\.metrics\[0\]\.samplesQuery: not valid PromQL: syntax error at column 23 of the query, at the end of the query/),
    ]);
  });

  it('still reports an unknown placeholder as an error', () => {
    expect(problems(withQuery('rate(x{c="{{shortname}}"}[5m])'), ctx.file)).toEqual([expect.stringContaining('unknown placeholder "{{shortname}}"')]);
  });

  it('accepts a valid query', () => {
    expect(() => valid(withQuery('sum(rate(failures_total{cluster="{{shortName}}"}[{{interval}}]))'), ctx.file)).not.toThrow();
  });
});

describe('literalRangeWindows', () => {
  const windows = (q: string) => literalRangeWindows(q, parseDuration);

  it('finds the literal windows read by functions that need two samples, through offset and @', () => {
    expect(windows('sum(rate(a{c="{{cluster}}"}[5s])) / sum(increase(b[1m30s] offset 5m)) + irate(c[10s] @ 100)')).toEqual([
      { text: '5s', ms: 5_000, fn: 'rate' },
      { text: '1m30s', ms: 90_000, fn: 'increase' },
      { text: '10s', ms: 10_000, fn: 'irate' },
    ]);
  });

  it('leaves out placeholders, *_over_time windows, subquery ranges and what it cannot parse', () => {
    expect(windows('rate(a[{{interval}}]) + rate(b[{{ window }}])')).toEqual([]);
    expect(windows('avg_over_time(a[5s]) + max_over_time(rate(b[1m])[5m:10s])')).toEqual([{ text: '1m', ms: 60_000, fn: 'rate' }]);
    expect(windows('rate(a[5s')).toEqual([]);
    expect(windows('rate(a[{{nope}}])')).toEqual([]);
  });
});
