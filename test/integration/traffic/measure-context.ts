/**
 * The measurement context the real-Prometheus gate tests judge in: a 3 s interval over
 * targets scraped every second, one new cluster (reporting) against one old one.
 */
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
