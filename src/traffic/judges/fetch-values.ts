/**
 * Runs one metric's queries for every new and old cluster and keeps what came
 * back as {@link QueryRecord}s. Never throws for a failed query: the failure is
 * recorded so the classifier can say "metrics pipeline broken" with the cause.
 */
import { isAbortError } from '../../core/errors.js';
import { isMetricQueryError, type MetricProvider } from '../providers/provider.js';
import type { QueryRecord, Side } from './decision.js';
import { resolveQuery, type QueryTarget } from './query-template.js';

/** Queries in flight per metric: clusters per region are few, but the list comes from input. */
const QUERY_CONCURRENCY = 4;

export interface FetchRequest {
  provider: MetricProvider;
  template: string;
  purpose: QueryRecord['purpose'];
  /**
   * Instant query at `now`, or a range query at `stepMs` over the lookback: its points fall on
   * multiples of `stepMs` (aligned, so consecutive measurements read the same grid) and, with
   * `[{{window}}]` in the query, each point covers its own `stepMs` — independent samples.
   */
  mode: { kind: 'instant' } | { kind: 'range'; stepMs: number };
  targets: ReadonlyArray<{ side: Side; target: QueryTarget }>;
  /** The lookback: `{{interval}}`/`{{lookback}}` and the span of range queries. */
  intervalMs: number;
  /** `{{window}}`/`{{resolution}}`; defaults to intervalMs. */
  windowMs?: number;
  now: Date;
  signal?: AbortSignal;
}

export interface FetchedQuery extends QueryRecord {
  /** NaN values (Prometheus' 0/0: no events in the window) dropped from `values`. */
  dropped: number;
  /**
   * ±Inf values, kept out of `values` (the statistics need finite numbers) but not dropped: a plain threshold
   * judges them (+Inf is above every max). histogram_quantile answers the largest finite `le`, not +Inf, when the
   * quantile lies in the +Inf bucket (docs/canary-analysis.md).
   */
  infinities: number[];
}

/** Fetches every target's query; results are in the order of `targets`. */
export async function fetchValues(req: FetchRequest): Promise<FetchedQuery[]> {
  return mapLimit(req.targets, QUERY_CONCURRENCY, async ({ side, target }) => {
    const query = resolveQuery(req.template, target, req.intervalMs, req.windowMs ?? req.intervalMs);
    const base = { side, cluster: target.cluster, purpose: req.purpose, query };
    try {
      const series =
        req.mode.kind === 'instant'
          ? await req.provider.instant(query, { time: req.now, signal: req.signal })
          : await req.provider.range(query, { ...rangeWindow(req.now, req.intervalMs, req.mode.stepMs), stepMs: req.mode.stepMs, signal: req.signal });
      const raw = series.flatMap((s) => s.points.map((p) => p[1]));
      const values = raw.filter((v) => Number.isFinite(v));
      const infinities = raw.filter((v) => v === Infinity || v === -Infinity);
      const partial = series.warnings && series.warnings.length > 0 ? { warnings: [...series.warnings] } : {};
      const noted = series.annotations && series.annotations.length > 0 ? { annotations: [...series.annotations] } : {};
      return { ...base, series: series.length, values, infinities, dropped: raw.length - values.length - infinities.length, ...partial, ...noted };
    } catch (error) {
      // Our own abort is not a metrics failure: let it stop the evaluation.
      if (isAbortError(error) || (isMetricQueryError(error) && error.kind === 'aborted')) throw error;
      const kind = isMetricQueryError(error) ? error.kind : 'unexpected';
      const message = error instanceof Error ? error.message : String(error);
      return { ...base, series: 0, values: [], infinities: [], dropped: 0, error: { kind, message } };
    }
  });
}

/** The aligned range of a comparison: points at multiples of `stepMs`, `lookbackMs / stepMs` of them (at least one). */
export function rangeWindow(now: Date, lookbackMs: number, stepMs: number): { start: Date; end: Date } {
  const step = Math.max(1, stepMs);
  const end = Math.floor(now.getTime() / step) * step;
  const points = Math.max(1, Math.floor(lookbackMs / step));
  return { start: new Date(end - (points - 1) * step), end: new Date(end) };
}

/** Maps with at most `limit` calls in flight, keeping the input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, () => worker()));
  return results;
}
