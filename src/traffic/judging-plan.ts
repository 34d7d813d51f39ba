/**
 * What `plan` says is judged at each stage of the shift: per metric, the judge,
 * its level, and which baseline a comparison uses — the old clusters' current
 * values while they still take starts, their values from before the shift began
 * at 100 % and in the bake (baseline offset), nothing for a first generation.
 */
import { isProportionMetric, type AnalysisConfig, type MetricConfig } from './analysis-config.js';
import { fmt } from './judges/decision.js';

type Stage = { kind: 'step'; percent: number } | { kind: 'bake' } | { kind: 'first-generation' };

/** One line per stage: "start-failure-ratio: …; startup-time: …". */
export function describeJudging(analysis: AnalysisConfig | undefined, stage: Stage): string {
  if (!analysis) return 'nothing judged (no analysis)';
  const full = stage.kind === 'bake' || (stage.kind === 'step' && stage.percent === 100);
  const parts = analysis.metrics.map((m) => `${m.name}${m.dryRun ? ' [dry run]' : ''}: ${describeMetric(m, stage, full)}`);
  return parts.join('; ');
}

function describeMetric(m: MetricConfig, stage: Stage, full: boolean): string {
  const minSamples = m.minSamples > 0 ? `, ≥ ${m.minSamples} ${m.samplesQuery ? 'starts' : 'points'} per cluster` : '';
  if (m.threshold) {
    const bounds = [m.threshold.min !== undefined ? `min ${fmt(m.threshold.min)}` : '', m.threshold.max !== undefined ? `max ${fmt(m.threshold.max)}` : ''].filter(Boolean).join(', ');
    const seq = m.threshold.sequential;
    const how = seq
      ? `sequential test (SPRT) of ${fmt(seq.healthy)} against it on each cluster's counts of the stage: rolls back as soon as damning (false-rollback ≤ ${fmt(seq.falseRollback)}), passes as soon as sufficient (false-promotion ≤ ${fmt(seq.falsePromotion)})`
      : isProportionMetric(m)
        ? `${fmt(m.threshold.confidence * 100)} % Wilson bounds on each cluster's counts (accumulated over the stage)`
        : "each cluster's value";
    return `threshold ${bounds}, ${how}${minSamples}`;
  }
  const c = m.comparison;
  if (!c) return 'not judged';
  if (stage.kind === 'first-generation') return 'not judged (no old generation to compare with)';
  const baseline = full ? "old clusters' values from before the shift began" : "old clusters' current values";
  const test =
    c.method === 'mann-whitney'
      ? `Mann-Whitney ${c.direction === 'either' ? 'two-sided' : 'one-sided'} at ${fmt(c.confidence * 100)} %${c.maxEffectSize !== undefined ? `, effect > ${fmt(c.maxEffectSize)}` : ''}, one point per ${Math.round(c.resolution / 1000)}s`
      : c.method === 'proportion'
        ? `proportion difference (Newcombe, ${fmt(c.confidence * 100)} %) within ${fmt(c.maxDifference)}`
        : `mean ratio within ${fmt(c.maxRatio)}`;
  return `${test} against the ${baseline}${minSamples}`;
}
