/**
 * An in-memory MetricProvider for unit tests. It answers like Prometheus does:
 * an unknown query matches no series (empty array, not an error); errors are
 * MetricQueryErrors of a given kind; range queries return only points inside
 * [start, end] at the requested step.
 */
import { MetricQueryError, type MetricErrorKind, type MetricProvider, type MetricSeries, type RangeQueryOptions } from '../../../src/traffic/providers/provider.js';

type Answer = { values: number[][] } | { error: MetricErrorKind };

export class FakeMetricProvider implements MetricProvider {
  readonly description = 'fake';
  /** Every query with its times (epoch ms): `at` for instant queries, `start`/`end`/`stepMs` for ranges. */
  readonly calls: Array<{ kind: 'instant' | 'range'; query: string; at?: number; start?: number; end?: number; stepMs?: number }> = [];
  private readonly answers = new Map<string, Answer>();

  /** Each inner array is one series: for instant queries its last value counts. */
  set(query: string, ...series: number[][]): this {
    this.answers.set(query, { values: series });
    return this;
  }

  fail(query: string, kind: MetricErrorKind): this {
    this.answers.set(query, { error: kind });
    return this;
  }

  async instant(query: string, options?: { time?: Date }): Promise<MetricSeries[]> {
    const at = (options?.time ?? new Date()).getTime();
    this.calls.push({ kind: 'instant', query, at });
    const t = at / 1000;
    return this.answer(query).map((values, i) => ({ labels: { series: String(i) }, points: values.length ? [[t, values.at(-1) as number]] : [] }));
  }

  async range(query: string, options: RangeQueryOptions): Promise<MetricSeries[]> {
    this.calls.push({ kind: 'range', query, start: options.start.getTime(), end: options.end.getTime(), stepMs: options.stepMs });
    const start = options.start.getTime() / 1000;
    const step = options.stepMs / 1000;
    return this.answer(query).map((values, i) => ({
      labels: { series: String(i) },
      points: values.map((v, k) => [start + k * step, v] as [number, number]),
    }));
  }

  private answer(query: string): number[][] {
    const a = this.answers.get(query);
    if (a === undefined) return [];
    if ('error' in a) throw new MetricQueryError(a.error, `fake ${a.error} for ${query}`, { query });
    return a.values;
  }
}
