/**
 * Threshold judge: every new cluster's value must lie within [min, max].
 * One cluster out of bounds fails the metric: with a whole cluster as the canary
 * unit, averaging a broken cluster with a healthy one would hide it.
 */
import { fmt, type DecisionStatistics } from './decision.js';

export interface ClusterValue {
  cluster: string;
  value: number;
}

export interface ThresholdJudgement {
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
