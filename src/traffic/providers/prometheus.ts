/**
 * Prometheus HTTP API provider (`/api/v1/query`, `/api/v1/query_range`) over
 * `fetch`. Queries go in POST form bodies (no URL length limit, not in access
 * logs). The bearer token is read from its file on every request (projected
 * service-account tokens rotate), registered with the redactor, and never put
 * into a message, an event or a decision record.
 */
import { readFile } from 'node:fs/promises';
import type { Redactor } from '../../core/redact.js';
import { MetricQueryError, type InstantQueryOptions, type MetricProvider, type MetricSeries, type MetricSeriesList, type RangeQueryOptions } from './provider.js';
import { classifyPrometheusError } from './prometheus-errors.js';
import { configIntervals, ruleIntervals, selectorMetricName, targetIntervals, type TargetInterval } from './scrape-intervals.js';

interface PrometheusOptions {
  url: string;
  headers?: Record<string, string>;
  bearerTokenFile?: string;
  timeoutMs: number;
  /** Receives the token and secret-looking header values so nothing downstream prints them. */
  redactor?: Redactor;
  /** For tests that need a different transport; defaults to the global fetch. */
  fetch?: typeof fetch;
}

/** Header names whose values we treat as secrets. */
const SECRET_HEADER = /auth|token|key|secret|cookie|password/i;

/** Prometheus encodes sample values as strings, with these spellings for infinities. */
function parseSampleValue(text: unknown): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (typeof text !== 'string') return Number.NaN;
  return Number(text);
}

export class PrometheusProvider implements MetricProvider {
  readonly description: string;
  private readonly base: URL;
  private readonly options: PrometheusOptions;
  /** From `https://user:pass@host`: fetch refuses URLs with credentials, so they become a header. */
  private readonly basicAuth?: string;

  constructor(options: PrometheusOptions) {
    this.options = options;
    const base = new URL(options.url);
    // Credentials in the URL would leak into descriptions; drop them from what we show.
    if (base.username || base.password) {
      const user = decodeURIComponent(base.username);
      const password = decodeURIComponent(base.password);
      options.redactor?.add(user, password); // a token may be the user (`https://TOKEN@host`)
      this.basicAuth = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      options.redactor?.add(this.basicAuth.slice('Basic '.length));
      base.username = '';
      base.password = '';
    }
    // A query string is where API gateways take keys (`?key=…`): registered, and only its presence shown.
    for (const value of base.searchParams.values()) options.redactor?.add(value, encodeURIComponent(value));
    const shown = new URL(base.href);
    shown.search = base.search ? '***' : '';
    this.description = `prometheus ${shown.href.replace(/\/$/, '')}`;
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    this.base = base;
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (SECRET_HEADER.test(name)) options.redactor?.add(value);
    }
  }

  async instant(query: string, options: InstantQueryOptions = {}): Promise<MetricSeriesList> {
    const form = new URLSearchParams({ query });
    if (options.time) form.set('time', String(options.time.getTime() / 1000));
    return this.call('api/v1/query', form, query, options.signal, 'instant');
  }

  /**
   * `up` gets a sample at every scrape of every target, 1 when it succeeded (a target that hangs or refuses gets 0),
   * so `sum_over_time(up[window])` is a target's successful scrapes there. Asked of the targets (job, instance)
   * that exposed any of `selectors` within `spanMs` before the evaluation time: the canary's own, not every job's
   * (another job's full count says nothing of the canary's). The fewest of them, or undefined when none of them
   * has `up` in the window (its target gone from discovery, or series federated or remote-written under labels
   * that are no target of this Prometheus).
   */
  async targetScrapes(selectors: readonly string[], windowMs: number, spanMs: number, options: InstantQueryOptions = {}): Promise<number | undefined> {
    if (selectors.length === 0) return undefined;
    const ms = (n: number) => `${Math.max(1, Math.round(n))}ms`;
    const exposed = selectors.map((s) => `group by (job, instance) (last_over_time(${s}[${ms(spanMs)}]))`).join(' or ');
    const answer = await this.instant(`min(sum_over_time(up[${ms(windowMs)}]) and on (job, instance) (${exposed}))`, options);
    const value = answer[0]?.points.at(-1)?.[1];
    return value !== undefined && Number.isFinite(value) ? value : undefined;
  }

  /**
   * When this Prometheus process started (`/api/v1/status/runtimeinfo`): a restart late in a window is seen even where
   * a job scraped faster than `scrapeInterval` keeps a full count of `up`. Undefined where the endpoint is not served
   * (Thanos, a gateway) or says nothing usable.
   */
  async startedAt(options: { signal?: AbortSignal } = {}): Promise<Date | undefined> {
    const started = (await this.statusData<{ startTime?: unknown }>('api/v1/status/runtimeinfo', options.signal))?.startTime;
    const at = typeof started === 'string' ? new Date(started) : undefined;
    return at && Number.isFinite(at.getTime()) ? at : undefined;
  }

  /** Prometheus' now: `time()` evaluated without a time is the server's clock at evaluation (ms precision). */
  async serverTime(options: { signal?: AbortSignal } = {}): Promise<Date | undefined> {
    const seconds = (await this.instant('time()', { signal: options.signal }))[0]?.points[0]?.[1];
    return seconds !== undefined && Number.isFinite(seconds) ? new Date(Math.round(seconds * 1000)) : undefined;
  }

  /**
   * How often Prometheus really scrapes the targets (job, instance) that exposed any of `selectors` within `spanMs`
   * before now (scrape-intervals.ts), and how often it evaluates the recording rules that write any of them (their
   * group's interval: a rule's series carry no target's labels). [] when neither a target nor a rule of this
   * Prometheus makes them (series federated or remote-written, or not there yet); undefined when neither the targets
   * nor the rules endpoint is served (Thanos, a gateway).
   */
  async scrapeIntervals(selectors: readonly string[], spanMs: number, options: { signal?: AbortSignal } = {}): Promise<TargetInterval[] | undefined> {
    if (selectors.length === 0) return [];
    const rules = (await this.ruleIntervals(selectors, options)) ?? [];
    const span = `${Math.max(1, Math.round(spanMs))}ms`;
    const answer = await this.instant(selectors.map((s) => `group by (job, instance) (last_over_time(${s}[${span}]))`).join(' or '), { signal: options.signal });
    const exposing = answer.map((s) => ({ job: s.labels.job ?? '', instance: s.labels.instance ?? '' })).filter((e) => e.job !== '');
    if (exposing.length === 0) return rules;
    const targets = await this.statusData<{ activeTargets?: unknown }>('api/v1/targets', options.signal);
    if (!targets || !Array.isArray(targets.activeTargets)) return rules.length > 0 ? rules : undefined;
    const config = async () => {
      const yaml = (await this.statusData<{ yaml?: unknown }>('api/v1/status/config', options.signal))?.yaml;
      return typeof yaml === 'string' ? configIntervals(yaml) : undefined;
    };
    return [...rules, ...(await targetIntervals(exposing, targets.activeTargets as Parameters<typeof targetIntervals>[1], config))];
  }

  /**
   * The recording rules of this Prometheus that write any of `selectors`' metrics, each with its group's evaluation
   * interval (/api/v1/rules); undefined where the endpoint is not served.
   */
  async ruleIntervals(selectors: readonly string[], options: { signal?: AbortSignal } = {}): Promise<TargetInterval[] | undefined> {
    const names = new Set(selectors.map(selectorMetricName).filter((n): n is string => n !== undefined));
    if (names.size === 0) return [];
    const groups = (await this.statusData<{ groups?: unknown }>('api/v1/rules', options.signal))?.groups;
    return Array.isArray(groups) ? ruleIntervals(names, groups as Parameters<typeof ruleIntervals>[1]) : undefined;
  }

  /** A status endpoint's `data` (GET), or undefined where it is not served or says nothing usable. */
  private async statusData<T>(path: string, signal: AbortSignal | undefined): Promise<Partial<T> | undefined> {
    const { status, text } = await this.send(path, undefined, path, signal);
    if (status !== 200) return undefined;
    try {
      const data = (JSON.parse(text) as { data?: unknown }).data;
      return data !== null && typeof data === 'object' ? (data as Partial<T>) : undefined;
    } catch {
      return undefined;
    }
  }

  async range(query: string, options: RangeQueryOptions): Promise<MetricSeriesList> {
    const form = new URLSearchParams({
      query,
      start: String(options.start.getTime() / 1000),
      end: String(options.end.getTime() / 1000),
      step: String(Math.max(options.stepMs, 1) / 1000),
    });
    return this.call('api/v1/query_range', form, query, options.signal, 'range');
  }

  private async call(path: string, form: URLSearchParams, query: string, signal: AbortSignal | undefined, kind: QueryKind): Promise<MetricSeriesList> {
    // A duration string Prometheus parses ([0-9]+ and a unit): `0.5s` or `1.5s` is refused (HTTP 400) on every query.
    const ms = Math.max(1, Math.round(this.options.timeoutMs));
    form.set('timeout', ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);
    const { status, text } = await this.send(path, form, query, signal);
    return this.parse(status, text, query, kind);
  }

  /** POST with the form, or GET without one (the status endpoints take GET only). */
  private async send(path: string, form: URLSearchParams | undefined, query: string, signal: AbortSignal | undefined): Promise<{ status: number; text: string }> {
    const timeoutSeconds = this.options.timeoutMs / 1000;
    const headers: Record<string, string> = {
      ...this.options.headers,
      ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      accept: 'application/json',
    };
    if (this.basicAuth) headers.authorization = this.basicAuth;
    if (this.options.bearerTokenFile) headers.authorization = `Bearer ${await this.readToken(query)}`;

    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const url = new URL(path, this.base);
    // A relative path drops the base's query string: keep it (a gateway's key, a tenant).
    url.search = this.base.search;
    let response: Response;
    let text: string;
    try {
      response = await (this.options.fetch ?? fetch)(url, form ? { method: 'POST', headers, body: form, signal: combined } : { method: 'GET', headers, signal: combined });
      text = await response.text();
    } catch (error) {
      if (signal?.aborted) throw new MetricQueryError('aborted', `query to ${this.description} aborted`, { query, cause: error });
      if (timeout.aborted) {
        throw new MetricQueryError('timeout', `${this.description} did not answer within ${timeoutSeconds}s; check its load or raise analysis.provider.timeout`, { query, cause: error });
      }
      const code = (error as { cause?: { code?: string } }).cause?.code ?? (error instanceof Error ? error.message : String(error));
      throw new MetricQueryError('unreachable', `cannot reach ${this.description} (${code}); check the url and that Prometheus is running`, { query, cause: error });
    }
    return { status: response.status, text };
  }

  private async readToken(query: string): Promise<string> {
    const file = this.options.bearerTokenFile ?? '';
    try {
      const token = (await readFile(file, 'utf8')).trim();
      this.options.redactor?.add(token);
      return token;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
      throw new MetricQueryError('auth', `cannot read bearer token file ${file} (${code}); check analysis.provider.bearerTokenFile`, { query, cause: error });
    }
  }

  private parse(status: number, text: string, query: string, kind: QueryKind): MetricSeriesList {
    let body: { status?: string; errorType?: string; error?: string; warnings?: unknown; data?: { resultType?: string; result?: unknown } } | undefined;
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      body = undefined;
    }
    const detail = body?.error ? `: ${body.errorType ?? 'error'}: ${body.error}` : '';
    if (status === 401 || status === 403) {
      throw new MetricQueryError('auth', `${this.description} refused the request (HTTP ${status}); check the bearer token and headers`, { query, status });
    }
    const classified = classifyPrometheusError(status, body, this.description);
    if (classified) throw new MetricQueryError(classified.kind, classified.message, { query, status });
    if (status >= 500) throw new MetricQueryError('server', `${this.description} failed (HTTP ${status}${detail})`, { query, status });
    if (status !== 200 || body === undefined || body.status !== 'success' || !body.data) {
      throw new MetricQueryError('bad-response', `${this.description} returned an unexpected answer (HTTP ${status}${detail}); is the url the Prometheus API?`, { query, status });
    }
    const series: MetricSeriesList = toSeries(body.data.resultType, body.data.result, this.description, query, kind);
    const raw = Array.isArray(body.warnings) ? (body.warnings as unknown[]) : [];
    // Prometheus 2.47–2.53 sent PromQL's annotations in `warnings` too (2.54 moved its infos to `infos`): none of
    // them says data is missing. A healthy classic histogram trips "PromQL info: input to histogram_quantile needed
    // to be fixed for monotonicity" (its buckets are not scraped atomically): taken for a partial answer, it would
    // hold a latency gate forever.
    const promql = (w: unknown) => typeof w === 'string' && /^PromQL (info|warning):/.test(w);
    const warnings = boundedTexts(raw.filter((w) => !promql(w)));
    if (warnings.length > 0) series.warnings = warnings;
    const annotations = boundedTexts(raw.filter((w) => typeof w === 'string' && w.startsWith('PromQL warning:')));
    if (annotations.length > 0) series.annotations = annotations;
    return series;
  }
}

/** Warnings kept per query, and the length of each: enough to name the store that was down, not a flood in the journal. */
const MAX_WARNINGS = 5;
const MAX_WARNING_LENGTH = 300;

/**
 * Server texts kept for the record: the `warnings` of a successful answer that say it is partial (a store or
 * remote-read endpoint did not answer), or PromQL's own warnings. Prometheus 3's `infos` (e.g. "metric might not
 * be a counter") are not read: they do not say data is missing.
 */
function boundedTexts(raw: readonly unknown[]): string[] {
  const texts = raw.map((w) => (typeof w === 'string' ? w : JSON.stringify(w))).filter((w) => w.trim() !== '');
  const kept = texts.slice(0, MAX_WARNINGS).map((w) => (w.length > MAX_WARNING_LENGTH ? `${w.slice(0, MAX_WARNING_LENGTH)}…` : w));
  if (texts.length > MAX_WARNINGS) kept.push(`… and ${texts.length - MAX_WARNINGS} more`);
  return kept;
}

interface RawSample {
  metric?: Record<string, string>;
  value?: [number, string];
  values?: Array<[number, string]>;
}

type QueryKind = 'instant' | 'range';

function toSeries(resultType: string | undefined, result: unknown, description: string, query: string, kind: QueryKind): MetricSeries[] {
  const point = (p: unknown): [number, number] => {
    if (!Array.isArray(p) || p.length !== 2) throw new MetricQueryError('bad-response', `${description} returned a malformed sample`, { query });
    return [Number(p[0]), parseSampleValue(p[1])];
  };
  switch (resultType) {
    case 'vector':
      return (result as RawSample[]).map((s) => ({ labels: s.metric ?? {}, points: [point(s.value)] }));
    case 'matrix':
      // Valid PromQL of the wrong type: an instant query answering a matrix selects raw samples (`x[5m]`). Taking
      // them as values would judge raw counter totals (a samplesQuery of millions of "starts"): a config error.
      if (kind === 'instant') {
        throw new MetricQueryError('bad-query', `${description} answered a range vector (matrix) to the gate query ${query}: it selects raw samples; wrap the selector in a function that yields one value per series (rate, increase, …_over_time)`, { query });
      }
      return (result as RawSample[]).map((s) => ({ labels: s.metric ?? {}, points: (s.values ?? []).map(point) }));
    case 'scalar':
      return [{ labels: {}, points: [point(result)] }];
    case 'string':
      throw new MetricQueryError('bad-query', `${description} answered a string to the gate query ${query}; gate queries must yield numbers`, { query });
    default:
      throw new MetricQueryError('bad-response', `${description} returned result type "${resultType}"; gate queries must yield numbers`, { query });
  }
}

/** Builds the provider from the `analysis.provider` config section. */
export function prometheusFromConfig(
  config: { url: string; headers: Record<string, string>; bearerTokenFile?: string; timeout: number },
  redactor?: Redactor,
): PrometheusProvider {
  return new PrometheusProvider({
    url: config.url,
    headers: config.headers,
    bearerTokenFile: config.bearerTokenFile,
    timeoutMs: config.timeout,
    redactor,
  });
}
