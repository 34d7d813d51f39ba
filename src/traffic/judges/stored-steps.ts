/**
 * A failure ratio as the stored samples give it, where rate() reads it low. Prometheus extrapolates a counter's
 * increase to its range's edges, but never toward the start past the counter's zero point (promql/functions.go
 * extrapolatedRate: durationToZero = sampledInterval × first / increase): a failure counter whose first sample in
 * the range is 0 (pre-initialised, before the cluster's first failure), or small beside its increase (below
 * increase × durationToStart / sampledInterval), is extrapolated less than the starts counter beside it. So on the
 * canary's first failing window sum(rate(failures)) / sum(rate(starts)) reads low: by (sampled + toEnd) /
 * (sampled + toStart + toEnd), and a tiled window (metric-judge.ts seamReach), which takes counts back by the starts'
 * extrapolation, loses that share of its failures (real Prometheus, a 3 s window of 1 s scrapes: 10 stepped, 9
 * counted; prometheus-zero-start-counter.test.ts). Failures missed is the dangerous direction.
 *
 * The judge takes the larger of the query's ratio and the ratio of the stored steps (last minus first sample of each
 * series in the range, added up) of the failure part's counters to the samplesQuery's: for counters away from 0 the
 * two agree (both are extrapolated alike), at a zero point the stored one is right. Only where both are plain sums of
 * counters (the births' shapes, counter-births.ts) and no series was reset in the range (a reset makes last − first
 * meaningless): otherwise the query's ratio stands as before.
 */
import type { MetricProvider } from '../providers/provider.js';
import { failurePart, onlyAddsUp } from './counter-births.js';
import { vectorSelectors } from './promql-check.js';

/** The stored steps of a selector list's counters over the range; undefined when a series was reset in it. */
async function storedSteps(provider: MetricProvider, selectors: readonly string[], rangeMs: number, at: Date, signal?: AbortSignal): Promise<number | undefined> {
  const r = `${Math.max(1, Math.round(rangeMs))}ms`;
  const answers = await Promise.all(
    selectors.map((s) =>
      provider.instant(
        `label_replace(sum(max_over_time(${s}[${r}]) - min_over_time(${s}[${r}])), "part", "steps", "", "") or label_replace(sum(resets(${s}[${r}])), "part", "resets", "", "")`,
        { time: at, signal },
      ),
    ),
  );
  let steps = 0;
  for (const series of answers.flat()) {
    const v = series.points.at(-1)?.[1] ?? NaN;
    if (!Number.isFinite(v)) return undefined;
    if (series.labels.part === 'resets' && v > 0) return undefined;
    if (series.labels.part === 'steps') steps += v;
  }
  return steps;
}

/**
 * The failure ratio of the stored steps in the range ending at `at`: the failure part's over the samplesQuery's.
 * Undefined for other shapes, no stored start, or a reset; throws when a query fails (as the births check does).
 */
export async function storedFailureRatio(provider: MetricProvider, valueQuery: string, samplesQuery: string, rangeMs: number, at: Date, signal?: AbortSignal): Promise<number | undefined> {
  const part = failurePart(valueQuery);
  if (part === undefined || !onlyAddsUp(part) || !onlyAddsUp(samplesQuery)) return undefined;
  const [failures, starts] = await Promise.all([storedSteps(provider, vectorSelectors(part), rangeMs, at, signal), storedSteps(provider, vectorSelectors(samplesQuery), rangeMs, at, signal)]);
  return failures === undefined || starts === undefined || starts <= 0 ? undefined : failures / starts;
}

/**
 * A tiled window's starts and failures as stored, anchored at the previous window's last stored sample: per series,
 * its last sample in the window minus its last sample at or before the window's start (within `anchorMs`; a series
 * without one, from its first sample in the window: counter-births.ts counts that one). Back-to-back windows then
 * add up to exactly what Prometheus stored between the first's start and the last's end, whatever scrapes it missed:
 * each window's end value is the next one's anchor (the same query at the same time). rate() cannot: where the scrape
 * at a seam was missed, neither window has a sample between the one before it and the one after it, so the steps
 * between those two fall between the windows but for rate()'s guess (extrapolated half an interval past a gap over
 * 1.1 intervals; a 4 s chain on real Prometheus counted 29 of 32 failures; prometheus-tiled-window-seams.test.ts).
 * Only for plain sums of counters, as storedFailureRatio; undefined when a series was reset since the anchor (last −
 * anchor is then no count), there is no stored start, or another shape; throws when a query fails.
 */
export async function anchoredCounts(
  provider: MetricProvider,
  valueQuery: string,
  samplesQuery: string,
  windowMs: number,
  anchorMs: number,
  at: Date,
  signal?: AbortSignal,
): Promise<{ failures: number; starts: number } | undefined> {
  const part = failurePart(valueQuery);
  if (part === undefined || !onlyAddsUp(part) || !onlyAddsUp(samplesQuery)) return undefined;
  const ms = (n: number) => `${Math.max(1, Math.round(n))}ms`;
  const steps = async (selectors: readonly string[]): Promise<number | undefined> => {
    const answers = await Promise.all(
      selectors.map((s) =>
        provider.instant(
          `label_replace(sum(last_over_time(${s}[${ms(windowMs)}]) - (last_over_time(${s}[${ms(anchorMs)}] offset ${ms(windowMs)}) or min_over_time(${s}[${ms(windowMs)}]))), "part", "steps", "", "") or label_replace(sum(resets(${s}[${ms(windowMs + anchorMs)}])), "part", "resets", "", "")`,
          { time: at, signal },
        ),
      ),
    );
    let total = 0;
    let seen = false;
    for (const series of answers.flat()) {
      const v = series.points.at(-1)?.[1] ?? NaN;
      if (!Number.isFinite(v) || (series.labels.part === 'resets' && v > 0)) return undefined;
      if (series.labels.part === 'steps') {
        total += v;
        seen = true;
      }
    }
    return seen ? total : undefined;
  };
  const [failures, starts] = await Promise.all([steps(vectorSelectors(part)), steps(vectorSelectors(samplesQuery))]);
  if (starts === undefined || starts <= 0) return undefined;
  return { failures: failures ?? 0, starts };
}
