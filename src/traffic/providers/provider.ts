/**
 * Where gate metrics come from. The built-in implementation is Prometheus
 * (`prometheus.ts`); the lead adds a simulator-backed provider for the sandbox.
 * Implementations throw {@link MetricQueryError} for every failure so the judges
 * can tell "the metrics pipeline is broken" from "there is no data".
 */
import { WsdError } from '../../core/errors.js';
import type { TargetInterval } from './scrape-intervals.js';

/** One time series: its labels and its points as [unix seconds, value]. */
export interface MetricSeries {
  labels: Record<string, string>;
  points: Array<[number, number]>;
}

export interface InstantQueryOptions {
  /** Evaluation time; defaults to the provider's now. */
  time?: Date;
  signal?: AbortSignal;
}

export interface RangeQueryOptions {
  start: Date;
  end: Date;
  stepMs: number;
  signal?: AbortSignal;
}

/**
 * What a query returns: its series, and `warnings` when the server answered but said the answer may be
 * incomplete (Prometheus' `warnings`: Thanos or remote read with a store down gives a partial response,
 * `status: success`). A partial answer may lack a failing cluster's series, so the judges must see it.
 * `annotations`: PromQL's own warnings about the query (Prometheus ≥ 2.47): shown, but the answer is complete.
 */
export type MetricSeriesList = MetricSeries[] & { warnings?: string[]; annotations?: string[] };

/** A source of metric values. Both calls return an empty array when the query matches no series. */
export interface MetricProvider {
  /** Human-readable description for decision records, e.g. `prometheus http://127.0.0.1:9090`. Never holds secrets. */
  readonly description: string;
  instant(query: string, options?: InstantQueryOptions): Promise<MetricSeriesList>;
  range(query: string, options: RangeQueryOptions): Promise<MetricSeriesList>;
  /**
   * Whether the canary's own scrape targets were scraped throughout the `windowMs` ending at `options.time`: the
   * fewest successful scrapes there of any target that exposed one of `selectors` (series selectors of the canary's
   * queries) within `spanMs` before it; undefined: nothing to tell. A hung exporter, a failing scrape, a stalled or
   * restarted Prometheus leave fewer than the window's scrapes. Optional: a provider without it (the simulator: a
   * model without outages) is taken to scrape throughout.
   */
  targetScrapes?(selectors: readonly string[], windowMs: number, spanMs: number, options?: InstantQueryOptions): Promise<number | undefined>;
  /**
   * How often the targets that exposed any of `selectors` within `spanMs` before now are really scraped: [] when no
   * target of the server exposed them, undefined when it cannot say. Optional: the simulator has no scraping.
   */
  scrapeIntervals?(selectors: readonly string[], spanMs: number, options?: { signal?: AbortSignal }): Promise<TargetInterval[] | undefined>;
  /**
   * The recording rules that write any of `selectors`' metrics, with their group's evaluation interval (which spaces
   * their samples as a scrape interval does a target's); undefined when the server cannot say. Optional.
   */
  ruleIntervals?(selectors: readonly string[], options?: { signal?: AbortSignal }): Promise<TargetInterval[] | undefined>;
  /** When the metrics server last (re)started, when it says (Prometheus' runtimeinfo): scraping begins after that. */
  startedAt?(options?: { signal?: AbortSignal }): Promise<Date | undefined>;
  /**
   * The metrics server's own now (the time it evaluates a query given none): a window ending at this machine's now
   * lies partly in the server's future when this clock is ahead (evaluation-time.ts). Optional: the simulator shares
   * this machine's clock.
   */
  serverTime?(options?: { signal?: AbortSignal }): Promise<Date | undefined>;
}

/**
 * Why a query failed:
 * - `unreachable`: connection refused / DNS / reset: the metric source is down;
 * - `timeout`: no answer within the configured timeout;
 * - `auth`: 401/403: token or headers wrong;
 * - `bad-query`: the query author's mistake: it does not parse (400 `bad_data`), or it matches series in a way
 *   PromQL cannot evaluate (422 `execution`, e.g. many-to-many matching): a config error;
 * - `limit`: valid PromQL over more than a server limit allows (422 `execution`, `--query.max-samples`): neither the
 *   query's syntax nor a retry fixes it, the window or the limit must change;
 * - `server`: 5xx, or a valid query the server could not execute (422 `execution` otherwise);
 * - `bad-response`: the body is not what the API promises;
 * - `aborted`: our own abort signal fired.
 */
export type MetricErrorKind = 'unreachable' | 'timeout' | 'auth' | 'bad-query' | 'limit' | 'server' | 'bad-response' | 'aborted';

/** A failed metric query; `kind` drives the judges' classification. */
export class MetricQueryError extends WsdError {
  readonly kind: MetricErrorKind;

  constructor(kind: MetricErrorKind, message: string, options: { query?: string; status?: number; cause?: unknown } = {}) {
    super('MetricsUnavailable', message, {
      source: kind === 'bad-query' || kind === 'auth' ? 'user' : 'internal',
      transient: kind === 'unreachable' || kind === 'timeout' || kind === 'server',
      details: { kind, query: options.query, status: options.status },
      cause: options.cause,
    });
    this.name = 'MetricQueryError';
    this.kind = kind;
  }
}

/** True for errors thrown by a metric provider. */
export function isMetricQueryError(error: unknown): error is MetricQueryError {
  return error instanceof MetricQueryError;
}
