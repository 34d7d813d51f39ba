/**
 * Prometheus' error answers classified by errorType and wording (prometheus-errors.ts): only the query author's
 * mistakes are `bad-query`; a server limit, a timeout reported as 422 and a storage failure are not. The texts are
 * Prometheus' own (web/api/v1 and promql error strings).
 */
import { describe, expect, it } from 'vitest';
import { classifyPrometheusError } from '../../../src/traffic/providers/prometheus-errors.js';

const P = 'prometheus http://p';
const classify = (status: number, errorType: string | undefined, error?: string) => classifyPrometheusError(status, errorType === undefined && error === undefined ? undefined : { errorType, error }, P);

describe('classifyPrometheusError', () => {
  it('takes a parse error (400 bad_data) for the query author\'s mistake', () => {
    const c = classify(400, 'bad_data', '1:5: parse error: unexpected <EOF>');
    expect(c).toEqual({ kind: 'bad-query', message: `${P} rejected the query (HTTP 400: bad_data: 1:5: parse error: unexpected <EOF>); fix the query in analysis.metrics` });
    expect(classify(400, 'bad_data', 'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)')?.message).toMatch(
      /at most 11,000 points per series: make the metric's resolution coarser or its lookback shorter$/,
    );
  });

  it('takes a 422 over --query.max-samples for a server limit, not a query to fix', () => {
    const c = classify(422, 'execution', 'query processing would load too many samples into memory in query execution');
    expect(c?.kind).toBe('limit');
    expect(c?.message).toMatch(/refused to run the query, over a limit of the server \(HTTP 422: execution: query processing would load too many samples.*\); the window holds more samples than the server's --query.max-samples allows/);
    expect(c?.message).not.toMatch(/fix the query/);
  });

  it('takes a timeout for a timeout, whether sent as 503 timeout or as 422 execution', () => {
    for (const [status, type, text] of [
      [503, 'timeout', 'query timed out in expression evaluation'],
      [422, 'execution', 'query timed out in expression evaluation'],
      [422, 'execution', 'expanding series: context deadline exceeded'],
    ] as const) {
      const c = classify(status, type, text);
      expect(c?.kind, text).toBe('timeout');
      expect(c?.message).toMatch(/ran longer than its timeout \(analysis.provider.timeout, or the server's --query.timeout when lower\)/);
    }
    expect(classify(503, 'timeout', 'query timed out in query queue')?.message).toMatch(/waited in Prometheus' query queue past its timeout, so Prometheus is overloaded .*--query.max-concurrency.*the query itself is not at fault/);
  });

  it('takes a matching error for the author\'s, and any other execution error for the server\'s', () => {
    const matching = classify(422, 'execution', 'found duplicate series for the match group {cluster="a"} on the right hand-side of the operation: [...];many-to-many matching not allowed: matching labels must be unique on one side');
    expect(matching?.kind).toBe('bad-query');
    expect(matching?.message).toMatch(/fix how the query in analysis.metrics matches series/);
    const storage = classify(422, 'execution', 'expanding series: remote_read: connection refused');
    expect(storage?.kind).toBe('server');
    expect(storage?.message).toMatch(/failed to execute the query \(HTTP 422: execution: expanding series.*\); the query parsed, so this is the server's/);
    expect(classify(503, 'canceled', 'query was canceled in query execution')?.kind).toBe('server');
    expect(classify(503, 'unavailable', 'store unavailable')?.kind).toBe('server');
  });

  it('leaves answers without a Prometheus error body to the generic rules, except 400/422', () => {
    expect(classify(502, undefined)).toBeUndefined();
    expect(classify(500, undefined)).toBeUndefined();
    expect(classify(422, undefined)?.kind).toBe('bad-query');
  });
});
