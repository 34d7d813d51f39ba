import { describe, expect, it } from 'vitest';
import type { MetricDecision, MetricOutcome } from '../../../src/traffic/judges/decision.js';
import { decideStep, measurementOutcome, ZERO_COUNTERS, type AnalysisCounters } from '../../../src/traffic/judges/step-verdict.js';

function decision(outcome: MetricOutcome, dryRun = false, metric = 'm'): MetricDecision {
  return { metric, dryRun, outcome, rule: `r.${outcome}`, message: `${metric} ${outcome}`, queries: [], warnings: [] };
}

const limits = { failureLimit: 1, consecutiveErrorLimit: 2, inconclusiveLimit: 0 };

/** Feeds a sequence of single-metric outcomes and returns the verdicts. */
function run(outcomes: MetricOutcome[], l = limits): string[] {
  let counters: AnalysisCounters = ZERO_COUNTERS;
  return outcomes.map((o) => {
    const r = decideStep([decision(o)], counters, l);
    counters = r.counters;
    return r.verdict;
  });
}

describe('step verdict', () => {
  it('combines metrics worst-first and ignores dry-run metrics', () => {
    expect(measurementOutcome([decision('pass'), decision('wait')])).toBe('wait');
    expect(measurementOutcome([decision('error'), decision('fail')])).toBe('fail');
    expect(measurementOutcome([decision('pass'), decision('fail', true)])).toBe('pass');
    expect(measurementOutcome([])).toBe('pass');
  });

  it('tolerates failureLimit failures and fails on the next', () => {
    expect(run(['fail', 'pass', 'fail'])).toEqual(['wait', 'pass', 'fail']);
    expect(run(['fail'], { ...limits, failureLimit: 0 })).toEqual(['fail']);
  });

  it('halts after more than consecutiveErrorLimit errors in a row; a good measurement resets the streak', () => {
    expect(run(['error', 'error', 'pass', 'error', 'error', 'error'])).toEqual(['wait', 'wait', 'pass', 'wait', 'wait', 'halt']);
    expect(run(['error', 'wait', 'error', 'error'])).toEqual(['wait', 'wait', 'wait', 'wait']);
  });

  it('pauses for a human on inconclusive results beyond the limit', () => {
    expect(run(['inconclusive'])).toEqual(['inconclusive-pause']);
    expect(run(['inconclusive', 'inconclusive'], { ...limits, inconclusiveLimit: 1 })).toEqual(['wait', 'inconclusive-pause']);
  });

  it('waits on wait, says why, and counts measurements', () => {
    const r = decideStep([decision('wait', false, 'starts')], ZERO_COUNTERS, limits);
    expect(r).toMatchObject({ verdict: 'wait', rule: 'measurement.wait', message: 'measuring again: starts wait', counters: { measurements: 1 } });
    const f = decideStep([decision('fail', false, 'rate')], ZERO_COUNTERS, { ...limits, failureLimit: 0 });
    expect(f.message).toBe('failed measurements 1 > failureLimit 0: rate fail');
  });

  it('lets a dry-run failure never decide', () => {
    expect(decideStep([decision('fail', true), decision('pass')], ZERO_COUNTERS, { ...limits, failureLimit: 0 }).verdict).toBe('pass');
  });
});
