/**
 * The short form of a failing measurement: which metric failed on which
 * cluster, by which rule, and which limit tripped — without the numbers. The
 * live log and the step's error use it, so the evidence in words (values,
 * samples, baseline, test) is printed once, in the summary
 * (report/decision-words.ts), instead of on every line that mentions the rollback.
 * The full record still goes to the journal, `status --output json` and the
 * NDJSON events.
 */
import type { MetricDecision, MetricOutcome } from './decision.js';

export interface BriefInput {
  verdict: string;
  /** The limit that tripped (VerdictResult.limit); absent for pass and wait. */
  limit?: string;
  decisions: ReadonlyArray<Pick<MetricDecision, 'metric' | 'dryRun' | 'outcome' | 'rule' | 'clusters'>>;
}

const DECIDING: readonly MetricOutcome[] = ['fail', 'error'];

/** `start-failure-ratio failed on gp-dev-ws-eu201-eu-west1 (rule threshold.max.decisive)`, one clause per metric that fired. */
export function firedMetrics(decisions: BriefInput['decisions']): string {
  const fired = decisions.filter((d) => !d.dryRun && DECIDING.includes(d.outcome));
  return fired
    .map((d) => {
      const clusters = (d.clusters ?? []).filter((e) => e.outcome === d.outcome).map((e) => e.cluster);
      const verb = d.outcome === 'fail' ? 'failed' : 'could not be measured';
      return `${d.metric} ${verb}${clusters.length > 0 ? ` on ${clusters.join(', ')}` : ''} (rule ${d.rule})`;
    })
    .join('; ');
}

/** `fail: start-failure-ratio failed on … (rule …); failed measurements 1 > failureLimit 0`. */
export function briefVerdict(input: BriefInput): string {
  const fired = firedMetrics(input.decisions);
  return `${input.verdict}: ${[fired, input.limit].filter(Boolean).join('; ') || 'no deciding metric recorded'}`;
}
