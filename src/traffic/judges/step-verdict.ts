/**
 * Turns one measurement (the decisions of all metrics) plus the running counters
 * into the step verdict. Argo Rollouts semantics for the limits: a limit of N
 * tolerates N failed / inconclusive measurements, the N+1st trips it; consecutive
 * errors reset on any measurement without an error.
 *
 * Verdicts: `pass` (advance), `wait` (measure again), `fail` (roll back: the new
 * clusters are worse), `halt` (roll back and stop: we cannot see), and
 * `inconclusive-pause` (hold the current step until a human resumes, promotes or aborts).
 */
import type { MetricDecision, MetricOutcome } from './decision.js';

export type StepVerdict = 'pass' | 'wait' | 'fail' | 'halt' | 'inconclusive-pause';

export interface VerdictLimits {
  failureLimit: number;
  consecutiveErrorLimit: number;
  inconclusiveLimit: number;
}

/** Running counts over the whole analysis (journaled so a resumed shift keeps them). */
export interface AnalysisCounters {
  measurements: number;
  failures: number;
  errors: number;
  consecutiveErrors: number;
  inconclusive: number;
}

export const ZERO_COUNTERS: AnalysisCounters = Object.freeze({ measurements: 0, failures: 0, errors: 0, consecutiveErrors: 0, inconclusive: 0 });

export interface VerdictResult {
  verdict: StepVerdict;
  /** The measurement's combined outcome over deciding (non-dry-run) metrics. */
  outcome: MetricOutcome;
  counters: AnalysisCounters;
  rule: string;
  message: string;
}

/** Worst first: one failing metric fails the measurement even if another errored. */
const SEVERITY: MetricOutcome[] = ['fail', 'error', 'inconclusive', 'wait', 'pass'];

/** Combines deciding metrics; dry-run metrics never count. */
export function measurementOutcome(decisions: readonly MetricDecision[]): MetricOutcome {
  const deciding = decisions.filter((d) => !d.dryRun);
  for (const outcome of SEVERITY) if (deciding.some((d) => d.outcome === outcome)) return outcome;
  return 'pass';
}

/** Applies one measurement to the counters and decides. Pure. */
export function decideStep(decisions: readonly MetricDecision[], counters: AnalysisCounters, limits: VerdictLimits): VerdictResult {
  const outcome = measurementOutcome(decisions);
  const next: AnalysisCounters = {
    measurements: counters.measurements + 1,
    failures: counters.failures + (outcome === 'fail' ? 1 : 0),
    errors: counters.errors + (outcome === 'error' ? 1 : 0),
    consecutiveErrors: outcome === 'error' ? counters.consecutiveErrors + 1 : 0,
    inconclusive: counters.inconclusive + (outcome === 'inconclusive' ? 1 : 0),
  };
  const worst = decisions.find((d) => !d.dryRun && d.outcome === outcome);
  const cause = worst ? worst.message : 'all metrics passed';

  if (next.failures > limits.failureLimit) {
    return { verdict: 'fail', outcome, counters: next, rule: 'limit.failures', message: `failed measurements ${next.failures} > failureLimit ${limits.failureLimit}: ${cause}` };
  }
  if (next.consecutiveErrors > limits.consecutiveErrorLimit) {
    return {
      verdict: 'halt',
      outcome,
      counters: next,
      rule: 'limit.consecutive-errors',
      message: `metrics unavailable for ${next.consecutiveErrors} measurements in a row (> consecutiveErrorLimit ${limits.consecutiveErrorLimit}): ${cause}`,
    };
  }
  if (next.inconclusive > limits.inconclusiveLimit) {
    return {
      verdict: 'inconclusive-pause',
      outcome,
      counters: next,
      rule: 'limit.inconclusive',
      message: `inconclusive measurements ${next.inconclusive} > inconclusiveLimit ${limits.inconclusiveLimit}; pausing for a human: ${cause}`,
    };
  }
  if (outcome === 'pass') return { verdict: 'pass', outcome, counters: next, rule: 'measurement.pass', message: 'all deciding metrics passed' };
  const tolerated =
    outcome === 'fail'
      ? ` (failure ${next.failures} of ${limits.failureLimit} tolerated)`
      : outcome === 'error'
        ? ` (error ${next.consecutiveErrors} of ${limits.consecutiveErrorLimit} tolerated)`
        : outcome === 'inconclusive'
          ? ` (inconclusive ${next.inconclusive} of ${limits.inconclusiveLimit} tolerated)`
          : '';
  return { verdict: 'wait', outcome, counters: next, rule: `measurement.${outcome}`, message: `measuring again${tolerated}: ${cause}` };
}
