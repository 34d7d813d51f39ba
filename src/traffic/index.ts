/** Public surface of the traffic shift for the engine, `plan` and the CLI. */
export { trafficShiftSchema, expandSteps, type TrafficShiftConfig, type TrafficShiftInput } from './config.js';
export type { AnalysisConfig, MetricConfig, ProviderConfig, PrometheusProviderConfig } from './analysis-config.js';
export { parseDuration, formatDuration } from './duration.js';
export { compileScores, constraintSetKey, effectiveWeight, type ScoreCluster, type RegionScores, type ClusterState } from './scores.js';
export { buildTimeline, type ShiftTimeline } from './timeline.js';
export { resolveOldClusters, type NewClusterRef } from './old-clusters.js';
export type { MetricProvider, MetricSeries, MetricErrorKind } from './providers/provider.js';
export { MetricQueryError, isMetricQueryError } from './providers/provider.js';
export { PrometheusProvider, prometheusFromConfig } from './providers/prometheus.js';
export { measure, type MeasurementRecord } from './judges/measure.js';
export { evaluateMetric, type MeasurementContext } from './judges/metric-judge.js';
export type { MetricDecision, MetricOutcome } from './judges/decision.js';
export { decideStep, ZERO_COUNTERS, type StepVerdict, type AnalysisCounters } from './judges/step-verdict.js';
export { mannWhitneyU, type MannWhitneyResult } from './stats/mann-whitney.js';
export { runShift, type ShiftDeps, type ShiftInput, type ShiftResult } from './shift-controller.js';
export { realClock } from './clock.js';
export type * from './shift-ports.js';
