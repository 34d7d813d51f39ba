/**
 * Comparison judge: one new cluster (canary) against the baseline (old clusters, pooled).
 *
 * - `mann-whitney`: a ONE-sided test in the bad `direction` (`increase` → alternative
 *   "new values greater"), two-sided for `either`, at α = 1 − confidence. Fails when the
 *   test rejects and — when `maxEffectSize` is set — |rank-biserial correlation| exceeds it
 *   (a tiny but significant shift on lots of data is not a reason to roll back; Kayenta pairs
 *   the test with an effect size too). When even the most extreme data could not reach α with
 *   these sample sizes, the result is `inconclusive` with that reason — never a pass.
 *   Ties in a small sample (one side ≤ 8 values): the p is the exact permutation p, where
 *   SciPy's `auto` uses the normal approximation; when the two fall on different sides of α
 *   the result is `inconclusive` (`mann-whitney.ties-undecided`): the judge never takes a
 *   decision that either test would contradict, and more points decide.
 * - `ratio`: fails when mean(new) / mean(old) is beyond `maxRatio` in the bad direction.
 * - `proportion` (judgeProportionComparison): counts, not points — Newcombe bounds on
 *   p_new − p_baseline: fail when the lower bound exceeds `maxDifference`, pass when the upper
 *   bound is within it, otherwise wait for more events.
 */
import { mannWhitneyU, type Alternative } from '../stats/mann-whitney.js';
import { differenceBounds } from '../stats/proportion.js';
import { fmt, type DecisionStatistics } from './decision.js';

export interface ComparisonRule {
  method: 'mann-whitney' | 'ratio' | 'proportion';
  confidence: number;
  maxEffectSize?: number;
  maxRatio?: number;
  maxDifference?: number;
  direction: 'increase' | 'decrease' | 'either';
}

interface ComparisonJudgement {
  outcome: 'pass' | 'fail' | 'inconclusive' | 'wait';
  rule: string;
  message: string;
  statistics: DecisionStatistics;
  warnings: string[];
}

/** Kayenta warns below this many data points per side: the test has little power. */
const FEW_POINTS_WARNING = 50;

const ALTERNATIVE: Record<ComparisonRule['direction'], Alternative> = { increase: 'greater', decrease: 'less', either: 'two-sided' };

/** Compares non-empty, finite samples of the new and the old side. `subject` names what is judged (metric, or "metric on cluster"). */
export function judgeComparison(subject: string, newValues: readonly number[], oldValues: readonly number[], rule: ComparisonRule): ComparisonJudgement {
  const meanNew = mean(newValues);
  const meanOld = mean(oldValues);
  const warnings: string[] = [];
  if (rule.method === 'ratio') return judgeRatio(subject, meanNew, meanOld, rule, newValues.length, oldValues.length);

  if (Math.min(newValues.length, oldValues.length) < FEW_POINTS_WARNING) {
    warnings.push(`${subject}: only ${newValues.length} new and ${oldValues.length} baseline data points (below ${FEW_POINTS_WARNING}); the test has little power`);
  }
  const alternative = ALTERNATIVE[rule.direction];
  const r = mannWhitneyU(newValues, oldValues, { alternative });
  const alpha = 1 - rule.confidence;
  const statistics: DecisionStatistics = {
    method: 'mann-whitney',
    n1: r.n1,
    n2: r.n2,
    u: r.u,
    pValue: r.pValue,
    minPValue: r.minPValue,
    alpha,
    alternative,
    exactness: r.method,
    asymptoticPValue: r.asymptoticPValue,
    rankBiserial: r.rankBiserial,
    hodgesLehmann: r.hodgesLehmann,
    meanNew,
    meanOld,
  };
  const side = alternative === 'two-sided' ? 'two-sided' : `one-sided, new ${alternative === 'greater' ? 'higher' : 'lower'} is worse`;
  const facts = `new mean ${fmt(meanNew)} vs baseline ${fmt(meanOld)}, U=${fmt(r.u)}, p=${fmt(r.pValue)} (${r.method}, ${side}), effect ${fmt(r.rankBiserial)}`;
  // The test rejects when p < α, so a smallest possible p of exactly α can never reject either.
  if (r.minPValue >= alpha) {
    return {
      outcome: 'inconclusive',
      rule: 'mann-whitney.cannot-reject',
      message: `${subject}: ${r.n1} new and ${r.n2} baseline points cannot show a difference at ${fmt(rule.confidence * 100)} % confidence (smallest possible p ${fmt(r.minPValue)} ${r.minPValue === alpha ? '=' : '>'} ${fmt(alpha)}); lengthen lookback or shorten resolution (${facts})`,
      statistics,
      warnings,
    };
  }
  const smallEffect = rule.maxEffectSize !== undefined && Math.abs(r.rankBiserial) <= rule.maxEffectSize;
  // A small effect passes whichever p holds; otherwise the two tests must agree on the side of α.
  if (r.asymptoticPValue !== undefined && r.asymptoticPValue < alpha !== r.pValue < alpha && !smallEffect) {
    return {
      outcome: 'inconclusive',
      rule: 'mann-whitney.ties-undecided',
      message: `${subject}: ties in a small sample: the exact test (p=${fmt(r.pValue)}) and the normal approximation (p=${fmt(r.asymptoticPValue)}) disagree at α=${fmt(alpha)}; more points decide (${facts})`,
      statistics,
      warnings,
    };
  }
  if (r.pValue >= alpha) {
    return { outcome: 'pass', rule: 'mann-whitney.no-significant-worsening', message: `${subject}: not worse at ${fmt(rule.confidence * 100)} % confidence (${facts})`, statistics, warnings };
  }
  if (smallEffect) {
    return {
      outcome: 'pass',
      rule: 'mann-whitney.effect-within-bound',
      message: `${subject}: significant but small difference, effect ${fmt(Math.abs(r.rankBiserial))} ≤ ${fmt(rule.maxEffectSize)} (${facts})`,
      statistics,
      warnings,
    };
  }
  const bound = rule.maxEffectSize === undefined ? '' : `, effect above ${fmt(rule.maxEffectSize)}`;
  return {
    outcome: 'fail',
    rule: 'mann-whitney.worse',
    message: `${subject}: worse than baseline at ${fmt(rule.confidence * 100)} % confidence${bound} (${facts})`,
    statistics,
    warnings,
  };
}

export interface Counts {
  failures: number;
  samples: number;
}

/** Proportion of failures on a new cluster against the pooled baseline; `minSamples` applies to both sides. */
export function judgeProportionComparison(subject: string, canary: Counts, baseline: Counts, rule: ComparisonRule, minSamples: number): ComparisonJudgement {
  const tolerance = rule.maxDifference ?? 0;
  const b = differenceBounds(canary.failures, canary.samples, baseline.failures, baseline.samples, rule.confidence);
  const pNew = canary.samples > 0 ? canary.failures / canary.samples : 0;
  const pOld = baseline.samples > 0 ? baseline.failures / baseline.samples : 0;
  const statistics: DecisionStatistics = {
    method: 'proportion',
    n1: canary.samples,
    n2: baseline.samples,
    meanNew: pNew,
    meanOld: pOld,
    lower: b.lower,
    upper: b.upper,
    confidence: rule.confidence,
    maxDifference: tolerance,
  };
  const facts = `${fmt(canary.failures)}/${fmt(canary.samples)} = ${fmt(pNew)} vs baseline ${fmt(baseline.failures)}/${fmt(baseline.samples)} = ${fmt(pOld)}, difference in [${fmt(b.lower)}, ${fmt(b.upper)}] at ${fmt(rule.confidence * 100)} %`;
  const worseUp = rule.direction !== 'decrease' && b.lower > tolerance;
  const worseDown = rule.direction !== 'increase' && b.upper < -tolerance;
  if (worseUp || worseDown) {
    return { outcome: 'fail', rule: 'proportion.worse', message: `${subject}: failure ratio worse than baseline by more than ${fmt(tolerance)} (${facts})`, statistics, warnings: [] };
  }
  const withinUp = rule.direction === 'decrease' || b.upper <= tolerance;
  const withinDown = rule.direction === 'increase' || b.lower >= -tolerance;
  if (withinUp && withinDown && canary.samples >= minSamples && baseline.samples >= minSamples) {
    return { outcome: 'pass', rule: 'proportion.within', message: `${subject}: within ${fmt(tolerance)} of the baseline (${facts})`, statistics, warnings: [] };
  }
  return { outcome: 'wait', rule: 'proportion.undecided', message: `${subject}: not enough events to tell yet (${facts})`, statistics, warnings: [] };
}

function judgeRatio(subject: string, meanNew: number, meanOld: number, rule: ComparisonRule, n1: number, n2: number): ComparisonJudgement {
  const maxRatio = rule.maxRatio ?? Number.POSITIVE_INFINITY;
  // Both zero is equality; only-new-nonzero is an unbounded increase.
  const ratio = meanOld === 0 ? (meanNew === 0 ? 1 : meanNew > 0 ? Number.POSITIVE_INFINITY : 0) : meanNew / meanOld;
  const statistics: DecisionStatistics = { method: 'ratio', n1, n2, meanNew, meanOld, ratio };
  const tooHigh = rule.direction !== 'decrease' && ratio > maxRatio;
  const tooLow = rule.direction !== 'increase' && ratio < 1 / maxRatio;
  const facts = `new mean ${fmt(meanNew)} / baseline ${fmt(meanOld)} = ${fmt(ratio)}`;
  if (tooHigh || tooLow) {
    const limit = tooHigh ? `above ${fmt(maxRatio)}` : `below ${fmt(1 / maxRatio)}`;
    return { outcome: 'fail', rule: tooHigh ? 'ratio.above-max' : 'ratio.below-min', message: `${subject}: ratio ${limit} (${facts})`, statistics, warnings: [] };
  }
  return { outcome: 'pass', rule: 'ratio.within', message: `${subject}: ratio within bound ${fmt(maxRatio)} (${facts})`, statistics, warnings: [] };
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}
