/**
 * A {@link MetricProvider} over the registry simulator's counters, so the sandbox
 * (and the scenario bench) gate a shift with the same judges as Prometheus.
 *
 * The simulator keeps cumulative counters (starts, failures, running); this
 * provider samples them over time and answers windowed queries in a tiny,
 * documented language (one cluster per query, as our templates produce):
 *
 *   starts(<cluster>[<window>])         start attempts placed on the cluster in the window
 *   failures(<cluster>[<window>])       failed start attempts in the window
 *   failure_ratio(<cluster>[<window>])  failures / starts (NaN when there were no starts, as 0/0 in PromQL)
 *   running(<cluster>)                  regular workspaces running now
 *
 * e.g. `failure_ratio({{shortName}}[{{interval}}])`. A cluster the simulator has
 * never seen matches no series (empty result), like an unknown label in Prometheus.
 */
import { parseDuration } from '../traffic/duration.js';
import { MetricQueryError, type InstantQueryOptions, type MetricProvider, type MetricSeries, type RangeQueryOptions } from '../traffic/providers/provider.js';

/** The counters the provider reads (summed over every simulator it watches). */
interface CounterSnapshot {
  starts: number;
  failures: number;
  running: number;
}

type CounterReader = () => Record<string, CounterSnapshot>;

interface SimulatorProviderOptions {
  /** One reader per simulator (meta cluster); counters of one cluster are summed across them. */
  readers: readonly CounterReader[];
  /** Time source (epoch ms). */
  now?: () => number;
  /** Background sampling period; 0 disables the timer (call {@link SimulatorProvider.sample} yourself). Default 250 ms. */
  sampleEveryMs?: number;
  /** History kept. Default 1 h. */
  keepMs?: number;
  description?: string;
}

interface Sample {
  t: number;
  counters: Record<string, CounterSnapshot>;
}

// The window is a Prometheus duration, compound ones included (`1m30s`, `4s989ms`): tiled
// measurement windows (src/traffic/judges/fetch-values.ts) span whatever time passed since the last.
const QUERY = /^\s*(starts|failures|failure_ratio|running)\(\s*([A-Za-z0-9._:-]+)\s*(?:\[\s*((?:[0-9]+(?:ms|s|m|h|d))+)\s*\])?\s*\)\s*$/;

type Fn = 'starts' | 'failures' | 'failure_ratio' | 'running';

interface ParsedQuery {
  fn: Fn;
  cluster: string;
  windowMs?: number;
}

/** Parses a query of the language above; throws a `bad-query` MetricQueryError otherwise. */
export function parseSimulatorQuery(query: string): ParsedQuery {
  const m = QUERY.exec(query);
  if (!m) {
    throw new MetricQueryError('bad-query', `simulator query "${query}" is not understood; use starts(<cluster>[<window>]), failures(…), failure_ratio(…) or running(<cluster>)`, { query });
  }
  const fn = m[1] as Fn;
  let windowMs: number | undefined;
  try {
    windowMs = m[3] ? parseDuration(m[3]) : undefined;
  } catch {
    throw new MetricQueryError('bad-query', `simulator query "${query}" has a window that is not a duration (units once each, largest first: 1m30s, 4s989ms)`, { query });
  }
  if (fn !== 'running' && windowMs === undefined) {
    throw new MetricQueryError('bad-query', `simulator query "${query}" needs a window, e.g. ${fn}(${m[2]}[{{interval}}])`, { query });
  }
  return { fn, cluster: m[2] as string, windowMs };
}

export class SimulatorProvider implements MetricProvider {
  readonly description: string;
  private readonly history: Sample[] = [];
  private readonly now: () => number;
  private readonly keepMs: number;
  private timer?: NodeJS.Timeout;

  constructor(private readonly options: SimulatorProviderOptions) {
    this.now = options.now ?? (() => Date.now());
    this.keepMs = options.keepMs ?? 3_600_000;
    this.description = options.description ?? 'registry simulator counters';
    this.sample();
    const every = options.sampleEveryMs ?? 250;
    if (every > 0) {
      this.timer = setInterval(() => this.sample(), every);
      this.timer.unref();
    }
  }

  /** Records the counters as they are now. */
  sample(): void {
    const counters: Record<string, CounterSnapshot> = {};
    for (const read of this.options.readers) {
      for (const [name, c] of Object.entries(read())) {
        const sum = (counters[name] ??= { starts: 0, failures: 0, running: 0 });
        sum.starts += c.starts;
        sum.failures += c.failures;
        sum.running += c.running;
      }
    }
    const t = this.now();
    this.history.push({ t, counters });
    // Keep one sample older than the horizon so a full window can still be answered.
    while (this.history.length > 2 && (this.history[1]?.t ?? t) < t - this.keepMs) this.history.shift();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async instant(query: string, options: InstantQueryOptions = {}): Promise<MetricSeries[]> {
    this.checkAbort(query, options.signal);
    const parsed = parseSimulatorQuery(query);
    const at = options.time?.getTime() ?? this.now();
    if (at >= (this.history.at(-1)?.t ?? 0)) this.sample();
    const value = this.evaluate(parsed, at);
    return value === undefined ? [] : [{ labels: { cluster: parsed.cluster }, points: [[at / 1000, value]] }];
  }

  async range(query: string, options: RangeQueryOptions): Promise<MetricSeries[]> {
    this.checkAbort(query, options.signal);
    const parsed = parseSimulatorQuery(query);
    if (options.end.getTime() >= (this.history.at(-1)?.t ?? 0)) this.sample();
    const points: Array<[number, number]> = [];
    const step = Math.max(1, options.stepMs);
    for (let t = options.start.getTime(); t <= options.end.getTime(); t += step) {
      const value = this.evaluate(parsed, t);
      if (value !== undefined) points.push([t / 1000, value]);
    }
    return points.length === 0 ? [] : [{ labels: { cluster: parsed.cluster }, points }];
  }

  private checkAbort(query: string, signal?: AbortSignal): void {
    if (signal?.aborted) throw new MetricQueryError('aborted', 'query aborted', { query });
  }

  /** The counters at `t`: the latest sample not after `t` (the earliest one before history starts). */
  private at(t: number): Sample | undefined {
    let found: Sample | undefined;
    for (const s of this.history) {
      if (s.t <= t) found = s;
      else break;
    }
    return found ?? this.history[0];
  }

  private evaluate(q: ParsedQuery, t: number): number | undefined {
    const end = this.at(t)?.counters[q.cluster];
    if (!end) return undefined;
    if (q.fn === 'running') return end.running;
    const start = this.at(t - (q.windowMs ?? 0))?.counters[q.cluster] ?? { starts: 0, failures: 0, running: 0 };
    const starts = Math.max(0, end.starts - start.starts);
    const failures = Math.max(0, end.failures - start.failures);
    if (q.fn === 'starts') return starts;
    if (q.fn === 'failures') return failures;
    return starts === 0 ? Number.NaN : failures / starts;
  }
}
