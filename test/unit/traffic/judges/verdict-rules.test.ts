/**
 * The step verdict's bookkeeping, stated as rules with hand-counted expectations:
 * per-metric counters, per-metric limits over the analysis-wide ones, the `count`
 * passes a stage needs, the "tolerated" wording of a wait, and the short brief of a
 * failing measurement. Also `fmt`, the number format every message uses.
 */
import { describe, expect, it } from 'vitest';
import { briefVerdict, firedMetrics } from '../../../../src/traffic/judges/decision-brief.js';
import { fmt, type ClusterEvidence, type MetricDecision, type MetricOutcome } from '../../../../src/traffic/judges/decision.js';
import { decideStep, newStage, ZERO_COUNTERS, type AnalysisCounters } from '../../../../src/traffic/judges/step-verdict.js';

function decision(metric: string, outcome: MetricOutcome, extra: Partial<MetricDecision> = {}): MetricDecision {
  return { metric, dryRun: false, outcome, rule: `r.${outcome}`, message: `${metric} ${outcome}`, queries: [], warnings: [], ...extra };
}

const limits = { failureLimit: 1, consecutiveErrorLimit: 1, inconclusiveLimit: 1 };

describe('step verdict counters', () => {
  it('counts each outcome once per metric and in the totals; an error streak resets on any other outcome', () => {
    const a = decideStep([decision('x', 'pass'), decision('y', 'error')], ZERO_COUNTERS, limits);
    expect(a.counters).toEqual({
      measurements: 1,
      failures: 0,
      errors: 1,
      consecutiveErrors: 1,
      inconclusive: 0,
      metrics: {
        x: { measurements: 1, passes: 1, failures: 0, inconclusive: 0, consecutiveErrors: 0, last: 'pass' },
        y: { measurements: 1, passes: 0, failures: 0, inconclusive: 0, consecutiveErrors: 1, last: 'error' },
      },
    });
    const b = decideStep([decision('x', 'inconclusive'), decision('y', 'wait')], a.counters, limits);
    expect(b.counters).toEqual({
      measurements: 2,
      failures: 0,
      errors: 1,
      consecutiveErrors: 0,
      inconclusive: 1,
      metrics: {
        x: { measurements: 2, passes: 1, failures: 0, inconclusive: 1, consecutiveErrors: 0, last: 'inconclusive' },
        y: { measurements: 2, passes: 0, failures: 0, inconclusive: 0, consecutiveErrors: 0, last: 'wait' },
      },
    });
    const c = decideStep([decision('x', 'fail')], b.counters, limits);
    expect(c.counters).toMatchObject({ measurements: 3, failures: 1, errors: 1, inconclusive: 1 });
    expect(c.counters.metrics?.x).toEqual({ measurements: 3, passes: 1, failures: 1, inconclusive: 1, consecutiveErrors: 0, last: 'fail' });
  });

  it('keeps the totals and clears the per-metric counts and the error streak when a stage begins', () => {
    const before: AnalysisCounters = { measurements: 5, failures: 2, errors: 3, consecutiveErrors: 2, inconclusive: 1, metrics: { x: { measurements: 5, passes: 0, failures: 2, inconclusive: 1, consecutiveErrors: 2 } } };
    expect(newStage(before)).toEqual({ measurements: 5, failures: 2, errors: 3, consecutiveErrors: 0, inconclusive: 1, metrics: {} });
  });

  it('ignores dry-run metrics in the per-metric counters', () => {
    const r = decideStep([decision('x', 'pass'), decision('d', 'fail', { dryRun: true })], ZERO_COUNTERS, limits);
    expect(Object.keys(r.counters.metrics ?? {})).toEqual(['x']);
  });
});

describe('step verdict limits', () => {
  it("uses a metric's own limit over the analysis-wide one, for failures, errors and inconclusive results", () => {
    // Analysis-wide limits tolerate one; the metric's own limit of 0 trips on the first.
    expect(decideStep([decision('x', 'fail')], ZERO_COUNTERS, limits, { x: { failureLimit: 0 } })).toMatchObject({ verdict: 'fail', rule: 'limit.failures', limit: 'failed measurements 1 > failureLimit 0' });
    expect(decideStep([decision('x', 'error')], ZERO_COUNTERS, limits, { x: { consecutiveErrorLimit: 0 } })).toMatchObject({
      verdict: 'halt',
      rule: 'limit.consecutive-errors',
      limit: 'metrics unavailable for 1 measurements in a row (> consecutiveErrorLimit 0)',
      message: 'metrics unavailable for 1 measurements in a row (> consecutiveErrorLimit 0): x error',
    });
    expect(decideStep([decision('x', 'inconclusive')], ZERO_COUNTERS, limits, { x: { inconclusiveLimit: 0 } })).toMatchObject({
      verdict: 'inconclusive-pause',
      rule: 'limit.inconclusive',
      limit: 'inconclusive measurements 1 > inconclusiveLimit 0',
      message: 'inconclusive measurements 1 > inconclusiveLimit 0; pausing for a human: x inconclusive',
    });
    // Without its own limit the metric falls back to the analysis-wide one (1 tolerated).
    expect(decideStep([decision('x', 'fail')], ZERO_COUNTERS, limits, { x: {} }).verdict).toBe('wait');
    expect(decideStep([decision('x', 'error')], ZERO_COUNTERS, limits, { x: {} }).verdict).toBe('wait');
    expect(decideStep([decision('x', 'inconclusive')], ZERO_COUNTERS, limits, { x: {} }).verdict).toBe('wait');
  });

  it('trips at limit + 1, not at the limit', () => {
    let counters = ZERO_COUNTERS;
    const verdicts: string[] = [];
    for (const o of ['inconclusive', 'inconclusive'] as const) {
      const r = decideStep([decision('x', o)], counters, { ...limits, inconclusiveLimit: 1 });
      verdicts.push(r.verdict);
      counters = r.counters;
    }
    expect(verdicts).toEqual(['wait', 'inconclusive-pause']);
  });

  it('says how many of the limit are tolerated while it waits', () => {
    expect(decideStep([decision('x', 'fail')], ZERO_COUNTERS, { ...limits, failureLimit: 3 })).toMatchObject({ verdict: 'wait', rule: 'measurement.fail', message: 'measuring again (failure 1 of 3 tolerated): x fail' });
    expect(decideStep([decision('x', 'error')], ZERO_COUNTERS, { ...limits, consecutiveErrorLimit: 4 })).toMatchObject({ verdict: 'wait', rule: 'measurement.error', message: 'measuring again (error 1 of 4 tolerated): x error' });
    expect(decideStep([decision('x', 'inconclusive')], ZERO_COUNTERS, { ...limits, inconclusiveLimit: 2 })).toMatchObject({ verdict: 'wait', rule: 'measurement.inconclusive', message: 'measuring again (inconclusive 1 of 2 tolerated): x inconclusive' });
    const w = decideStep([decision('x', 'wait')], ZERO_COUNTERS, limits);
    expect(w).toEqual({ verdict: 'wait', outcome: 'wait', counters: w.counters, rule: 'measurement.wait', message: 'measuring again: x wait' });
    expect('limit' in w).toBe(false);
  });

  it('names the metric that decided the wait: the first one with the worst outcome', () => {
    const r = decideStep([decision('a', 'wait'), decision('b', 'inconclusive'), decision('c', 'inconclusive')], ZERO_COUNTERS, { ...limits, inconclusiveLimit: 5 });
    expect(r.message).toBe('measuring again (inconclusive 1 of 5 tolerated): b inconclusive');
  });
});

describe('passes a stage needs', () => {
  it('waits until every required metric has `count` passes and its latest measurement passed, listing the tally', () => {
    const per = { x: { count: 2 }, y: {} };
    const one = decideStep([decision('x', 'pass'), decision('y', 'pass')], ZERO_COUNTERS, limits, per);
    expect(one).toMatchObject({ verdict: 'wait', rule: 'measurement.count', message: 'measuring again: passing measurements so far in this stage: x 1/2' });
    const two = decideStep([decision('x', 'pass')], one.counters, limits, per);
    expect(two).toMatchObject({ verdict: 'pass', rule: 'measurement.pass', message: 'all deciding metrics passed' });
    expect('limit' in two).toBe(false);
  });

  it('lists every metric still short of its passes, in config order, separated by commas', () => {
    const r = decideStep([decision('x', 'pass'), decision('y', 'pass')], ZERO_COUNTERS, limits, { x: { count: 2 }, y: { count: 3 }, z: {} });
    expect(r.message).toBe('measuring again: passing measurements so far in this stage: x 1/2, y 1/3, z 0/1');
  });

  it('lists a required metric that was not measured at all as 0 of its count', () => {
    const r = decideStep([decision('x', 'pass')], ZERO_COUNTERS, limits, { x: {}, y: { count: 3 } });
    expect(r.message).toBe('measuring again: passing measurements so far in this stage: y 0/3');
  });

  it('does not pass on enough passes when the latest measurement of that metric was not a pass', () => {
    // y passed once earlier in the stage, but its latest measurement failed (tolerated); x passes now.
    const counters: AnalysisCounters = { ...ZERO_COUNTERS, measurements: 2, metrics: { y: { measurements: 2, passes: 1, failures: 1, inconclusive: 0, consecutiveErrors: 0, last: 'fail' } } };
    const r = decideStep([decision('x', 'pass')], counters, limits, { x: {}, y: {} });
    expect(r).toMatchObject({ verdict: 'wait', rule: 'measurement.count', message: 'measuring again: passing measurements so far in this stage: y 1/1' });
  });

  it('without per-metric limits requires the metrics of this measurement only', () => {
    expect(decideStep([decision('x', 'pass')], ZERO_COUNTERS, limits).verdict).toBe('pass');
  });
});

describe('the brief of a failing measurement', () => {
  const cluster = (name: string, outcome: MetricOutcome) => ({ cluster: name, outcome, rule: 'r', message: 'm', query: 'q', points: 0 }) as ClusterEvidence;

  it('names each fired metric with the clusters that had its outcome and the rule; dry-run and passing metrics are left out', () => {
    const decisions = [
      decision('ratio', 'fail', { rule: 'threshold.max', clusters: [cluster('c1', 'fail'), cluster('c2', 'pass'), cluster('c3', 'fail')] }),
      decision('latency', 'error', { rule: 'query-error', clusters: [cluster('c1', 'error')] }),
      decision('dry', 'fail', { dryRun: true, rule: 'threshold.max' }),
      decision('fine', 'pass', { rule: 'threshold.within' }),
      decision('slow', 'inconclusive', { rule: 'x' }),
    ];
    expect(firedMetrics(decisions)).toBe('ratio failed on c1, c3 (rule threshold.max); latency could not be measured on c1 (rule query-error)');
  });

  it('leaves out "on" when no cluster carries the outcome (or there is no cluster evidence)', () => {
    expect(firedMetrics([decision('m', 'error', { rule: 'no-data.both-sides' })])).toBe('m could not be measured (rule no-data.both-sides)');
    expect(firedMetrics([decision('m', 'fail', { rule: 'r1', clusters: [cluster('c', 'pass')] })])).toBe('m failed (rule r1)');
  });

  it('joins the fired metrics and the limit, or says that nothing deciding was recorded', () => {
    expect(briefVerdict({ verdict: 'fail', limit: 'failed measurements 1 > failureLimit 0', decisions: [decision('m', 'fail', { rule: 'r' })] })).toBe('fail: m failed (rule r); failed measurements 1 > failureLimit 0');
    expect(briefVerdict({ verdict: 'halt', limit: 'L', decisions: [] })).toBe('halt: L');
    expect(briefVerdict({ verdict: 'fail', decisions: [decision('m', 'fail', { rule: 'r' })] })).toBe('fail: m failed (rule r)');
    expect(briefVerdict({ verdict: 'wait', decisions: [decision('m', 'pass')] })).toBe('wait: no deciding metric recorded');
  });
});

describe('fmt', () => {
  it('prints integers whole, others with 4 significant digits, and says "none" for a missing value', () => {
    expect(fmt(undefined)).toBe('none');
    expect(fmt(Number.POSITIVE_INFINITY)).toBe('Infinity');
    expect(fmt(Number.NaN)).toBe('NaN');
    expect(fmt(123456)).toBe('123456');
    expect(fmt(0.123456)).toBe('0.1235');
    expect(fmt(1234.5678)).toBe('1235');
    expect(fmt(0.00001234567)).toBe('0.00001235');
    expect(fmt(-2.5)).toBe('-2.5');
  });
});
