/**
 * Turns one measurement (the decisions of the metrics measured now) plus the
 * running counters into the step verdict, with Argo Rollouts semantics PER METRIC:
 * a limit of N tolerates N failed / inconclusive measurements of that metric, the
 * N+1st trips it; "consecutive errors" counts that metric's errors in a row and
 * resets on its next measurement without an error. The controller resets the
 * per-metric counters when a stage begins (each step, the bake), so failures of
 * different stages never add up.
 *
 * A step passes when every deciding metric has had `count` passing measurements in
 * the stage and its latest one passed.
 *
 * Verdicts: `pass` (advance), `wait` (measure again), `fail` (roll back: the new
 * clusters are worse), `halt` (roll back and stop: we cannot see), and
 * `inconclusive-pause` (hold the current step until a human resumes, promotes or aborts).
 */
import type { MetricDecision, MetricOutcome } from './decision.js';

type StepVerdict = 'pass' | 'wait' | 'fail' | 'halt' | 'inconclusive-pause';

interface VerdictLimits {
  failureLimit: number;
  consecutiveErrorLimit: number;
  inconclusiveLimit: number;
}

/** Per-metric limits (each defaults to the analysis-wide one) and the passes a stage needs. */
export interface MetricLimits extends Partial<VerdictLimits> {
  count?: number;
}

/** One metric's counts within the current stage. */
interface MetricCounters {
  measurements: number;
  passes: number;
  failures: number;
  inconclusive: number;
  consecutiveErrors: number;
  last?: MetricOutcome;
}

/** Running counts (journaled so a resumed shift keeps them). Totals over the analysis, per metric over the stage. */
export interface AnalysisCounters {
  measurements: number;
  failures: number;
  errors: number;
  consecutiveErrors: number;
  inconclusive: number;
  /** Per metric, reset when a stage begins. */
  metrics?: Record<string, MetricCounters>;
}

export const ZERO_COUNTERS: AnalysisCounters = Object.freeze({ measurements: 0, failures: 0, errors: 0, consecutiveErrors: 0, inconclusive: 0 });

const ZERO_METRIC: MetricCounters = { measurements: 0, passes: 0, failures: 0, inconclusive: 0, consecutiveErrors: 0 };

export interface VerdictResult {
  verdict: StepVerdict;
  /** The measurement's combined outcome over deciding (non-dry-run) metrics. */
  outcome: MetricOutcome;
  counters: AnalysisCounters;
  rule: string;
  message: string;
  /** fail, halt and inconclusive-pause: the limit that tripped, without the metric's evidence (`failed measurements 1 > failureLimit 0`). */
  limit?: string;
}

/** Worst first: one failing metric fails the measurement even if another errored. */
const SEVERITY: MetricOutcome[] = ['fail', 'error', 'inconclusive', 'wait', 'pass'];

/** Combines deciding metrics; dry-run metrics never count. */
export function measurementOutcome(decisions: readonly MetricDecision[]): MetricOutcome {
  const deciding = decisions.filter((d) => !d.dryRun);
  for (const outcome of SEVERITY) if (deciding.some((d) => d.outcome === outcome)) return outcome;
  return 'pass';
}

/** Counters for a new stage: totals kept, per-metric counts cleared. */
export function newStage(counters: AnalysisCounters): AnalysisCounters {
  return { ...counters, consecutiveErrors: 0, metrics: {} };
}

/**
 * Applies one measurement to the counters and decides. Pure. `perMetric` holds the limits of
 * every deciding metric (keys = metrics that must pass before the step advances); without it,
 * the metrics in `decisions` are the ones required.
 */
export function decideStep(decisions: readonly MetricDecision[], counters: AnalysisCounters, limits: VerdictLimits, perMetric: Record<string, MetricLimits> = {}): VerdictResult {
  const outcome = measurementOutcome(decisions);
  const deciding = decisions.filter((d) => !d.dryRun);
  const metrics: Record<string, MetricCounters> = { ...(counters.metrics ?? {}) };
  for (const d of deciding) {
    const c = metrics[d.metric] ?? ZERO_METRIC;
    metrics[d.metric] = {
      measurements: c.measurements + 1,
      passes: c.passes + (d.outcome === 'pass' ? 1 : 0),
      failures: c.failures + (d.outcome === 'fail' ? 1 : 0),
      inconclusive: c.inconclusive + (d.outcome === 'inconclusive' ? 1 : 0),
      consecutiveErrors: d.outcome === 'error' ? c.consecutiveErrors + 1 : 0,
      last: d.outcome,
    };
  }
  const next: AnalysisCounters = {
    measurements: counters.measurements + 1,
    failures: counters.failures + (outcome === 'fail' ? 1 : 0),
    errors: counters.errors + (outcome === 'error' ? 1 : 0),
    consecutiveErrors: outcome === 'error' ? counters.consecutiveErrors + 1 : 0,
    inconclusive: counters.inconclusive + (outcome === 'inconclusive' ? 1 : 0),
    metrics,
  };
  const limit = (name: string, key: keyof VerdictLimits) => perMetric[name]?.[key] ?? limits[key];
  const result = (verdict: StepVerdict, rule: string, message: string, limit?: string): VerdictResult => ({ verdict, outcome, counters: next, rule, message, ...(limit ? { limit } : {}) });
  const tripped = (verdict: StepVerdict, rule: string, limitText: string, d: MetricDecision) => result(verdict, rule, `${limitText}: ${d.message}`, limitText);

  for (const d of deciding.filter((x) => x.outcome === 'fail')) {
    const c = metrics[d.metric] as MetricCounters;
    if (c.failures > limit(d.metric, 'failureLimit')) return tripped('fail', 'limit.failures', `failed measurements ${c.failures} > failureLimit ${limit(d.metric, 'failureLimit')}`, d);
  }
  for (const d of deciding.filter((x) => x.outcome === 'error')) {
    const c = metrics[d.metric] as MetricCounters;
    const max = limit(d.metric, 'consecutiveErrorLimit');
    if (c.consecutiveErrors > max) return tripped('halt', 'limit.consecutive-errors', `metrics unavailable for ${c.consecutiveErrors} measurements in a row (> consecutiveErrorLimit ${max})`, d);
  }
  for (const d of deciding.filter((x) => x.outcome === 'inconclusive')) {
    const c = metrics[d.metric] as MetricCounters;
    const max = limit(d.metric, 'inconclusiveLimit');
    if (c.inconclusive > max) return result('inconclusive-pause', 'limit.inconclusive', `inconclusive measurements ${c.inconclusive} > inconclusiveLimit ${max}; pausing for a human: ${d.message}`, `inconclusive measurements ${c.inconclusive} > inconclusiveLimit ${max}`);
  }
  const required = Object.keys(perMetric).length > 0 ? Object.keys(perMetric) : deciding.map((d) => d.metric);
  const missing = required.filter((name) => {
    const c = metrics[name];
    return !c || c.last !== 'pass' || c.passes < (perMetric[name]?.count ?? 1);
  });
  if (outcome === 'pass' && missing.length === 0) return result('pass', 'measurement.pass', 'all deciding metrics passed');
  const worst = deciding.find((d) => d.outcome === outcome && outcome !== 'pass');
  if (!worst) {
    const need = missing.map((name) => `${name} ${metrics[name]?.passes ?? 0}/${perMetric[name]?.count ?? 1}`).join(', ');
    return result('wait', 'measurement.count', `measuring again: passing measurements so far in this stage: ${need}`);
  }
  const c = metrics[worst.metric] as MetricCounters;
  const tolerated =
    outcome === 'fail'
      ? ` (failure ${c.failures} of ${limit(worst.metric, 'failureLimit')} tolerated)`
      : outcome === 'error'
        ? ` (error ${c.consecutiveErrors} of ${limit(worst.metric, 'consecutiveErrorLimit')} tolerated)`
        : outcome === 'inconclusive'
          ? ` (inconclusive ${c.inconclusive} of ${limit(worst.metric, 'inconclusiveLimit')} tolerated)`
          : '';
  return result('wait', `measurement.${outcome}`, `measuring again${tolerated}: ${worst.message}`);
}
