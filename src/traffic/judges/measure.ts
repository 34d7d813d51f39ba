/**
 * One measurement: evaluates every metric of the analysis and decides the step.
 * The record it returns is what the journal keeps per measurement.
 */
import type { AnalysisConfig } from '../analysis-config.js';
import type { MetricDecision } from './decision.js';
import { evaluateMetric, type MeasurementContext } from './metric-judge.js';
import { decideStep, type AnalysisCounters, type VerdictResult } from './step-verdict.js';

export interface MeasurementRecord extends VerdictResult {
  /** ISO time of the measurement. */
  at: string;
  /** Provider description (never secrets). */
  source: string;
  decisions: MetricDecision[];
}

/** Evaluates metrics one after another (each runs its own bounded queries) and applies the limits. */
export async function measure(
  analysis: Pick<AnalysisConfig, 'metrics' | 'failureLimit' | 'consecutiveErrorLimit' | 'inconclusiveLimit'>,
  ctx: MeasurementContext,
  counters: AnalysisCounters,
): Promise<MeasurementRecord> {
  const decisions: MetricDecision[] = [];
  for (const metric of analysis.metrics) decisions.push(await evaluateMetric(metric, ctx));
  const verdict = decideStep(decisions, counters, analysis);
  return { at: ctx.now.toISOString(), source: ctx.provider.description, decisions, ...verdict };
}
