/**
 * Evaluates one gate metric for one measurement and returns its decision record.
 *
 * No-data classification comes before any judging, because "no data" has three
 * different meanings on a low-rate signal (design §4), and Flagger's "no data =
 * failure" is its most common complaint:
 * - a query failed, or neither side has any series → the metrics pipeline is
 *   broken: `error` (counted against consecutiveErrorLimit, then the shift halts);
 * - the baseline has data but a new cluster has none (and, with a samplesQuery,
 *   reports starts or stayed silent past the deadline) → `fail`: it may be dead;
 * - a new cluster had no traffic yet → `wait`, as for too few samples; past
 *   `sampleDeadline` that becomes `inconclusive` (a human decides).
 */
import type { MetricConfig } from '../analysis-config.js';
import type { MetricProvider } from '../providers/provider.js';
import { judgeComparison } from './comparison.js';
import { decisiveRatioFailure } from './decisive-ratio.js';
import { fmt, type MetricDecision, type MetricOutcome, type Side } from './decision.js';
import { fetchValues, type FetchedQuery } from './fetch-values.js';
import type { QueryTarget } from './query-template.js';
import { judgeThreshold } from './threshold.js';

export interface MeasurementContext {
  provider: MetricProvider;
  newClusters: readonly QueryTarget[];
  oldClusters: readonly QueryTarget[];
  /** The step interval: `{{interval}}` and the range of comparison queries. */
  intervalMs: number;
  now: Date;
  /** Time spent in the current step; compared with `sampleDeadlineMs`. */
  elapsedInStepMs: number;
  sampleDeadlineMs: number;
  signal?: AbortSignal;
}

/** Runs the metric's queries and classifies/judges the result. Throws only on abort. */
export async function evaluateMetric(metric: MetricConfig, ctx: MeasurementContext): Promise<MetricDecision> {
  const targets = [
    ...ctx.newClusters.map((target) => ({ side: 'new' as Side, target })),
    ...ctx.oldClusters.map((target) => ({ side: 'old' as Side, target })),
  ];
  const common = { provider: ctx.provider, targets, intervalMs: ctx.intervalMs, now: ctx.now, signal: ctx.signal };
  const mode = metric.comparison ? ({ kind: 'range', stepMs: metric.comparison.resolution } as const) : ({ kind: 'instant' } as const);
  const [valueQueries, sampleQueries] = await Promise.all([
    fetchValues({ ...common, template: metric.query, purpose: 'value', mode }),
    metric.samplesQuery ? fetchValues({ ...common, template: metric.samplesQuery, purpose: 'samples', mode: { kind: 'instant' } }) : Promise.resolve([]),
  ]);
  const queries = [...valueQueries, ...sampleQueries];
  const record = (outcome: MetricOutcome, rule: string, message: string, extra: Partial<MetricDecision> = {}): MetricDecision => ({
    metric: metric.name,
    dryRun: metric.dryRun,
    outcome,
    rule,
    message: metric.dryRun ? `[dry run] ${message}` : message,
    queries: queries.map(({ dropped: _dropped, ...q }) => q),
    warnings: warningsFor(queries),
    ...extra,
  });

  const failed = queries.find((q) => q.error);
  if (failed?.error) {
    return record(
      'error',
      'query-error',
      `${metric.name}: ${failed.purpose} query for ${failed.cluster} failed (${failed.error.kind}): ${failed.error.message}; the metrics pipeline is broken`,
    );
  }

  const hasData = (q: FetchedQuery) => q.values.length > 0;
  const newValue = valueQueries.filter((q) => q.side === 'new');
  const oldValue = valueQueries.filter((q) => q.side === 'old');
  const oldHasData = oldValue.some(hasData);
  const samples = sampleCounts(metric, sampleQueries, newValue);
  const deadlinePassed = ctx.elapsedInStepMs >= ctx.sampleDeadlineMs;
  const deadline = `${Math.round(ctx.sampleDeadlineMs / 1000)}s`;

  if (!newValue.some(hasData) && !oldHasData) {
    if (samples.configured && samples.anySeries && samples.newTotal === 0 && samples.oldTotal === 0) {
      return waitOrInconclusive('no-data.no-traffic', `${metric.name}: no starts on new or baseline clusters yet`);
    }
    return record(
      'error',
      'no-data.both-sides',
      `${metric.name}: no data for new or baseline clusters: the metrics pipeline looks broken (check scraping and the query; add "or vector(0)" if the series appears only after the first event)`,
    );
  }

  // Per new cluster: silent while others (the baseline, or other new clusters) have data.
  for (const q of newValue) {
    if (hasData(q)) continue;
    const clusterSamples = samples.perCluster.get(q.cluster) ?? 0;
    if (samples.configured && clusterSamples === 0) {
      // No starts on it: "no traffic yet" unless the baseline saw starts for the whole deadline.
      if (!oldHasData && samples.oldTotal === 0) continue;
      if (!deadlinePassed) return waitOrInconclusive('no-data.no-traffic-yet', `${metric.name}: no starts on ${q.cluster} yet`);
      return record('fail', 'no-data.new-silent', `${metric.name}: baseline has data but ${q.cluster} reported no starts within ${deadline}: the cluster may be dead`, {
        samples: samples.summary,
      });
    }
    const evidence = clusterSamples > 0 && samples.configured ? `reports ${fmt(clusterSamples)} starts but returns no data` : 'returns no data while other clusters do';
    return record('fail', 'no-data.new-silent', `${metric.name}: ${q.cluster} ${evidence}: the cluster may be dead`, { samples: samples.summary });
  }

  if (samples.newTotal < metric.minSamples) {
    const decisive = samples.configured
      ? decisiveRatioFailure(
          metric.name,
          metric.threshold?.max,
          newValue.map((q) => ({ cluster: q.cluster, value: q.values.at(-1), samples: samples.perCluster.get(q.cluster) ?? 0 })),
        )
      : undefined;
    if (decisive) return record('fail', 'threshold.max.decisive', decisive, { samples: samples.summary });
    return waitOrInconclusive(
      'samples.below-minimum',
      `${metric.name}: ${fmt(samples.newTotal)} samples on new clusters, need ${metric.minSamples}`,
    );
  }

  const newValues = newValue.flatMap((q) => q.values);
  if (metric.threshold) {
    const perCluster = newValue.flatMap((q) => q.values.map((value) => ({ cluster: q.cluster, value })));
    const j = judgeThreshold(metric.name, perCluster, metric.threshold);
    return record(j.outcome, j.rule, j.message, { statistics: j.statistics, samples: samples.summary });
  }
  const comparison = metric.comparison;
  if (!comparison) throw new Error(`metric ${metric.name} has neither threshold nor comparison`);
  const oldValues = oldValue.flatMap((q) => q.values);
  if (oldValues.length === 0) {
    return record('inconclusive', 'no-data.baseline-missing', `${metric.name}: new clusters have ${newValues.length} values but the baseline has none: nothing to compare with`, {
      samples: samples.summary,
    });
  }
  const j = judgeComparison(metric.name, newValues, oldValues, comparison);
  const decision = record(j.outcome, j.rule, j.message, { statistics: j.statistics, samples: samples.summary });
  decision.warnings.push(...j.warnings);
  return decision;

  function waitOrInconclusive(rule: string, message: string): MetricDecision {
    if (deadlinePassed) {
      return record('inconclusive', 'samples.deadline-passed', `${message} after ${deadline} (sampleDeadline): a human must decide`, { samples: samples.summary });
    }
    return record('wait', rule, `${message}; waiting (deadline ${deadline})`, { samples: samples.summary });
  }
}

interface SampleCounts {
  configured: boolean;
  /** True when the samples query matched any series at all. */
  anySeries: boolean;
  newTotal: number;
  oldTotal: number;
  perCluster: Map<string, number>;
  summary: { new: number; old?: number; min: number };
}

/** With a samplesQuery: summed event counts. Without: the number of data points on each side. */
function sampleCounts(metric: MetricConfig, sampleQueries: FetchedQuery[], newValue: FetchedQuery[]): SampleCounts {
  const perCluster = new Map<string, number>();
  if (!metric.samplesQuery) {
    const newTotal = newValue.reduce((a, q) => a + q.values.length, 0);
    for (const q of newValue) perCluster.set(q.cluster, q.values.length);
    return { configured: false, anySeries: true, newTotal, oldTotal: 0, perCluster, summary: { new: newTotal, min: metric.minSamples } };
  }
  let newTotal = 0;
  let oldTotal = 0;
  for (const q of sampleQueries) {
    const sum = q.values.reduce((a, b) => a + b, 0);
    if (q.side === 'new') {
      newTotal += sum;
      perCluster.set(q.cluster, (perCluster.get(q.cluster) ?? 0) + sum);
    } else {
      oldTotal += sum;
    }
  }
  const anySeries = sampleQueries.some((q) => q.series > 0);
  return { configured: true, anySeries, newTotal, oldTotal, perCluster, summary: { new: newTotal, old: oldTotal, min: metric.minSamples } };
}

function warningsFor(queries: FetchedQuery[]): string[] {
  return queries
    .filter((q) => q.dropped > 0)
    .map((q) => `${q.cluster}: ${q.dropped} non-finite value(s) (NaN, e.g. 0/0) ignored in the ${q.purpose} query`);
}
