/**
 * The timeline's rules one at a time (src/traffic/timeline.ts): the promise `plan` prints. Every figure
 * is worked by hand from the timing model in the module header; none is taken from the module.
 */
import { describe, expect, it } from 'vitest';
import { trafficShiftSchema, type TrafficShiftConfig } from '../../../src/traffic/config.js';
import type { ScoreCluster } from '../../../src/traffic/scores.js';
import { buildTimeline } from '../../../src/traffic/timeline.js';

const M = 60_000;
const NEW: ScoreCluster = { name: 'eu18', role: 'new', region: 'europe-west1', state: 'CORDONED', score: 0, maxScore: 100, constraintSet: '' };
const OLD: ScoreCluster = { name: 'eu17', role: 'old', region: 'europe-west1', state: 'AVAILABLE', score: 100, maxScore: 100, constraintSet: '' };
const FLIP = 'rollback is one flip: new clusters score 0 and cordoned, old scores restored, on every meta cluster';
const STAYS = 'rollback stops new starts on the new clusters; workspaces already running there stay until their users stop them';
const PAUSE = 'an inconclusive result pauses the shift until a human resumes, promotes or aborts: that wait has no upper bound';

const metric = (name: string, extra: Record<string, unknown> = {}) => ({ name, query: `${name}{c="{{cluster}}"}`, threshold: { max: 1 }, ...extra });
const simulator = { type: 'simulator' };
const prometheus = { type: 'prometheus', url: 'http://127.0.0.1:9090', timeout: '10s' };

/** A config as the controller sees it when no analysis is configured (the schema asks for one; `command` shifts go without). */
function withoutAnalysis(input: Record<string, unknown>): TrafficShiftConfig {
  return { ...trafficShiftSchema.parse({ ...input, analysis: { provider: simulator, metrics: [metric('x')] } }), analysis: undefined };
}

describe('shift timeline rules', () => {
  it('without an analysis: one interval per step, the bake rounded up to whole intervals, detection in intervals', () => {
    const t = buildTimeline(withoutAnalysis({ steps: [10, 50, 100], interval: '5m', bake: '12m' }), [NEW, OLD]);
    expect(t.steps.map((s) => [s.startsAtMs / M, s.endsAtMs / M])).toEqual([
      [0, 5],
      [5, 10],
      [10, 15],
    ]);
    expect(t).toMatchObject({ tickMs: 5 * M, initialDelayMs: 0, ticksPerStage: 1, stageNeeds: [], measurementMaxMs: 0, minTimeToFullMs: 10 * M });
    // 12 m bake = ⌈12/5⌉ = 3 intervals after the last step.
    expect(t.bakeEndsAtMs).toBe(30 * M);
    expect(t.minTimeToPromotionMs).toBe(30 * M);
    // failing: one interval to fill the window + (0 + 1) intervals; broken: (0 + 1); silent: 0 + 1;
    // stopped: the series leave the window (1 interval), the next measurement is a gap, the one after fails: 3.
    expect(t.detection).toEqual({ failingMetricMs: 10 * M, brokenMetricsMs: 5 * M, silentClusterMs: 5 * M, stoppedReportingMs: 15 * M });
    expect(t.rollbackMs).toBe(0);
    expect(t.worstCaseToRollbackMs).toBe(15 * M);
    expect(t.notes).toEqual([FLIP, STAYS]);
  });

  it('without an analysis and a zero interval, the bake is just its duration; a bake of 0 ends with the last step', () => {
    const zero = buildTimeline({ ...withoutAnalysis({ steps: [50, 100], bake: '12m' }), interval: 0 }, [NEW, OLD]);
    expect(zero.steps.map((s) => s.endsAtMs)).toEqual([0, 0]);
    expect(zero.bakeEndsAtMs).toBe(12 * M);
    const noBake = buildTimeline(withoutAnalysis({ steps: [50, 100], interval: '5m' }), [NEW, OLD]);
    expect(noBake.bakeEndsAtMs).toBe(10 * M);
  });

  it('bounds a measurement by metrics × batches of 4 clusters × the provider timeout (a simulator has none)', () => {
    const five = [NEW, OLD, ...['a', 'b', 'c'].map((name) => ({ ...OLD, name }))];
    const metrics = [metric('a'), metric('b'), metric('c', { dryRun: true })];
    // 3 metrics (dry runs are measured too) × ⌈5/4⌉ = 2 batches × 10 s.
    expect(buildTimeline(trafficShiftSchema.parse({ steps: [100], analysis: { provider: prometheus, metrics } }), five).measurementMaxMs).toBe(60_000);
    expect(buildTimeline(trafficShiftSchema.parse({ steps: [100], analysis: { provider: prometheus, metrics } }), [NEW, OLD]).measurementMaxMs).toBe(30_000);
    expect(buildTimeline(trafficShiftSchema.parse({ steps: [100], analysis: { provider: simulator, metrics } }), five).measurementMaxMs).toBe(0);
  });

  it('detects a failing or broken metric after its window, the stage delays, limit+1 measurements and a tick of slack off-grid', () => {
    const config = (initialDelay: string) =>
      trafficShiftSchema.parse({
        steps: [50, 100],
        interval: '1m',
        staffStage: { duration: '2m' },
        analysis: {
          provider: prometheus,
          initialDelay: '1m',
          consecutiveErrorLimit: 1,
          metrics: [metric('m', { interval: '1m', initialDelay, failureLimit: 2, lookback: '4m' }), metric('dry', { dryRun: true, failureLimit: 50, consecutiveErrorLimit: 50 })],
        },
      });
    // measurement ≤ 2 metrics × 1 batch × 10 s = 20 s; tick 1 m.
    // initialDelay 30 s is off the 1 m grid: one tick of slack.
    // failing: max(4 m window, 2 m staff + 1 m delay) + 30 s + 3 × (60 + 20) s + 60 s = 570 s.
    // broken:  max(0, 3 m) + 30 s + 2 × 80 s + 60 s = 430 s.
    const off = buildTimeline(config('30s'), [NEW, OLD]);
    expect(off.measurementMaxMs).toBe(20_000);
    expect(off.detection.failingMetricMs).toBe(570_000);
    expect(off.detection.brokenMetricsMs).toBe(430_000);
    // silent (never reported): the step starts after the 2 m staff stage and measures every minute from its
    // 1 m initial delay; from sampleDeadline (30 m after the step's start) each measurement fails, and the third
    // (failureLimit 2) trips at 32 m: 2 + 32 m + 3 measurements × 20 s = 35 m. The worst case is the slowest.
    expect(off.detection.silentClusterMs).toBe(35 * M);
    expect(off.worstCaseToRollbackMs).toBe(35 * M);
    expect(off.stageNeeds).toEqual(['m: 1 pass every 1m after 30s']);
    // On the grid (1 m): no slack, 240 + 60 + 240 = 540 s and 180 + 60 + 160 = 400 s.
    const on = buildTimeline(config('1m'), [NEW, OLD]);
    expect(on.detection.failingMetricMs).toBe(540_000);
    expect(on.detection.brokenMetricsMs).toBe(400_000);
  });

  it('gives stopped reporting per metric: its lookback (else its interval) plus three of its own intervals', () => {
    // After the lookback the series are gone; the next measurement is at most one interval away (or one
    // interval into a new stage), it is a gap, the one after fails (failureLimit 0): a 5 + 3 × 1, b 2 + 3 × 2, c 1 + 3.
    const metrics = [metric('a', { lookback: '5m' }), metric('b', { interval: '2m' }), metric('c')];
    const t = buildTimeline(trafficShiftSchema.parse({ steps: [100], interval: '1m', analysis: { provider: simulator, metrics } }), [NEW, OLD]);
    expect(t.detection.stoppedReportingMs).toBe(8 * M);
    const noLookback = buildTimeline(trafficShiftSchema.parse({ steps: [100], interval: '1m', analysis: { provider: simulator, metrics: [metric('c')] } }), [NEW, OLD]);
    expect(noLookback.detection.stoppedReportingMs).toBe(4 * M);
    const slow = buildTimeline(trafficShiftSchema.parse({ steps: [100], interval: '1m', analysis: { provider: simulator, metrics: [metric('b', { interval: '2m' }), metric('c')] } }), [NEW, OLD]);
    expect(slow.detection.stoppedReportingMs).toBe(8 * M);
    // Off the 1 m tick grid (every 90 s): a tick of slack, 90 + 3 × 90 + 60 s = 7 m (c: 4 m). On it with an initialDelay
    // of 1 m: none, 1 + 1 + 3 × 1 = 5 m.
    const offGrid = buildTimeline(trafficShiftSchema.parse({ steps: [100], interval: '1m', analysis: { provider: simulator, metrics: [metric('b', { interval: '90s' }), metric('c')] } }), [NEW, OLD]);
    expect(offGrid.detection.stoppedReportingMs).toBe(7 * M);
    const delayed = buildTimeline(trafficShiftSchema.parse({ steps: [100], interval: '1m', analysis: { provider: simulator, metrics: [metric('d', { initialDelay: '1m' })] } }), [NEW, OLD]);
    expect(delayed.detection.stoppedReportingMs).toBe(5 * M);
  });

  it('adds a gradual rollback to the worst case and drops the one-flip note; notes the inconclusive pause under an analysis', () => {
    const t = buildTimeline(trafficShiftSchema.parse({ steps: [100], interval: '1m', analysis: { provider: simulator, metrics: [metric('a')], sampleDeadline: '10m' }, rollback: { mode: 'gradual', duration: '4m' } }), [NEW, OLD]);
    expect(t.rollbackMs).toBe(4 * M);
    // Silent is the slowest: the first measurement at sampleDeadline (10 m) fails and trips (limit 0); then 4 m of rollback.
    expect(t.worstCaseToRollbackMs).toBe(10 * M + 4 * M);
    expect(t.notes).toEqual([STAYS, PAUSE]);
  });

  it('lists per deciding metric the passes a stage needs, and the traffic it needs', () => {
    const metrics = [
      metric('slow', { interval: '2m', initialDelay: '90s', count: 2 }),
      metric('fast'),
      metric('starts', { threshold: { max: 0.05 }, minSamples: 20, samplesQuery: 'starts{c="{{cluster}}"}' }),
      metric('points', { threshold: undefined, comparison: { method: 'mann-whitney' }, minSamples: 5 }),
      metric('dry', { dryRun: true, minSamples: 9, samplesQuery: 'starts{c="{{cluster}}"}' }),
    ];
    const t = buildTimeline(trafficShiftSchema.parse({ steps: [100], interval: '1m', analysis: { provider: simulator, metrics } }), [NEW, OLD]);
    expect(t.stageNeeds).toEqual(['slow: 2 passes every 2m after 1m30s', 'fast: 1 pass every 1m', 'starts: 1 pass every 1m', 'points: 1 pass every 1m']);
    expect(t.notes).toContain(
      'the earliest times assume enough traffic: a stage passes only once starts ≥ 20 starts per cluster, points ≥ 5 points per cluster in the stage; with less traffic it measures on until they arrive',
    );
  });

  it('notes the starts a sequential test needs to pass without a failure, or minSamples when that is more', () => {
    // SPRT of healthy 0.01 against max 0.1 (α 0.01, β 0.05 by default): each start without a failure adds
    // ln(0.9/0.99) ≈ −0.09531 to the log likelihood ratio; it passes at ln 0.05 ≈ −2.9957: ⌈31.43⌉ = 32 starts.
    const seq = (minSamples: number) => metric('seq', { threshold: { max: 0.1, sequential: { healthy: 0.01 } }, minSamples, samplesQuery: 'starts{c="{{cluster}}"}' });
    // A comparison metric (no threshold) counts minSamples only.
    const compared = metric('cmp', { threshold: undefined, comparison: { method: 'mann-whitney' }, minSamples: 7 });
    const notes = (m: Record<string, unknown>) => buildTimeline(trafficShiftSchema.parse({ steps: [100], interval: '1m', analysis: { provider: simulator, metrics: [m, compared] } }), [NEW, OLD]).notes;
    const traffic = (needs: string) => `the earliest times assume enough traffic: a stage passes only once ${needs}, cmp ≥ 7 points per cluster in the stage; with less traffic it measures on until they arrive`;
    expect(notes(seq(10))).toContain(traffic('seq ≥ 32 starts per cluster (sequential test, without a failure)'));
    expect(notes(seq(50))).toContain(traffic('seq ≥ 50 starts per cluster (sequential test, without a failure)'));
    // Without minSamples the sequential test alone puts the metric in the note.
    expect(notes(seq(0))).toContain(traffic('seq ≥ 32 starts per cluster (sequential test, without a failure)'));
  });

  it('allows a tick of slack for a metric whose interval is off the tick grid, and none for one on it', () => {
    // Ticks every minute (the shortest interval); the other metric measures every 90 s (off the grid) or 2 m (on it).
    // Simulator (no timeout), failureLimit 0, consecutiveErrorLimit 1, no delays:
    //   failing: its window (one interval) + 1 interval + slack: 90 + 90 + 60 = 240 s; on the grid 120 + 120 = 240 s;
    //   broken: 2 intervals + slack: 180 + 60 = 240 s; on the grid 2 × 120 = 240 s. (The 1 m metric: 120 s, 120 s.)
    const timeline = (other: string) => buildTimeline(trafficShiftSchema.parse({ steps: [100], interval: '1m', analysis: { provider: simulator, consecutiveErrorLimit: 1, metrics: [metric('fast'), metric('other', { interval: other })] } }), [NEW, OLD]);
    const off = timeline('90s');
    expect(off.tickMs).toBe(M);
    expect([off.detection.failingMetricMs, off.detection.brokenMetricsMs]).toEqual([240_000, 240_000]);
    const on = timeline('2m');
    expect([on.detection.failingMetricMs, on.detection.brokenMetricsMs]).toEqual([240_000, 240_000]);
    // 75 s: 75 + 75 + 60 = 210 s and 150 + 60 = 210 s, where no slack would give 150 s.
    const off75 = timeline('75s');
    expect([off75.detection.failingMetricMs, off75.detection.brokenMetricsMs]).toEqual([210_000, 210_000]);
  });

  it('notes a step whose share misses the request by half a point or more (max_score), and not one that misses by less', () => {
    // New capped at 1, old at 7: 1/(1+7) = 12.5 % is the closest to 12 % (1/(1+6) = 14.3 %): off by exactly 0.5.
    const capped = { ...NEW, maxScore: 1 };
    const t = buildTimeline(withoutAnalysis({ steps: [12, 100], interval: '1m' }), [capped, { ...OLD, score: 7, maxScore: 7 }]);
    expect(t.notes).toEqual([FLIP, STAYS, 'step 1 in europe-west1: 12 % requested, scores give 12.5 % (max_score limits)']);
    // Old at 8: 1/9 = 11.11 % for 11 %: off by 0.11, no note.
    const close = buildTimeline(withoutAnalysis({ steps: [11, 100], interval: '1m' }), [capped, { ...OLD, score: 8, maxScore: 8 }]);
    expect(close.notes).toEqual([FLIP, STAYS]);
  });
});
