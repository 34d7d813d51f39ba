/**
 * Comparison judge: new clusters (canary) against old clusters (baseline).
 *
 * - `mann-whitney`: fails when the two-sided test is significant at `confidence`,
 *   the difference points in the bad `direction`, and — when `maxEffectSize` is set —
 *   |rank-biserial correlation| exceeds it (a tiny but significant shift on lots of
 *   data is not a reason to roll back; Kayenta pairs the test with an effect size too).
 * - `ratio`: fails when mean(new) / mean(old) is beyond `maxRatio` in the bad direction.
 */
import { mannWhitneyU } from '../stats/mann-whitney.js';
import { fmt, type DecisionStatistics } from './decision.js';

export interface ComparisonRule {
  method: 'mann-whitney' | 'ratio';
  confidence: number;
  maxEffectSize?: number;
  maxRatio?: number;
  direction: 'increase' | 'decrease' | 'either';
}

export interface ComparisonJudgement {
  outcome: 'pass' | 'fail';
  rule: string;
  message: string;
  statistics: DecisionStatistics;
  warnings: string[];
}

/** Kayenta warns below this many data points per side: the test has little power. */
export const FEW_POINTS_WARNING = 50;

/** Compares non-empty, finite samples of the new and the old side. */
export function judgeComparison(metric: string, newValues: readonly number[], oldValues: readonly number[], rule: ComparisonRule): ComparisonJudgement {
  const meanNew = mean(newValues);
  const meanOld = mean(oldValues);
  const warnings: string[] = [];
  if (rule.method === 'ratio') return judgeRatio(metric, meanNew, meanOld, rule, newValues.length, oldValues.length);

  if (Math.min(newValues.length, oldValues.length) < FEW_POINTS_WARNING) {
    warnings.push(`${metric}: only ${newValues.length} new and ${oldValues.length} baseline data points (below ${FEW_POINTS_WARNING}); the test has little power`);
  }
  const r = mannWhitneyU(newValues, oldValues);
  const alpha = 1 - rule.confidence;
  const statistics: DecisionStatistics = {
    method: 'mann-whitney',
    n1: r.n1,
    n2: r.n2,
    u: r.u,
    pValue: r.pValue,
    alpha,
    rankBiserial: r.rankBiserial,
    hodgesLehmann: r.hodgesLehmann,
    meanNew,
    meanOld,
  };
  const facts = `new mean ${fmt(meanNew)} vs baseline ${fmt(meanOld)}, U=${fmt(r.u)}, p=${fmt(r.pValue)}, effect ${fmt(r.rankBiserial)}`;
  const significant = r.pValue < alpha;
  const bad = isBadDirection(r.rankBiserial, rule.direction);
  if (!significant || !bad) {
    const why = !significant ? `no significant difference at ${fmt(rule.confidence * 100)} % confidence` : `difference is in the harmless direction`;
    return { outcome: 'pass', rule: 'mann-whitney.no-significant-worsening', message: `${metric}: ${why} (${facts})`, statistics, warnings };
  }
  if (rule.maxEffectSize !== undefined && Math.abs(r.rankBiserial) <= rule.maxEffectSize) {
    return {
      outcome: 'pass',
      rule: 'mann-whitney.effect-within-bound',
      message: `${metric}: significant but small difference, effect ${fmt(Math.abs(r.rankBiserial))} ≤ ${fmt(rule.maxEffectSize)} (${facts})`,
      statistics,
      warnings,
    };
  }
  const bound = rule.maxEffectSize === undefined ? '' : `, effect above ${fmt(rule.maxEffectSize)}`;
  return {
    outcome: 'fail',
    rule: 'mann-whitney.worse',
    message: `${metric}: new clusters worse than baseline at ${fmt(rule.confidence * 100)} % confidence${bound} (${facts})`,
    statistics,
    warnings,
  };
}

function judgeRatio(metric: string, meanNew: number, meanOld: number, rule: ComparisonRule, n1: number, n2: number): ComparisonJudgement {
  const maxRatio = rule.maxRatio ?? Number.POSITIVE_INFINITY;
  // Both zero is equality; only-new-nonzero is an unbounded increase.
  const ratio = meanOld === 0 ? (meanNew === 0 ? 1 : meanNew > 0 ? Number.POSITIVE_INFINITY : 0) : meanNew / meanOld;
  const statistics: DecisionStatistics = { method: 'ratio', n1, n2, meanNew, meanOld, ratio };
  const tooHigh = rule.direction !== 'decrease' && ratio > maxRatio;
  const tooLow = rule.direction !== 'increase' && ratio < 1 / maxRatio;
  const facts = `new mean ${fmt(meanNew)} / baseline ${fmt(meanOld)} = ${fmt(ratio)}`;
  if (tooHigh || tooLow) {
    const limit = tooHigh ? `above ${fmt(maxRatio)}` : `below ${fmt(1 / maxRatio)}`;
    return { outcome: 'fail', rule: tooHigh ? 'ratio.above-max' : 'ratio.below-min', message: `${metric}: ratio ${limit} (${facts})`, statistics, warnings: [] };
  }
  return { outcome: 'pass', rule: 'ratio.within', message: `${metric}: ratio within bound ${fmt(maxRatio)} (${facts})`, statistics, warnings: [] };
}

function isBadDirection(effect: number, direction: ComparisonRule['direction']): boolean {
  if (direction === 'increase') return effect > 0;
  if (direction === 'decrease') return effect < 0;
  return effect !== 0;
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}
