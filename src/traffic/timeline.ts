/**
 * The shift timeline for `plan`: per step and region the scores and the shares
 * they give, the minimum time to full promotion, and the worst-case time from a
 * bad signal to rollback — shown before anything moves (nobody else does this).
 *
 * Timing model (the controller's, from the same functions: stage-schedule.ts): the
 * controller ticks every shortest metric interval (after the analysis-wide
 * initialDelay on the first step); a stage ends at the first tick where every
 * deciding metric has had `count` passing measurements at its own interval after
 * its own initialDelay (the bake: and `bake` is over). Every measurement runs each
 * due metric's queries, at most {@link QUERY_CONCURRENCY} at a time, each bounded
 * by the provider timeout.
 */
import type { TrafficShiftConfig } from './config.js';
import { expandSteps } from './config.js';
import { formatDuration } from './duration.js';
import { compileScores, type RegionScores, type ScoreCluster } from './scores.js';
import { startsToAccept } from './stats/sprt.js';
import { earliestPassingTick, earliestStageMs, metricInterval, nthFailingTickMs, passesNeeded, tickInterval } from './stage-schedule.js';

/** Mirrors judges/fetch-values.ts. */
const QUERY_CONCURRENCY = 4;

interface TimelineStep {
  index: number;
  percent: number;
  /** Earliest time after the shift starts at which this step's scores are set. */
  startsAtMs: number;
  /** Earliest time after the shift starts at which this step's passing measurement ends it. */
  endsAtMs: number;
  regions: RegionScores[];
}

export interface ShiftTimeline {
  staffStageMs: number;
  initialDelayMs: number;
  intervalMs: number;
  /** The controller's cadence: the shortest metric interval. */
  tickMs: number;
  /** Measurements (ticks) a stage takes at the least when every one passes. */
  ticksPerStage: number;
  /** What each deciding metric needs per stage, e.g. `slow: 2 passes every 2m after 1m30s`. */
  stageNeeds: string[];
  /** Earliest end of the bake after the shift starts (equals the last step's end when there is no bake). */
  bakeEndsAtMs: number;
  steps: TimelineStep[];
  /** Earliest time the new clusters take all new starts. */
  minTimeToFullMs: number;
  /** Earliest time the shift is done (last measurement passed, bake over). */
  minTimeToPromotionMs: number;
  /** Longest a single measurement can take when every query times out. */
  measurementMaxMs: number;
  /** From a bad signal to the rollback decision, per cause. */
  detection: { failingMetricMs: number; brokenMetricsMs: number; silentClusterMs: number; stoppedReportingMs: number };
  /** Time the rollback itself takes (0 for instant: one flip on every meta cluster). */
  rollbackMs: number;
  /** The slowest detection (failing metric, broken metrics, silent cluster, stopped reporting) + rollback. */
  worstCaseToRollbackMs: number;
  notes: string[];
}

/** Computes the timeline. `clusters` are the region's new and old clusters as observed (new ones may still be cordoned). */
export function buildTimeline(config: TrafficShiftConfig, clusters: readonly ScoreCluster[]): ShiftTimeline {
  const percents = expandSteps(config);
  const interval = config.interval;
  const staffStageMs = config.staffStage?.duration ?? 0;
  const analysis = config.analysis;
  const initialDelayMs = analysis?.initialDelay ?? 0;
  // With old clusters every metric is judged (a shift); `plan` always shows stand-in old clusters.
  const metrics = analysis?.metrics ?? [];
  const tickMs = analysis ? tickInterval(metrics, interval) : interval;
  // Without an analysis the controller never measures: each step is one interval (the old model).
  const stageMs = (delay: number) => (analysis ? earliestStageMs(metrics, interval, delay) : delay + interval);
  const steps: TimelineStep[] = [];
  let at = staffStageMs;
  for (const [index, percent] of percents.entries()) {
    const endsAtMs = at + stageMs(index === 0 ? initialDelayMs : 0);
    steps.push({ index, percent, startsAtMs: at, endsAtMs, regions: compileScores(percent, clusters, { assumeNewAvailable: true }) });
    at = endsAtMs;
  }
  const lastEnd = at;
  // The bake ends at the first passing measurement after `bake`; a bake of 0 is no stage (finish right away).
  const bakeEndsAtMs = config.bake <= 0 ? lastEnd : lastEnd + (analysis ? earliestStageMs(metrics, interval, 0, config.bake) : interval > 0 ? Math.ceil(config.bake / interval) * interval : config.bake);
  const stageNeeds = metrics
    .filter((m) => !m.dryRun)
    .map((m) => `${m.name}: ${passesNeeded(m)} pass${passesNeeded(m) === 1 ? '' : 'es'} every ${formatDuration(metricInterval(m, interval))}${m.initialDelay ? ` after ${formatDuration(m.initialDelay)}` : ''}`);

  const targets = clusters.length;
  const timeout = analysis?.provider.type === 'prometheus' ? analysis.provider.timeout : 0;
  // Value and samples queries run side by side; each in batches of QUERY_CONCURRENCY.
  const measurementMaxMs = metrics.length * Math.ceil(targets / QUERY_CONCURRENCY) * timeout;
  const cycle = interval + measurementMaxMs;
  const failureLimit = analysis?.failureLimit ?? 0;
  const errorLimit = analysis?.consecutiveErrorLimit ?? 0;
  // One interval for the query window to fill with bad data, then limit+1 trips.
  // Per deciding metric, by the controller's schedule: a bad signal is seen once the metric's window holds it
  // (its lookback) and, at a stage's start, not before the stage's delays (the staff stage and the analysis
  // initialDelay on the first step, the metric's own initialDelay in every stage); then limit+1 measurements
  // at its own interval, each landing on the next tick (up to one tick late when the grids differ).
  const deciding = metrics.filter((m) => !m.dryRun);
  const perMetric = (window: (m: (typeof metrics)[number]) => number, limit: (m: (typeof metrics)[number]) => number) =>
    Math.max(
      0,
      ...deciding.map((m) => {
        const every = metricInterval(m, interval);
        const delay = m.initialDelay ?? 0;
        const slack = delay % tickMs === 0 && every % tickMs === 0 ? 0 : tickMs;
        return Math.max(window(m), staffStageMs + initialDelayMs) + delay + (limit(m) + 1) * (every + measurementMaxMs) + slack;
      }),
    );
  const failingMetricMs = analysis ? perMetric((m) => m.lookback ?? metricInterval(m, interval), (m) => m.failureLimit ?? failureLimit) : interval + (failureLimit + 1) * cycle;
  const brokenMetricsMs = analysis ? perMetric(() => 0, (m) => m.consecutiveErrorLimit ?? errorLimit) : (errorLimit + 1) * cycle;
  // Silence is seen by every metric that queries the cluster's series; the promise holds as long as one
  // of them does (a query with `or vector(0)` never goes silent), so it is the slowest metric's time.
  // Never reported: the first step (after the staff stage, which measures nothing) waits until
  // sampleDeadline (counted from the step's start), then each of the metric's measurements at its own
  // interval fails (`no-data.never-reported` / `no-traffic`) until its failureLimit trips.
  const deadline = analysis?.sampleDeadline ?? 0;
  const silentClusterMs = analysis
    ? Math.max(0, ...deciding.map((m) => {
        const limit = m.failureLimit ?? failureLimit;
        return staffStageMs + nthFailingTickMs(m, interval, tickMs, initialDelayMs, deadline, limit + 1) + (limit + 1) * measurementMaxMs;
      }))
    : deadline + cycle;
  // Stopped reporting, counted from the moment the series stop: they leave the metric's window after one
  // lookback; the metric's next measurement is a gap (one missed scrape must not roll back), each later one
  // fails (`no-data.stopped-reporting`) until its failureLimit trips. The next measurement is at most one
  // interval away, or — when a stage ends first — the metric's initialDelay plus one interval after the new
  // stage began (no later than one interval after the lookback); up to one tick late when the grids differ.
  const stoppedReportingMs = analysis
    ? Math.max(0, ...deciding.map((m) => {
        const every = metricInterval(m, interval);
        const limit = m.failureLimit ?? failureLimit;
        const slack = (m.initialDelay ?? 0) % tickMs === 0 && every % tickMs === 0 ? 0 : tickMs;
        return (m.lookback ?? every) + (m.initialDelay ?? 0) + (limit + 3) * every + slack + (limit + 2) * measurementMaxMs;
      }))
    : interval + 2 * cycle;
  const rollbackMs = config.rollback.mode === 'gradual' ? config.rollback.duration : 0;

  const notes: string[] = [];
  if (config.rollback.mode === 'instant') notes.push('rollback is one flip: new clusters score 0 and cordoned, old scores restored, on every meta cluster');
  notes.push('rollback stops new starts on the new clusters; workspaces already running there stay until their users stop them');
  // Passing also needs enough starts where a metric counts them: that depends on traffic, not on the clock.
  const needStarts = metrics
    .filter((m) => !m.dryRun && (m.minSamples > 0 || m.threshold?.sequential))
    .map((m) => {
      const seq = m.threshold?.sequential;
      const accept = seq && m.threshold?.max !== undefined ? startsToAccept({ p0: seq.healthy, p1: m.threshold.max, alpha: seq.falseRollback, beta: seq.falsePromotion }) : 0;
      const least = Math.max(m.minSamples, accept);
      return `${m.name} ≥ ${least} ${m.samplesQuery ? 'starts' : 'points'} per cluster${accept > 0 ? ' (sequential test, without a failure)' : ''}`;
    });
  if (needStarts.length > 0) notes.push(`the earliest times assume enough traffic: a stage passes only once ${needStarts.join(', ')} in the stage; with less traffic it measures on until they arrive`);
  if (analysis) notes.push('an inconclusive result pauses the shift until a human resumes, promotes or aborts: that wait has no upper bound');
  if (staffStageMs > 0) notes.push(`staff stage: only holders of ${config.staffStage?.permission} start on the new clusters for ${formatDuration(staffStageMs)}`);
  for (const step of steps) {
    for (const r of step.regions) {
      if (Math.abs(r.effectivePercent - r.percent) >= 0.5) {
        notes.push(`step ${step.index + 1} in ${r.region}: ${r.percent} % requested, scores give ${r.effectivePercent} % (max_score limits)`);
      }
    }
  }

  return {
    staffStageMs,
    initialDelayMs,
    intervalMs: interval,
    tickMs,
    ticksPerStage: analysis ? earliestPassingTick(metrics, interval) : 1,
    stageNeeds,
    bakeEndsAtMs,
    steps,
    minTimeToFullMs: steps.at(-1)?.startsAtMs ?? staffStageMs,
    minTimeToPromotionMs: bakeEndsAtMs,
    measurementMaxMs,
    detection: { failingMetricMs, brokenMetricsMs, silentClusterMs, stoppedReportingMs },
    rollbackMs,
    // The slowest of the three ways a bad new cluster is caught, then the rollback itself: never less than any part.
    worstCaseToRollbackMs: Math.max(failingMetricMs, brokenMetricsMs, silentClusterMs, stoppedReportingMs) + rollbackMs,
    notes,
  };
}
