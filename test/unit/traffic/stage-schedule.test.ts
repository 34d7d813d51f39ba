/**
 * The stage schedule's rules (src/traffic/stage-schedule.ts, docs/canary-analysis.md), each with values
 * worked by hand from the rules in that file's header. The controller and `plan` both follow these; the
 * end-to-end agreement is checked in timeline-vs-controller.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { earliestPassingTick, earliestStageMs, metricInterval, metricSlots, passesNeeded, stageDelay, tickInterval, type ScheduledMetric } from '../../../src/traffic/stage-schedule.js';

const S = 1_000;
const metric = (m: Partial<ScheduledMetric>): ScheduledMetric => ({ name: 'm', dryRun: false, ...m });

describe('stage schedule', () => {
  it("uses a metric's own interval, else trafficShift.interval", () => {
    expect(metricInterval(metric({ interval: 30 * S }), 60 * S)).toBe(30 * S);
    expect(metricInterval(metric({}), 60 * S)).toBe(60 * S);
  });

  it('ticks at the shortest metric interval, dry runs included; without metrics at trafficShift.interval', () => {
    expect(tickInterval([], 60 * S)).toBe(60 * S);
    expect(tickInterval([metric({ interval: 90 * S }), metric({})], 60 * S)).toBe(60 * S);
    expect(tickInterval([metric({ interval: 30 * S }), metric({})], 60 * S)).toBe(30 * S);
    expect(tickInterval([metric({ interval: 15 * S, dryRun: true }), metric({})], 60 * S)).toBe(15 * S);
  });

  it("applies the analysis initialDelay to the first step and a watch only", () => {
    expect(stageDelay({ phase: 'steps', stepIndex: 0 }, 90 * S)).toBe(90 * S);
    expect(stageDelay({ phase: 'steps', stepIndex: 1 }, 90 * S)).toBe(0);
    expect(stageDelay({ phase: 'watch', stepIndex: 2 }, 90 * S)).toBe(90 * S);
    expect(stageDelay({ phase: 'bake', stepIndex: 0 }, 90 * S)).toBe(0);
    expect(stageDelay({ phase: 'staff', stepIndex: 0 }, 90 * S)).toBe(0);
  });

  it("counts a metric's slots as floor((t − its initialDelay) / its interval)", () => {
    const m = metric({ interval: 60 * S, initialDelay: 30 * S });
    expect(metricSlots(m, 29 * S, 10 * S)).toBe(-1);
    expect(metricSlots(m, 30 * S, 10 * S)).toBe(0);
    expect(metricSlots(m, 89 * S, 10 * S)).toBe(0);
    expect(metricSlots(m, 90 * S, 10 * S)).toBe(1);
    expect(metricSlots(m, 150 * S, 10 * S)).toBe(2);
    expect(metricSlots(metric({}), 119 * S, 60 * S)).toBe(1);
  });

  it('needs `count` passes per stage, 1 by default', () => {
    expect(passesNeeded(metric({}))).toBe(1);
    expect(passesNeeded(metric({ count: 3 }))).toBe(3);
  });

  it('passes a stage at the first tick where every deciding metric has its passes (dry runs do not hold it)', () => {
    // tick = 30 s; slow needs 90 s + 2·60 s = 210 s = tick 7; fast needs 30 s = tick 1; the dry run (10·30 s) does not count.
    const metrics = [metric({ name: 'slow', interval: 60 * S, initialDelay: 90 * S, count: 2 }), metric({ name: 'fast', interval: 30 * S }), metric({ name: 'dry', interval: 30 * S, count: 10, dryRun: true })];
    expect(earliestPassingTick(metrics, 60 * S)).toBe(7);
    // Not a multiple of the tick: 45 s + 60 s = 105 s → tick ⌈105/30⌉ = 4.
    expect(earliestPassingTick([metric({ interval: 60 * S, initialDelay: 45 * S }), metric({ interval: 30 * S })], 60 * S)).toBe(4);
    expect(earliestPassingTick([metric({ dryRun: true })], 60 * S)).toBe(1);
    expect(earliestPassingTick([], 0)).toBe(1);
    // A zero metric interval (no cadence): the stage is judged once, never at tick 0/0.
    expect(earliestPassingTick([metric({ interval: 0 })], 60 * S)).toBe(1);
    expect(earliestPassingTick([metric({ interval: 0, initialDelay: 30 * S, count: 2 })], 60 * S)).toBe(1);
  });

  it('ends a stage at delay + k·tick, and a bake not before its minimum', () => {
    const metrics = [metric({ name: 'slow', interval: 60 * S, initialDelay: 90 * S, count: 2 }), metric({ name: 'fast', interval: 30 * S })];
    expect(earliestStageMs(metrics, 60 * S, 120 * S)).toBe(120 * S + 7 * 30 * S);
    // Bake of 10 m after a 2 m delay: ⌈(600 − 120) / 30⌉ = 16 ticks > 7.
    expect(earliestStageMs(metrics, 60 * S, 120 * S, 600 * S)).toBe(600 * S);
    // Bake of 11 m 10 s: ⌈(670 − 120) / 30⌉ = 19 ticks → 120 + 570 = 690 s, the first tick at or after it.
    expect(earliestStageMs(metrics, 60 * S, 120 * S, 670 * S)).toBe(690 * S);
    // A short bake ends with the passes.
    expect(earliestStageMs(metrics, 60 * S, 0, 60 * S)).toBe(7 * 30 * S);
    // No cadence at all: just the delay.
    expect(earliestStageMs([], 0, 5 * S, 10 * S)).toBe(5 * S);
    expect(earliestStageMs([], 0, 5 * S)).toBe(5 * S);
  });
});
