/**
 * The measurement context the real-Prometheus gate tests judge in: a 3 s interval over
 * targets scraped every second, one new cluster (reporting) against one old one.
 */
import { analysisSchema, type AnalysisConfig } from '../../../src/traffic/analysis-config.js';
import type { MeasurementContext } from '../../../src/traffic/judges/metric-judge.js';
import type { MetricProvider } from '../../../src/traffic/providers/provider.js';

/** A cluster as the exporters label it, by its short name. */
export const target = (short: string) => ({ cluster: `gp-prod-ws-${short}-eu-west1`, shortName: short, region: 'europe-west1' });

/** Judged at `at`, the new cluster `clusters.new` against `clusters.old`; `extra` overrides any field. */
export function measureContext(
  provider: MetricProvider,
  at: number | Date,
  clusters: { new: string; old: string },
  extra: Partial<MeasurementContext> = {},
): MeasurementContext {
  return {
    provider,
    newClusters: [target(clusters.new)],
    oldClusters: [target(clusters.old)],
    intervalMs: 3_000,
    now: new Date(at),
    elapsedInStepMs: 3_000,
    sampleDeadlineMs: 600_000,
    scrapeIntervalMs: 1_000,
    reported: new Set([target(clusters.new).cluster]),
    ...extra,
  };
}

/** The workspace exporter's start and failure counters, per cluster. */
export const STARTS = 'gitpod_ws_manager_workspace_starts_total{cluster="{{shortName}}"}';
export const FAILURES = 'gitpod_ws_manager_workspace_starts_failure_total{cluster="{{shortName}}"}';

/** The counter tests' gate: the start-failure ratio, at most 10 % of at least 20 starts; `extra` overrides analysis fields. */
export function startFailureRatioAnalysis(extra: Record<string, unknown> = {}): AnalysisConfig {
  return analysisSchema.parse({
    provider: { type: 'prometheus', url: 'http://127.0.0.1:1' },
    metrics: [
      {
        name: 'start-failure-ratio',
        query: `sum(rate(${FAILURES}[{{interval}}])) / sum(rate(${STARTS}[{{interval}}]))`,
        samplesQuery: `sum(increase(${STARTS}[{{interval}}]))`,
        threshold: { max: 0.1 },
        minSamples: 20,
      },
    ],
    consecutiveErrorLimit: 0,
    ...extra,
  });
}

/** The counter tests' context: 5 s windows, judged now, no scrape interval or reporting targets known. */
export function fiveSecondContext(provider: MetricProvider, newShort: string, oldShort: string, extra: Partial<MeasurementContext> = {}): MeasurementContext {
  return {
    provider,
    newClusters: [target(newShort)],
    oldClusters: [target(oldShort)],
    intervalMs: 5_000,
    now: new Date(),
    elapsedInStepMs: 5_000,
    sampleDeadlineMs: 60_000,
    ...extra,
  };
}
