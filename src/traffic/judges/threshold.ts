/**
 * Threshold judge: every new cluster's value must lie within [min, max]. Plain values
 * (latencies, quantiles) are compared as they are; ratios of events are judged on their
 * counts (judgeProportionThreshold).
 * One cluster out of bounds fails the metric: with a whole cluster as the canary
 * unit, averaging a broken cluster with a healthy one would hide it.
 */
import { wilsonBounds } from '../stats/proportion.js';
import { bernoulliSprt } from '../stats/sprt.js';
import { fmt, type DecisionStatistics } from './decision.js';

interface ClusterValue {
  cluster: string;
  value: number;
}

interface ThresholdJudgement {
  outcome: 'pass' | 'fail';
  rule: 'threshold.min' | 'threshold.max' | 'threshold.within';
  message: string;
  statistics: DecisionStatistics;
}

/** Judges finite values of the new clusters; the caller has already handled "no values". */
export function judgeThreshold(metric: string, values: readonly ClusterValue[], threshold: { min?: number; max?: number }): ThresholdJudgement {
  const bounds = describeBounds(threshold);
  for (const { cluster, value } of values) {
    if (threshold.max !== undefined && value > threshold.max) {
      return {
        outcome: 'fail',
        rule: 'threshold.max',
        message: `${metric} on ${cluster} is ${fmt(value)}, above the maximum ${fmt(threshold.max)}`,
        statistics: { method: 'threshold' },
      };
    }
    if (threshold.min !== undefined && value < threshold.min) {
      return {
        outcome: 'fail',
        rule: 'threshold.min',
        message: `${metric} on ${cluster} is ${fmt(value)}, below the minimum ${fmt(threshold.min)}`,
        statistics: { method: 'threshold' },
      };
    }
  }
  const shown = values.map((v) => `${v.cluster}=${fmt(v.value)}`).join(', ');
  return {
    outcome: 'pass',
    rule: 'threshold.within',
    message: `${metric} within ${bounds}: ${shown}`,
    statistics: { method: 'threshold' },
  };
}

function describeBounds(t: { min?: number; max?: number }): string {
  if (t.min !== undefined && t.max !== undefined) return `[${fmt(t.min)}, ${fmt(t.max)}]`;
  if (t.max !== undefined) return `max ${fmt(t.max)}`;
  return `min ${fmt(t.min)}`;
}

interface ProportionThresholdJudgement {
  outcome: 'pass' | 'fail' | 'wait';
  rule:
    | 'threshold.max'
    | 'threshold.min'
    | 'threshold.within'
    | 'threshold.undecided'
    | 'threshold.max.decisive'
    | 'threshold.min.decisive'
    | 'samples.below-minimum'
    | 'sequential.reject'
    | 'sequential.accept'
    | 'sequential.continue';
  message: string;
  statistics: DecisionStatistics;
}

/**
 * A ratio of events (failed starts / starts) on one cluster against its bounds, judged on the
 * counts: fail when the one-sided Wilson bound on the good side is already beyond the threshold
 * (more events cannot rescue it — also below `minSamples`), pass when the bound on the bad side is
 * within it and there are `minSamples` events, otherwise wait. Never the point estimate alone.
 */
export function judgeProportionThreshold(
  metric: string,
  cluster: string,
  counts: { failures: number; samples: number },
  threshold: { min?: number; max?: number; confidence: number },
  minSamples: number,
  /** The value the query returned (shown; the counts decide). Default: failures / samples. */
  shown?: number,
): ProportionThresholdJudgement {
  const { failures, samples } = counts;
  const b = wilsonBounds(failures, samples, threshold.confidence);
  const p = shown ?? (samples > 0 ? failures / samples : 0);
  const level = `${fmt(threshold.confidence * 100)} %`;
  const statistics: DecisionStatistics = { method: 'proportion', n1: samples, meanNew: p, lower: b.lower, upper: b.upper, confidence: threshold.confidence };
  const seen = `${fmt(failures)} of ${fmt(samples)} starts`;
  const early = samples < minSamples;
  if (threshold.max !== undefined && b.lower > threshold.max) {
    return {
      outcome: 'fail',
      rule: early ? 'threshold.max.decisive' : 'threshold.max',
      message: `${metric} on ${cluster} is ${fmt(p)}, above the maximum ${fmt(threshold.max)}: ${seen}, ${level} lower bound ${fmt(b.lower)}${early ? ` (failing before minSamples ${minSamples}: more starts cannot bring it within)` : ''}`,
      statistics,
    };
  }
  if (threshold.min !== undefined && b.upper < threshold.min) {
    return {
      outcome: 'fail',
      rule: early ? 'threshold.min.decisive' : 'threshold.min',
      message: `${metric} on ${cluster} is ${fmt(p)}, below the minimum ${fmt(threshold.min)}: ${seen}, ${level} upper bound ${fmt(b.upper)}`,
      statistics,
    };
  }
  if (early) {
    return { outcome: 'wait', rule: 'samples.below-minimum', message: `${metric} on ${cluster}: ${fmt(samples)} starts, need ${minSamples} (${seen})`, statistics };
  }
  const upperOk = threshold.max === undefined || b.upper <= threshold.max;
  const lowerOk = threshold.min === undefined || b.lower >= threshold.min;
  if (upperOk && lowerOk) {
    return {
      outcome: 'pass',
      rule: 'threshold.within',
      message: `${metric} on ${cluster} within ${describeBounds(threshold)}: ${seen}, ${level} bounds [${fmt(b.lower)}, ${fmt(b.upper)}]`,
      statistics,
    };
  }
  return {
    outcome: 'wait',
    rule: 'threshold.undecided',
    message: `${metric} on ${cluster} is ${fmt(p)} (${seen}); its ${level} bounds [${fmt(b.lower)}, ${fmt(b.upper)}] straddle ${describeBounds(threshold)}: more starts needed`,
    statistics,
  };
}

/**
 * The opt-in sequential judge (`threshold.sequential`): an SPRT of `healthy` (p0) against `max` (p1) on the
 * stage's accumulated counts (stats/sprt.ts). Fails as soon as the likelihood ratio reaches 1/α (a cluster
 * at or below p0 gets there with probability ≤ α, however many looks), passes as soon as it falls to β
 * (and there are `minSamples` starts), otherwise waits for more starts.
 */
export function judgeSequentialThreshold(
  metric: string,
  cluster: string,
  counts: { failures: number; samples: number },
  rule: { max: number; healthy: number; falseRollback: number; falsePromotion: number },
  minSamples: number,
): ProportionThresholdJudgement {
  const { failures, samples } = counts;
  const r = bernoulliSprt(failures, samples, { p0: rule.healthy, p1: rule.max, alpha: rule.falseRollback, beta: rule.falsePromotion });
  const p = samples > 0 ? failures / samples : 0;
  const statistics: DecisionStatistics = { method: 'sequential', n1: samples, meanNew: p, llr: r.llr, p0: rule.healthy, alpha: rule.falseRollback, beta: rule.falsePromotion };
  const facts = `${fmt(failures)} of ${fmt(samples)} starts, log likelihood ratio ${fmt(r.llr)} of ${fmt(rule.max)} against ${fmt(rule.healthy)} (roll back at ${fmt(r.upper)}, pass at ${fmt(r.lower)})`;
  if (r.decision === 'reject') {
    return { outcome: 'fail', rule: 'sequential.reject', message: `${metric} on ${cluster} is ${fmt(p)}: the evidence says the failure ratio is at ${fmt(rule.max)} rather than ${fmt(rule.healthy)} (${facts}; false-rollback bound ${fmt(rule.falseRollback)})`, statistics };
  }
  if (r.decision === 'accept' && samples >= minSamples) {
    return { outcome: 'pass', rule: 'sequential.accept', message: `${metric} on ${cluster} is ${fmt(p)}: the evidence says healthy (${facts}; false-promotion bound ${fmt(rule.falsePromotion)})`, statistics };
  }
  const why = r.decision === 'accept' ? `; need ${minSamples} starts (minSamples)` : '';
  return { outcome: 'wait', rule: 'sequential.continue', message: `${metric} on ${cluster} is ${fmt(p)}: not decided yet (${facts}${why})`, statistics };
}
