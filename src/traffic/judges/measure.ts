/**
 * One measurement: evaluates the metrics that are due and decides the step with
 * each metric's own limits. The record it returns is what the journal keeps per
 * measurement (its shape is documented in docs/canary-analysis.md).
 */
import type { AnalysisConfig, MetricConfig } from '../analysis-config.js';
import type { MetricDecision } from './decision.js';
import { evaluateMetric, type MeasurementContext } from './metric-judge.js';
import { decideStep, type AnalysisCounters, type MetricLimits, type VerdictResult } from './step-verdict.js';

export interface MeasurementRecord extends VerdictResult {
  /** ISO time of the measurement. */
  at: string;
  /** Provider description (never secrets). */
  source: string;
  decisions: MetricDecision[];
}

/** Limits of every deciding metric (undefined fields fall back to the analysis-wide ones). */
export function metricLimits(metrics: readonly MetricConfig[]): Record<string, MetricLimits> {
  return Object.fromEntries(
    metrics
      .filter((m) => !m.dryRun)
      .map((m) => [m.name, { failureLimit: m.failureLimit, consecutiveErrorLimit: m.consecutiveErrorLimit, inconclusiveLimit: m.inconclusiveLimit, count: m.count }]),
  );
}

/** Evaluates due metrics one after another (each runs its own bounded queries) and applies the limits. */
export async function measure(
  analysis: Pick<AnalysisConfig, 'metrics' | 'failureLimit' | 'consecutiveErrorLimit' | 'inconclusiveLimit'>,
  ctx: MeasurementContext,
  counters: AnalysisCounters,
  due: (metric: MetricConfig) => boolean = () => true,
): Promise<MeasurementRecord> {
  const decisions: MetricDecision[] = [];
  for (const metric of analysis.metrics) if (due(metric)) decisions.push(await evaluateMetric(metric, ctx));
  const verdict = decideStep(decisions, counters, analysis, metricLimits(analysis.metrics));
  return { at: ctx.now.toISOString(), source: ctx.provider.description, decisions, ...verdict };
}
