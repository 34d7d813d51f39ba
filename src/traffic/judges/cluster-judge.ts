/**
 * Judges one new cluster for one metric and returns its evidence record: the
 * queries as sent, the value, the samples (and failures, for proportions), the
 * baseline it was compared with, the statistics and the rule that decided.
 *
 * Proportion metrics (failed starts / starts) are judged on counts: the window's
 * failures are value × starts, added to what this step already saw (the controller
 * accumulates disjoint windows), so evidence grows with every measurement instead of
 * a fixed window deciding on a handful of starts.
 */
import { isProportionMetric, type MetricConfig } from '../analysis-config.js';
import { formatDuration } from '../duration.js';
import { judgeComparison, judgeProportionComparison, type Counts } from './comparison.js';
import { fmt, type ClusterEvidence, type MetricOutcome } from './decision.js';
import type { FetchedQuery } from './fetch-values.js';
import type { QueryTarget } from './query-template.js';
import { judgeProportionThreshold, judgeSequentialThreshold, judgeThreshold } from './threshold.js';

/** The new starts a new cluster should get now (see `expectedTraffic` in shift-registry.ts). */
export interface ExpectedTraffic {
  /** Its share of its region's new starts (0..1). */
  share: number;
  /** The old clusters' share of them (0 at 100 %). */
  oldShare: number;
  /** Full names of the old clusters that take that share (or took it, before the shift, at 100 %). */
  competitors: readonly string[];
}

/**
 * A healthy cluster's silence must be this improbable before it counts as dead: below it, "no starts" is
 * a failure; above it, too little traffic to tell, and the gate waits (inconclusive past sampleDeadline).
 */
const SILENCE_ALPHA = 0.01;

/**
 * The probability that a healthy new cluster got no start while its competitors got `starts`: each of
 * those starts chose between it and them by weight (share : oldShare). At 100 % the competitors' starts
 * are from before the shift (baselineAt), so they are the Poisson rate the cluster now takes its share of.
 */
function silenceProbability(expected: ExpectedTraffic, starts: number): number {
  if (expected.share <= 0) return 1;
  if (expected.oldShare > 0) return (expected.oldShare / (expected.oldShare + expected.share)) ** starts;
  return Math.exp(-starts * expected.share);
}

export interface ClusterInput {
  metric: MetricConfig;
  target: QueryTarget;
  value: FetchedQuery;
  samples?: FetchedQuery;
  proportion: boolean;
  /** Counts of this cluster accumulated earlier in this step (proportions). */
  prior?: Counts;
  /** The cluster returned series in an earlier measurement of this shift. */
  reportedBefore: boolean;
  /** The cluster had reported, and this metric's previous measurement found none of its series (a gap). */
  gapBefore?: boolean;
  /** Proportions: failures of failure series born in the window, which rate() misses (counter-births.ts). */
  bornFailures?: number;
  /** Proportions: starts of start series born in the window, which increase() misses (counter-births.ts). */
  bornStarts?: number;
  /** Proportions: the stored steps' failure ratio, where above the query's (rate() stopped at a zero point: stored-steps.ts). */
  storedRatio?: number;
  /** Proportions: a tiled window's failure ratio of its stored steps anchored at the previous window's last sample, taken as is (stored-steps.ts anchoredCounts). */
  exactRatio?: number;
  /** Proportions: the value query found series on some cluster (either side) in this measurement: its metrics exist. */
  valueSeriesSeen?: boolean;
  baseline: { clusters: string[]; points: number[]; counts: Counts; hasData: boolean; at: string };
  deadlinePassed: boolean;
  deadlineMs: number;
  /** The span one value of the query covers (instant: the lookback; range: the resolution). */
  windowMs?: number;
  /** analysis.scrapeInterval, when known; for series written by a recording rule, its group's evaluation interval. */
  scrapeIntervalMs?: number;
  /** Set when the series are written by a recording rule: its group (`rule group "ws" (file)`), whose evaluations space them. */
  ruleGroup?: string;
  /**
   * Set when the cluster's own scrape targets were not scraped successfully throughout the window (a hung exporter,
   * a Prometheus restart or stall; see scrape-continuity.ts): why. Then an empty window is no evidence of its own.
   */
  scrapingInterrupted?: string;
  /**
   * What the cluster should get, with the starts its competitors had in this window (proportions).
   * Absent (a caller that knows no scores): any baseline start makes a silent cluster's silence count.
   */
  traffic?: ExpectedTraffic & { competitorStarts: number };
}

/**
 * rate()/increase() need two samples in their window. A window spanning this many scrape intervals holds at
 * least this many samples, so one missed (or late) scrape still leaves two: when it is empty, the series are gone.
 */
const SCRAPES_PER_DAMNING_WINDOW = 3;

/** The window is long enough that its emptiness is no missed scrape (scrapeInterval known, ≥ 3 scrapes). */
export function emptyWindowIsDamning(windowMs: number | undefined, scrapeIntervalMs: number | undefined): boolean {
  return windowMs !== undefined && scrapeIntervalMs !== undefined && scrapeIntervalMs > 0 && windowMs >= SCRAPES_PER_DAMNING_WINDOW * scrapeIntervalMs;
}

/** Whether the metric's judge takes ±Inf values (plain thresholds) rather than leaving them out. */
export function thresholdJudgesInfinities(metric: MetricConfig): boolean {
  return metric.threshold !== undefined && !isProportionMetric(metric);
}

export function judgeCluster(input: ClusterInput): ClusterEvidence {
  const { metric, target, value, samples, baseline } = input;
  const name = metric.name;
  const cluster = target.cluster;
  // A plain threshold judges ±Inf (a latency quantile past the largest bucket) like any value; counts cannot.
  const judged = !input.proportion && metric.threshold ? [...value.values, ...value.infinities] : value.values;
  // The starts the samplesQuery saw; the value query's ratio saw the same ones (failures = value × these).
  const seenSamples = samples ? samples.values.reduce((a, b) => a + b, 0) : judged.length;
  const bornStarts = input.proportion ? (input.bornStarts ?? 0) : 0;
  const windowSamples = seenSamples + bornStarts;
  const latest = judged.at(-1);
  const base = {
    cluster,
    query: value.query,
    ...(samples ? { samplesQuery: samples.query } : {}),
    points: value.values.length,
    ...(metric.threshold ? { threshold: { min: metric.threshold.min, max: metric.threshold.max } } : {}),
  };
  const out = (outcome: MetricOutcome, rule: string, message: string, extra: Partial<ClusterEvidence> = {}): ClusterEvidence => ({ ...base, outcome, rule, message, ...extra });
  const baselineRecord = (extra: Partial<NonNullable<ClusterEvidence['baseline']>>) => ({ baseline: { clusters: baseline.clusters, at: baseline.at, ...extra } });

  // A labelled failure counter (client_golang's CounterVec) has no series before the cluster's first failure, so on a
  // healthy cluster the ratio sum(rate(failures)) / sum(rate(starts)) is an empty vector while its starts are there.
  // Where the query found series on another cluster its metrics exist: no series here is no failure counted (0).
  // Where it found none anywhere, a misspelt metric looks the same: no evidence either way (wait, a human past the deadline).
  const noFailureSeries = input.proportion && samples !== undefined && windowSamples > 0 && value.series === 0;
  if (noFailureSeries && !input.valueSeriesSeen) {
    return out(
      'wait',
      'no-data.no-failure-series',
      `${name}: the value query returns no series on any cluster, though ${cluster} had ${fmt(windowSamples)} starts: either no failure was counted anywhere yet (a labelled failure counter has no series before its first failure) or the query names a metric that does not exist; check the query, and write its failure part as (sum(rate(…[{{interval}}])) or vector(0)) to count a missing failure counter as 0`,
      { samples: windowSamples },
    );
  }
  if (judged.length === 0 && !noFailureSeries) {
    const hasSeries = value.series > 0 || (samples?.series ?? 0) > 0;
    if (!hasSeries) {
      // One empty window is a missed or late scrape as often as a dead cluster (30 s scrapes, rate[1m]):
      // it waits; a second empty measurement in a row is "stopped reporting", detected within two intervals.
      // Unless the window spans ≥ 3 known scrape intervals: one missed scrape leaves 2 samples there, enough
      // for rate(), so an empty one means the series are gone (the old clusters' current series are asked
      // first at 100 %, so a broken pipeline is still `no-data.pipeline`, not this).
      if (input.reportedBefore && input.gapBefore) {
        return out('fail', 'no-data.stopped-reporting', `${name}: ${cluster} reported before, but its series are gone: it stopped reporting (no series in two measurements in a row; the cluster or its scraping is down)`);
      }
      // ... and unless its own targets were not scraped throughout the window: after a Prometheus restart the targets
      // resume at their own offsets (a live cluster may have one sample where the old clusters have two), and a hung
      // exporter empties the window of a cluster that may be alive.
      if (input.reportedBefore && input.scrapingInterrupted === undefined && emptyWindowIsDamning(input.windowMs, input.scrapeIntervalMs)) {
        const scrapes = Math.floor((input.windowMs ?? 0) / (input.scrapeIntervalMs ?? 1));
        const spaced = input.ruleGroup === undefined ? `${scrapes} scrapes of ${formatDuration(input.scrapeIntervalMs ?? 0)}: one missed scrape` : `${scrapes} evaluations of ${formatDuration(input.scrapeIntervalMs ?? 0)} of ${input.ruleGroup}, which writes them: one missed evaluation`;
        return out('fail', 'no-data.stopped-reporting', `${name}: ${cluster} reported before, but its series are gone: it stopped reporting (no series in a ${formatDuration(input.windowMs ?? 0)} window, ${spaced} cannot empty it; the cluster or its scraping is down)`);
      }
      if (input.reportedBefore) {
        const why = input.scrapingInterrupted === undefined ? 'a missed scrape?' : `${input.scrapingInterrupted}: no evidence against the cluster`;
        return out('wait', 'no-data.gap', `${name}: ${cluster} reported before, but none of its series are in this window (${why}); a second empty measurement means it stopped reporting`, { samples: 0 });
      }
      if (!input.deadlinePassed || !baseline.hasData) {
        return out('wait', 'no-data.never-reported', `${name}: ${cluster} has not reported yet`, { samples: 0 });
      }
      return out('fail', 'no-data.never-reported', `${name}: ${cluster} reported nothing within ${formatDuration(input.deadlineMs)} (sampleDeadline) while the baseline has data: the cluster may be dead`);
    }
    if (samples && windowSamples > 0) {
      const starts = fmt(Math.round(windowSamples));
      // NaN with starts is no silence either when the value counts other events than the samplesQuery: a startup time
      // is observed once the workspace is up, its start counted when asked for, so a quiet cluster's one start in the
      // window may have no observation yet (p95 = 0/0). Judged by minSamples as a finite value would be; and where the
      // baseline has starts and no value either (a histogram without finite buckets: histogram_quantile needs two), the
      // query measures nothing on any cluster, which is no evidence against this one.
      if (!input.proportion && value.dropped > 0 && windowSamples < metric.minSamples) {
        return out('wait', 'samples.below-minimum', `${name}: ${starts} samples on ${cluster}, need ${metric.minSamples} (its value is NaN: no event of the value query in the window yet, e.g. a startup time observed only once the workspace is up)`, { samples: windowSamples });
      }
      if (!input.proportion && value.dropped > 0 && baseline.counts.samples > 0 && baseline.points.length === 0) {
        return out(
          'wait',
          'no-data.no-value',
          `${name}: the value is NaN on ${cluster} and the baseline (${baseline.clusters.join(', ')}) has none either, though both had starts: the query measures nothing on any cluster, which says nothing of this one (a histogram exported without finite buckets has only le="+Inf", and histogram_quantile needs two); check the query and the metric`,
          { samples: windowSamples },
        );
      }
      return out('fail', 'no-data.new-silent', `${name}: ${cluster} reports ${starts} starts but ${value.dropped > 0 ? 'its value is NaN' : 'returns no data'}: the cluster may be dead`, { samples: windowSamples });
    }
    // NaN is not silence: a live cluster's ratio or histogram quantile over a window without events is 0/0.
    // On real Prometheus data that is every quiet window of a low-traffic cluster, so it waits (and past
    // sampleDeadline becomes inconclusive) instead of being called dead.
    if (!samples && value.dropped > 0) {
      return out('wait', 'no-data.no-events', `${name}: ${cluster} reports, but only NaN (0/0: no events in the window) yet`, { samples: 0 });
    }
    if (!samples) return out('fail', 'no-data.new-silent', `${name}: ${cluster} returns no data while other clusters do: the cluster may be dead`);
    if (input.deadlinePassed && baseline.counts.samples > 0 && (input.prior?.samples ?? 0) === 0) {
      const t = input.traffic;
      if (!t) return out('fail', 'no-data.no-traffic', `${name}: the baseline has starts but ${cluster} had none within ${formatDuration(input.deadlineMs)} (sampleDeadline): the cluster may be dead`, { samples: 0 });
      // Silence is evidence only when a healthy cluster would rarely be silent: at a 10 % share, 20 starts
      // on the old clusters leave a healthy one without any 12 % of the time.
      const p = silenceProbability(t, t.competitorStarts);
      const odds = `${fmt(t.competitorStarts)} starts on the clusters sharing its region's traffic${t.oldShare > 0 ? '' : ' before the shift'} and ${fmt(t.share * 100)} % of them its share: a healthy cluster gets none with probability ${p < 0.0001 ? p.toExponential(1) : fmt(p)}`;
      if (p < SILENCE_ALPHA) {
        return out('fail', 'no-data.no-traffic', `${name}: ${cluster} had no starts within ${formatDuration(input.deadlineMs)} (sampleDeadline); ${odds}, below ${SILENCE_ALPHA}: the cluster may be dead`, { samples: 0 });
      }
      return out('wait', 'no-data.too-little-traffic', `${name}: ${cluster} had no starts within ${formatDuration(input.deadlineMs)} (sampleDeadline), but ${odds}: too little traffic to tell a dead cluster from a quiet one`, { samples: 0 });
    }
    if (!input.proportion || (input.prior?.samples ?? 0) === 0) return out('wait', 'no-data.no-traffic-yet', `${name}: no starts on ${cluster} yet`, { samples: 0 });
  }

  if (input.proportion) {
    // Prometheus' increase() extrapolates to the window's edges (243.1 starts): counts are whole events.
    const windowStarts = Math.round(seenSamples) + bornStarts;
    const born = input.bornFailures ?? 0;
    const ratio = input.exactRatio ?? (latest !== undefined && input.storedRatio !== undefined ? Math.max(latest, input.storedRatio) : latest);
    const windowFailures = Math.min(windowStarts, (ratio !== undefined ? Math.round(ratio * Math.round(seenSamples)) : 0) + born);
    const counts = { failures: (input.prior?.failures ?? 0) + windowFailures, samples: (input.prior?.samples ?? 0) + windowStarts };
    const extra = { value: counts.samples > 0 ? counts.failures / counts.samples : latest, samples: counts.samples, failures: counts.failures };
    const b = baselineRecord({ samples: baseline.counts.samples, failures: baseline.counts.failures, value: baseline.counts.samples > 0 ? baseline.counts.failures / baseline.counts.samples : undefined });
    const sequential = metric.threshold?.sequential;
    if (sequential && metric.threshold?.max !== undefined) {
      const j = judgeSequentialThreshold(name, cluster, counts, { ...sequential, max: metric.threshold.max }, metric.minSamples);
      return out(j.outcome, j.rule, j.message, { ...extra, ...(ctxHasBaseline(baseline) ? b : {}), statistics: j.statistics });
    }
    if (metric.threshold) {
      // Show the query's own value when this window is all the evidence; the accumulated ratio otherwise.
      const shown = (input.prior?.samples ?? 0) === 0 && latest !== undefined && born === 0 && bornStarts === 0 && ratio === latest ? latest : undefined;
      const j = judgeProportionThreshold(name, cluster, counts, metric.threshold, metric.minSamples, shown);
      // The baseline does not decide a threshold, but a reader weighs "4 of 4 failed" against it.
      return out(j.outcome, j.rule, j.message, { ...extra, ...(ctxHasBaseline(baseline) ? b : {}), statistics: j.statistics });
    }
    const rule = metric.comparison;
    if (!rule) throw new Error(`metric ${name} has neither threshold nor comparison`);
    if (baseline.counts.samples === 0) {
      return out('inconclusive', 'no-data.baseline-missing', `${name}: ${cluster} has ${fmt(counts.samples)} starts but the baseline has none: nothing to compare with`, { ...extra, ...b });
    }
    const j = judgeProportionComparison(`${name} on ${cluster}`, counts, baseline.counts, rule, metric.minSamples);
    return out(j.outcome, j.rule, j.message, { ...extra, ...b, statistics: j.statistics });
  }

  if (windowSamples < metric.minSamples) {
    return out('wait', 'samples.below-minimum', `${name}: ${fmt(windowSamples)} samples on ${cluster}, need ${metric.minSamples}`, { samples: windowSamples, value: latest });
  }
  const b = baselineRecord({ points: baseline.points.length, value: median(baseline.points) });
  if (metric.threshold) {
    const j = judgeThreshold(name, judged.map((v) => ({ cluster, value: v })), metric.threshold);
    return out(j.outcome, j.rule, j.message, { value: latest, samples: windowSamples, ...(ctxHasBaseline(baseline) ? b : {}), statistics: j.statistics });
  }
  const rule = metric.comparison;
  if (!rule) throw new Error(`metric ${name} has neither threshold nor comparison`);
  if (baseline.points.length === 0) {
    return out('inconclusive', 'no-data.baseline-missing', `${name}: ${cluster} has ${value.values.length} values but the baseline has none: nothing to compare with`, { samples: windowSamples, value: median(value.values), ...b });
  }
  // The baseline needs minSamples points too: late scrapes leave some of its windows empty, and a test on too few
  // points cannot reject (inconclusive, a pause). Fewer points only delay: wait (inconclusive past sampleDeadline).
  if (baseline.points.length < metric.minSamples) {
    return out('wait', 'samples.baseline-below-minimum', `${name}: ${baseline.points.length} baseline points for ${cluster}, need ${metric.minSamples}`, { samples: windowSamples, value: median(value.values), ...b });
  }
  const j = judgeComparison(`${name} on ${cluster}`, value.values, baseline.points, rule);
  // Too few distinct points (ties of histogram quantiles, windows emptied by late scrapes) cannot reject yet, and ties in a
  // small sample may leave the exact and the approximate test on either side of α: the next windows may decide; it waits
  // and becomes inconclusive (a human decides) only past sampleDeadline.
  if ((j.rule === 'mann-whitney.cannot-reject' || j.rule === 'mann-whitney.ties-undecided') && !input.deadlinePassed) {
    return out('wait', j.rule, j.message, { value: median(value.values), samples: windowSamples, ...b, statistics: j.statistics });
  }
  return out(j.outcome, j.rule, j.message, { value: median(value.values), samples: windowSamples, ...b, statistics: j.statistics });
}

/** A first generation has no old clusters: no baseline to show next to a threshold. */
function ctxHasBaseline(baseline: ClusterInput['baseline']): boolean {
  return baseline.clusters.length > 0;
}

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}
