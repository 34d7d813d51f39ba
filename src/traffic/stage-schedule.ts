/**
 * When measurements happen within a stage (a step or the bake) and when the stage can end at the
 * earliest. One source for both the shift controller (which waits and measures by these rules) and
 * the timeline `plan` prints (which promises by them), so what the operator is told cannot drift
 * from what happens.
 *
 * The rules (docs/canary-analysis.md):
 * - the controller ticks every `tick` = the shortest metric interval (a metric's own `interval`,
 *   default trafficShift.interval), after the analysis-wide `initialDelay` on the first step only;
 * - at a tick, t = time since the stage began minus that delay; a metric is due when
 *   `floor((t − its initialDelay) / its interval)` exceeds the measurements it had in the stage;
 * - a stage passes at the first tick where every deciding (non-dry-run) metric has had its `count`
 *   (default 1) passing measurements and its latest passed; the bake additionally needs `bake` over.
 */
import type { MetricConfig } from './analysis-config.js';

/** The per-metric settings the schedule depends on. */
export type ScheduledMetric = Pick<MetricConfig, 'name' | 'interval' | 'initialDelay' | 'count' | 'dryRun'>;

/** A metric's own interval (defaults to trafficShift.interval). */
export function metricInterval(metric: ScheduledMetric, defaultIntervalMs: number): number {
  return metric.interval ?? defaultIntervalMs;
}

/** The controller's cadence: the shortest interval of the judged metrics (dry runs included: they are measured too). */
export function tickInterval(metrics: readonly ScheduledMetric[], defaultIntervalMs: number): number {
  return metrics.length === 0 ? defaultIntervalMs : Math.min(...metrics.map((m) => metricInterval(m, defaultIntervalMs)));
}

/** The analysis-wide initialDelay applies to the first step (and a first generation's watch) only. */
export function stageDelay(stage: { phase: string; stepIndex: number }, analysisInitialDelayMs: number): number {
  return (stage.phase === 'steps' && stage.stepIndex === 0) || stage.phase === 'watch' ? analysisInitialDelayMs : 0;
}

/** Measurement slots of `metric` that have come up `sinceMs` into the stage (after the stage delay); ≤ 0 before its initialDelay. */
export function metricSlots(metric: ScheduledMetric, sinceMs: number, defaultIntervalMs: number): number {
  return Math.floor((sinceMs - (metric.initialDelay ?? 0)) / metricInterval(metric, defaultIntervalMs));
}

/** Passing measurements a deciding metric needs in each stage. */
export function passesNeeded(metric: ScheduledMetric): number {
  return metric.count ?? 1;
}

/**
 * The tick (1, 2, …) at which a stage can pass at the earliest, i.e. when every metric passes every
 * measurement: the first k with metricSlots(m, k·tick) ≥ count for every deciding metric. A stage is
 * always judged at least once, so never below 1.
 */
export function earliestPassingTick(metrics: readonly ScheduledMetric[], defaultIntervalMs: number): number {
  const tick = tickInterval(metrics, defaultIntervalMs);
  if (tick <= 0) return 1;
  const deciding = metrics.filter((m) => !m.dryRun);
  // metricSlots(m, k·tick) ≥ c  ⇔  k·tick − delay ≥ c·interval  ⇔  k ≥ (delay + c·interval) / tick.
  return Math.max(1, ...deciding.map((m) => Math.ceil(((m.initialDelay ?? 0) + passesNeeded(m) * metricInterval(m, defaultIntervalMs)) / tick)));
}

/**
 * Earliest length of a stage from its start to the passing measurement that ends it: the stage delay,
 * then ticks until every deciding metric has its passes and (the bake) `minimumMs` is over. A bake of 0
 * is no stage at all (the shift finishes right after the last step): pass `minimumMs` undefined for steps.
 */
export function earliestStageMs(metrics: readonly ScheduledMetric[], defaultIntervalMs: number, delayMs: number, minimumMs?: number): number {
  const tick = tickInterval(metrics, defaultIntervalMs);
  const passing = earliestPassingTick(metrics, defaultIntervalMs);
  // The bake ends at the first passing measurement at or after `minimumMs`.
  const k = minimumMs === undefined || tick <= 0 ? passing : Math.max(passing, Math.ceil((minimumMs - delayMs) / tick));
  return delayMs + k * tick;
}

/**
 * When, counted from the start of a stage, `metric` has had `failures` measurements at or after
 * `fromMs` (time since the stage began, stage delay included), measuring by the rules above: ticks
 * every `tick` after `delayMs`, the metric due when its slot count grew. `fromMs` is when its
 * measurements start to fail (e.g. the sample deadline: `elapsedInStep ≥ sampleDeadline` is checked
 * at the tick, so a slot that came up before the deadline and is measured at a tick after it counts).
 * Ticks are walked one by one, as the controller does: bounded by the stage length a caller asks about.
 */
export function nthFailingTickMs(metric: ScheduledMetric, defaultIntervalMs: number, tickMs: number, delayMs: number, fromMs: number, failures: number): number {
  if (tickMs <= 0) return delayMs + Math.max(0, fromMs);
  let measured = 0;
  let failed = 0;
  // A slot comes up at least every interval (≥ tick): this many ticks always reach the last failure.
  const maxTicks = Math.ceil((Math.max(0, fromMs) + (metric.initialDelay ?? 0) + (failures + 1) * metricInterval(metric, defaultIntervalMs)) / tickMs) + 2;
  for (let j = 1; j <= maxTicks; j++) {
    if (measured >= metricSlots(metric, j * tickMs, defaultIntervalMs)) continue;
    measured++;
    const at = delayMs + j * tickMs;
    if (at >= fromMs && ++failed >= failures) return at;
  }
  return delayMs + maxTicks * tickMs;
}
