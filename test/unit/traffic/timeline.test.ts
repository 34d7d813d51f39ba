import { describe, expect, it } from 'vitest';
import { trafficShiftSchema } from '../../../src/traffic/config.js';
import type { ScoreCluster } from '../../../src/traffic/scores.js';
import { buildTimeline } from '../../../src/traffic/timeline.js';

const clusters: ScoreCluster[] = [
  { name: 'eu18', role: 'new', region: 'europe-west1', state: 'CORDONED', score: 0, maxScore: 100, constraintSet: '' },
  { name: 'eu17', role: 'old', region: 'europe-west1', state: 'AVAILABLE', score: 100, maxScore: 100, constraintSet: '' },
];

const analysis = {
  provider: { type: 'prometheus', url: 'http://127.0.0.1:9090', timeout: '10s' },
  metrics: [
    { name: 'a', query: 'x{c="{{cluster}}"}', threshold: { max: 1 } },
    { name: 'b', query: 'y{c="{{cluster}}"}', comparison: { method: 'mann-whitney' } },
  ],
  failureLimit: 1,
  consecutiveErrorLimit: 2,
  initialDelay: '2m',
  sampleDeadline: '20m',
};

describe('shift timeline', () => {
  it('lists scores and shares per step and the minimum time to promotion', () => {
    const config = trafficShiftSchema.parse({ steps: [5, 25, 50, 100], interval: '5m', bake: '30m', analysis });
    const t = buildTimeline(config, clusters);
    expect(t.steps.map((s) => [s.percent, s.startsAtMs / 60_000, s.regions[0]?.effectivePercent])).toEqual([
      [5, 0, 5],
      [25, 7, 25],
      [50, 12, 50],
      [100, 17, 100],
    ]);
    expect(t.steps[1]?.regions[0]?.assignments.map((a) => [a.name, a.score])).toEqual([
      ['eu18', 25],
      ['eu17', 75],
    ]);
    // 2m delay + 3 intervals to reach 100 %, one more interval to measure it, then 30m bake.
    expect(t.minTimeToFullMs).toBe(17 * 60_000);
    expect(t.minTimeToPromotionMs).toBe((2 + 20 + 30) * 60_000);
  });

  it('computes the worst case from a bad signal to rollback', () => {
    const config = trafficShiftSchema.parse({ steps: [50, 100], interval: '1m', analysis, rollback: { mode: 'gradual', duration: '4m' } });
    const t = buildTimeline(config, clusters);
    // 2 metrics × 1 batch of ≤4 clusters × 10 s timeout.
    expect(t.measurementMaxMs).toBe(20_000);
    // The first step measures nothing before the 2 m initialDelay (longer than the 60 s window fill),
    // then (failureLimit 1 + 1) × (60 s + 20 s). (Was 220 s: the old model forgot the initialDelay.)
    expect(t.detection.failingMetricMs).toBe(280_000);
    // 2 m initialDelay + (consecutiveErrorLimit 2 + 1) × 80 s. (Was 240 s, same omission.)
    expect(t.detection.brokenMetricsMs).toBe(360_000);
    // Never reported: the step's ticks are at 2m + k·1m; the 20 m sampleDeadline has passed at the tick at 20m
    // (1st failure) and failureLimit 1 trips at 21m; + 2 × 20 s measurements. (Was 21m20s: one interval after
    // the deadline, whatever the limit.)
    expect(t.detection.silentClusterMs).toBe(21 * 60_000 + 40_000);
    // Stopped reporting, from the moment the series stop: 1m lookback + (failureLimit 1 + 3) × 1m (a gap first,
    // a stage that may end in between) + 3 × 20 s.
    expect(t.detection.stoppedReportingMs).toBe(6 * 60_000);
    expect(t.rollbackMs).toBe(240_000);
    // The slowest detection (a silent cluster, 21m40s) plus the gradual rollback (4m): never less than a part.
    expect(t.worstCaseToRollbackMs).toBe(21 * 60_000 + 40_000 + 240_000);
    for (const part of Object.values(t.detection)) expect(t.worstCaseToRollbackMs).toBeGreaterThanOrEqual(part + t.rollbackMs);
  });

  it('promises silence per metric at its own interval, after the staff stage', () => {
    const config = trafficShiftSchema.parse({
      steps: [50, 100],
      interval: '1m',
      staffStage: { duration: '10m' },
      analysis: {
        provider: { type: 'simulator' },
        sampleDeadline: '5m',
        metrics: [
          { name: 'fast', query: 'x{c="{{cluster}}"}', threshold: { max: 1 } },
          { name: 'slow', query: 'y{c="{{cluster}}"}', threshold: { max: 1 }, interval: '4m', initialDelay: '30s', failureLimit: 1, lookback: '2m' },
        ],
      },
    });
    const t = buildTimeline(config, clusters);
    // slow's slots in the first step (after the 10m staff stage, which measures nothing): 4m30s, 8m30s, 12m30s;
    // each measured at the next 1m tick (5m, 9m, 13m); the 5m deadline has passed at 5m, failureLimit 1 trips at 9m.
    // fast alone would have caught it at 5m: the promise is the slowest metric's, as a query with `or vector(0)` never goes silent.
    expect(t.detection.silentClusterMs).toBe(10 * 60_000 + 9 * 60_000);
    // slow: 2m lookback + 30s initialDelay + (1 + 3) × 4m + one tick (its grid is off the 1m ticks by 30 s).
    expect(t.detection.stoppedReportingMs).toBe(2 * 60_000 + 30_000 + 16 * 60_000 + 60_000);
  });

  it('counts the staff stage and notes shares that max_score cannot reach', () => {
    const tight: ScoreCluster[] = [
      ...['a', 'b', 'c', 'd'].map((name) => ({ ...clusters[0]!, name })),
      clusters[1]!,
    ];
    const config = trafficShiftSchema.parse({ steps: [1, 100], interval: '1m', staffStage: { duration: '10m' }, analysis });
    const t = buildTimeline(config, tight);
    expect(t.staffStageMs).toBe(600_000);
    expect(t.steps[0]?.startsAtMs).toBe(600_000);
    expect(t.minTimeToPromotionMs).toBe(600_000 + 120_000 + 2 * 60_000);
    expect(t.notes.join('\n')).toMatch(/step 1 in europe-west1: 1 % requested, scores give 3.85 %/);
    expect(t.notes.join('\n')).toMatch(/staff stage: only holders of new-workspace-cluster/);
  });
});
