/**
 * The shift timeline for `plan`: per step and region the scores and the shares
 * they give, the minimum time to full promotion, and the worst-case time from a
 * bad signal to rollback — shown before anything moves (nobody else does this).
 *
 * Timing model (the controller's): a step lasts one `interval` and ends with a
 * measurement that must pass; every measurement runs each metric's queries, at
 * most {@link QUERY_CONCURRENCY} at a time, each bounded by the provider timeout.
 */
import type { TrafficShiftConfig } from './config.js';
import { expandSteps } from './config.js';
import { formatDuration } from './duration.js';
import { compileScores, type RegionScores, type ScoreCluster } from './scores.js';

/** Mirrors judges/fetch-values.ts. */
const QUERY_CONCURRENCY = 4;

export interface TimelineStep {
  index: number;
  percent: number;
  /** Earliest time after the shift starts at which this step's scores are set. */
  startsAtMs: number;
  regions: RegionScores[];
}

export interface ShiftTimeline {
  staffStageMs: number;
  initialDelayMs: number;
  intervalMs: number;
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
  /** max(detection of a failing metric, of broken metrics) + rollback. */
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
  const start = staffStageMs + initialDelayMs;
  const steps = percents.map((percent, index) => ({
    index,
    percent,
    startsAtMs: staffStageMs + (index === 0 ? 0 : initialDelayMs + index * interval),
    regions: compileScores(percent, clusters, { assumeNewAvailable: true }),
  }));

  const targets = clusters.length;
  const timeout = analysis?.provider.type === 'prometheus' ? analysis.provider.timeout : 0;
  const metrics = analysis?.metrics.length ?? 0;
  // Value and samples queries run side by side; each in batches of QUERY_CONCURRENCY.
  const measurementMaxMs = metrics * Math.ceil(targets / QUERY_CONCURRENCY) * timeout;
  const cycle = interval + measurementMaxMs;
  const failureLimit = analysis?.failureLimit ?? 0;
  const errorLimit = analysis?.consecutiveErrorLimit ?? 0;
  // One interval for the query window to fill with bad data, then limit+1 trips.
  const failingMetricMs = interval + (failureLimit + 1) * cycle;
  const brokenMetricsMs = (errorLimit + 1) * cycle;
  const silentClusterMs = (analysis?.sampleDeadline ?? 0) + cycle;
  // A cluster that reported before fails once its series left the query window (one lookback) at two measurements
  // in a row: the first empty one is a gap (a missed scrape), the second is "stopped reporting".
  const lookback = Math.max(0, ...(analysis?.metrics ?? []).map((m) => m.lookback ?? m.interval ?? interval));
  const stoppedReportingMs = lookback + 2 * cycle;
  const rollbackMs = config.rollback.mode === 'gradual' ? config.rollback.duration : 0;

  const notes: string[] = [];
  if (config.rollback.mode === 'instant') notes.push('rollback is one flip: new clusters score 0 and cordoned, old scores restored, on every meta cluster');
  notes.push('rollback stops new starts on the new clusters; workspaces already running there stay until their users stop them');
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
    steps,
    minTimeToFullMs: start + (percents.length - 1) * interval,
    // The bake ends at the first passing measurement after `bake`, measurements fall on the interval grid.
    minTimeToPromotionMs: start + percents.length * interval + (interval > 0 ? Math.ceil(config.bake / interval) * interval : config.bake),
    measurementMaxMs,
    detection: { failingMetricMs, brokenMetricsMs, silentClusterMs, stoppedReportingMs },
    rollbackMs,
    // The slowest of the three ways a bad new cluster is caught, then the rollback itself: never less than any part.
    worstCaseToRollbackMs: Math.max(failingMetricMs, brokenMetricsMs, silentClusterMs) + rollbackMs,
    notes,
  };
}
