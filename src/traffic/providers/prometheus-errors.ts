/**
 * What a Prometheus error answer means for the operator. Prometheus' HTTP API documents 400 (`bad_data`: parameters
 * missing or incorrect, which for a gate is a query that does not parse), 422 (`execution`: the expression cannot be
 * executed) and 503 (`timeout`, `canceled`: the query timed out or was aborted). Only some of them are the query
 * author's mistake: a 422 is also a server limit (`--query.max-samples`) or, in some versions and behind some
 * gateways, a timeout, neither of which editing the query's syntax would fix. Classified by `errorType` first and,
 * where one type covers several causes, by Prometheus' own wording of the error.
 */
import type { MetricErrorKind } from './provider.js';

export interface PrometheusErrorBody {
  errorType?: string;
  error?: string;
}

export interface ClassifiedError {
  kind: MetricErrorKind;
  message: string;
}

const TIMED_OUT = /timed out|deadline exceeded|timeout/i;
const SAMPLES_LIMIT = /too many samples|max(imum)?[ _.-]?samples/i;
/** Evaluation errors that come from how the query matches series: the author's to fix (on(), group_left, sum by). */
const MATCHING = /many-to-many|many-to-one|one-to-one|duplicate series|same labelset|group_left|group_right/i;
const RESOLUTION = /maximum resolution/i;

/**
 * The kind and operator message of a non-2xx answer with status 400, 422 or 503, or any answer whose `errorType` is
 * `timeout`; undefined for the other statuses (the caller's generic rules apply).
 */
export function classifyPrometheusError(status: number, body: PrometheusErrorBody | undefined, description: string): ClassifiedError | undefined {
  const type = body?.errorType;
  const text = body?.error ?? '';
  const detail = body?.error ? `: ${type ?? 'error'}: ${body.error}` : '';
  const http = `HTTP ${status}${detail}`;
  if (type === 'timeout' || ((type === 'execution' || status === 503) && TIMED_OUT.test(text))) {
    if (/queue/i.test(text)) {
      return {
        kind: 'timeout',
        message: `${description} timed out evaluating the query (${http}): it waited in Prometheus' query queue past its timeout, so Prometheus is overloaded (more concurrent queries than --query.max-concurrency); the query itself is not at fault: lighten that Prometheus' load or raise its limits`,
      };
    }
    return {
      kind: 'timeout',
      message: `${description} timed out evaluating the query (${http}): it ran longer than its timeout (analysis.provider.timeout, or the server's --query.timeout when lower); check that Prometheus' load, shorten the metric's window, or raise the timeout`,
    };
  }
  if (type === 'execution' && SAMPLES_LIMIT.test(text)) {
    // A valid query over more samples than the server's limit: editing the query's syntax would not help.
    return {
      kind: 'limit',
      message: `${description} refused to run the query, over a limit of the server (${http}); the window holds more samples than the server's --query.max-samples allows: shorten the metric's lookback (or resolution), select fewer series, or raise that limit`,
    };
  }
  if (type === 'execution' && MATCHING.test(text)) {
    return { kind: 'bad-query', message: `${description} could not evaluate the query on the series it matched (${http}); fix how the query in analysis.metrics matches series (on(…)/ignoring(…), group_left, or aggregate first with sum by (…))` };
  }
  if (type === 'execution' || type === 'canceled' || type === 'internal' || type === 'unavailable') {
    // Valid PromQL the server could not run to the end (a storage error, a cancelled query): the pipeline, not the query.
    return { kind: 'server', message: `${description} failed to execute the query (${http}); the query parsed, so this is the server's (check its logs and load), not a mistake in analysis.metrics` };
  }
  if (status === 400 && RESOLUTION.test(text)) {
    return { kind: 'bad-query', message: `${description} rejected the query (${http}); a range query may return at most 11,000 points per series: make the metric's resolution coarser or its lookback shorter` };
  }
  if (status === 400 || status === 422) return { kind: 'bad-query', message: `${description} rejected the query (${http}); fix the query in analysis.metrics` };
  return undefined;
}
