/**
 * Evaluates one gate metric for one measurement and returns its decision record,
 * with the evidence of every new cluster (cluster-judge.ts judges each one; the
 * worst cluster decides the metric — with a whole cluster as the canary unit,
 * averaging a broken cluster with a healthy one would hide it).
 *
 * No-data classification comes first, because "no data" has distinct meanings on
 * a low-rate signal (design §4), and Flagger's "no data = failure" is its most
 * common complaint:
 * - a query failed, or no cluster on either side has any series → the metrics
 *   pipeline is broken: `error` (consecutiveErrorLimit, then the shift halts);
 * - a new cluster whose series were there in an earlier measurement and are gone:
 *   the first empty measurement is a gap (`wait`, `no-data.gap`: one missed scrape must
 *   not roll back a healthy shift), the second in a row is `fail` (`no-data.stopped-reporting`);
 *   with `scrapeInterval` known, an empty window spanning ≥ 3 scrapes fails at once (no single
 *   missed scrape empties it), unless the cluster's own targets were not scraped successfully
 *   throughout that window (a hung exporter, a Prometheus restart or stall: scrape-continuity.ts),
 *   when it is a gap again; series written by a recording rule count evaluations of its group instead of
 *   scrapes, and the targets of the series the rule reads are the ones asked after (rule-spacing.ts);
 *   at 100 % and in the bake (baseline from before the shift) the old clusters are also
 *   asked for their CURRENT series: when those are gone too, it is the pipeline (`error`);
 * - a new cluster that never reported → `wait` until `sampleDeadline`, then `fail`
 *   when the baseline has data (`no-data.never-reported`);
 * - a new cluster that reports but had no starts yet → `wait`, as for too few samples;
 * - an empty value window over series written by a recording rule evaluated less than twice per window
 *   (rule-spacing.ts) → `wait` (`no-data.sparse-window`; past `sampleDeadline`, `inconclusive`): one evaluation
 *   writes every cluster's series, so it empties them all at once and says nothing of any cluster.
 *
 * The baseline's window ends at `baselineAt` when given: at 100 % and in the bake the
 * old clusters take no starts, so they are read from before the shift began (Kayenta's
 * baseline offset).
 */
import { isProportionMetric, type MetricConfig } from '../analysis-config.js';
import { formatDuration } from '../duration.js';
import { isAbortError } from '../../core/errors.js';
import { isMetricQueryError, type MetricProvider } from '../providers/provider.js';
import { emptyWindowIsDamning, judgeCluster, thresholdJudgesInfinities, type ClusterInput, type ExpectedTraffic } from './cluster-judge.js';
import type { Counts } from './comparison.js';
import { fmt, type ClusterEvidence, type MetricDecision, type MetricOutcome, type QueryRecord, type Side } from './decision.js';
import { fetchValues, rangeWindow, type FetchedQuery } from './fetch-values.js';
import type { QueryTarget } from './query-template.js';
import { bornFailures, bornStarts, type Born } from './counter-births.js';
import { anchoredCounts, storedFailureRatio } from './stored-steps.js';
import { vectorSelectors } from './promql-check.js';
import { scrapingInterruption } from './scrape-continuity.js';
import { ruleSeriesSpacing, sparseRuleWindow } from './rule-spacing.js';

export interface MeasurementContext {
  provider: MetricProvider;
  newClusters: readonly QueryTarget[];
  oldClusters: readonly QueryTarget[];
  /** Default lookback (`{{interval}}`) for metrics without their own `lookback`/`interval`. */
  intervalMs: number;
  now: Date;
  /** Time spent in the current step; compared with `sampleDeadlineMs`. */
  elapsedInStepMs: number;
  sampleDeadlineMs: number;
  /** analysis.scrapeInterval: an empty window spanning ≥ 3 scrapes is no missed scrape (see cluster-judge.ts). */
  scrapeIntervalMs?: number;
  /** End of the baseline's window; default `now`. */
  baselineAt?: Date;
  /** Full names of new clusters that returned series in an earlier measurement of this shift. */
  reported?: ReadonlySet<string>;
  /** Per metric: new clusters that had reported but had no series at that metric's previous measurement. */
  gaps?: Readonly<Record<string, readonly string[]>>;
  /** Proportion metrics: counts accumulated earlier in this step, per metric and cluster (disjoint windows only). */
  accumulated?: Readonly<Record<string, Readonly<Record<string, Counts>>>>;
  /**
   * Per metric: epoch ms where its window starts instead of `now − lookback` (the end of its previous
   * window, so windows whose counts are added up tile: no start is lost between two of them).
   */
  windowStarts?: Readonly<Record<string, number>>;
  /** Per new cluster (full name): the starts it should get now; weighs its silence (see cluster-judge.ts). */
  expected?: Readonly<Record<string, ExpectedTraffic>>;
  signal?: AbortSignal;
}

const SEVERITY: MetricOutcome[] = ['fail', 'error', 'inconclusive', 'wait', 'pass'];

/** The metric's query window. */
export function lookbackOf(metric: Pick<MetricConfig, 'lookback' | 'interval'>, defaultMs: number): number {
  return metric.lookback ?? metric.interval ?? defaultMs;
}

/** The rule of a tiled window too short to read: the controller keeps its start for the next window. */
export const WINDOW_TOO_SHORT = 'window.too-short';

/**
 * The shortest tiled window worth reading: two scrapes (rate()/increase() need two samples in their window), or,
 * with scrapeInterval unknown, half the metric's own span (which validate let through as several scrapes).
 */
function shortestTiledWindowMs(metric: MetricConfig, ctx: MeasurementContext): number {
  return ctx.scrapeIntervalMs !== undefined ? 2 * ctx.scrapeIntervalMs : lookbackOf(metric, ctx.intervalMs) / 2;
}

/** Runs the metric's queries and classifies/judges the result. Throws only on abort. */
export async function evaluateMetric(metric: MetricConfig, ctx: MeasurementContext): Promise<MetricDecision> {
  const tiledFrom = ctx.windowStarts?.[metric.name];
  // A tiled window is short after a measurement that ran late (this one on time) and negative when evaluation times
  // come out of order. On Prometheus it holds one sample or none: judged, a healthy cluster's empty window is a gap
  // (twice: stopped reporting) or no data on either side (an error). It waits, and the next window starts here.
  if (tiledFrom !== undefined && ctx.now.getTime() - tiledFrom < shortestTiledWindowMs(metric, ctx)) return tooShort(metric, ctx, tiledFrom);
  const counting = !metric.comparison || metric.comparison.method === 'proportion';
  const seam = tiledFrom !== undefined && counting ? seamReach(tiledFrom, ctx.now.getTime(), ctx.scrapeIntervalMs) : undefined;
  // A tiled window read with seamReach ends on a whole number of scrape intervals after its start (before `now`).
  const now = seam ? new Date(seam.endMs) : ctx.now;
  const reach = seam ?? { ms: 0, scale: 1 };
  const lookbackMs = tiledFrom !== undefined ? now.getTime() - tiledFrom : lookbackOf(metric, ctx.intervalMs);
  const windowMs = metric.comparison?.method === 'mann-whitney' || metric.comparison?.method === 'ratio' ? metric.comparison.resolution : lookbackMs;
  const baselineAt = ctx.baselineAt ?? now;
  const mode = counting ? ({ kind: 'instant' } as const) : ({ kind: 'range', stepMs: windowMs } as const);
  const queriedMs = lookbackMs + reach.ms;
  const fetch = (side: Side, targets: readonly QueryTarget[], template: string, purpose: QueryRecord['purpose'], now: Date, kind: typeof mode) =>
    fetchValues({ provider: ctx.provider, targets: targets.map((target) => ({ side, target })), intervalMs: queriedMs, windowMs: mode.kind === 'instant' ? queriedMs : windowMs, now, signal: ctx.signal, template, purpose, mode: kind });
  const instant = { kind: 'instant' } as const;
  const [newValue, oldValue, newSamples, oldSamples] = await Promise.all([
    fetch('new', ctx.newClusters, metric.query, 'value', now, mode),
    fetch('old', ctx.oldClusters, metric.query, 'value', baselineAt, mode),
    metric.samplesQuery ? fetch('new', ctx.newClusters, metric.samplesQuery, 'samples', now, instant) : Promise.resolve([]),
    metric.samplesQuery ? fetch('old', ctx.oldClusters, metric.samplesQuery, 'samples', baselineAt, instant) : Promise.resolve([]),
  ]);
  // The baseline is from before the shift: a new cluster's silence alone cannot tell a dead cluster from broken
  // scraping. Ask the old clusters' current series (only then: one extra query per old cluster).
  const silent = (t: QueryTarget) => [...newValue, ...newSamples].every((q) => q.cluster !== t.cluster || (q.series === 0 && !q.error));
  const reportedSilent = ctx.newClusters.some((t) => (ctx.reported?.has(t.cluster) ?? false) && silent(t));
  const liveness = reportedSilent && baselineAt.getTime() !== now.getTime() && ctx.oldClusters.length > 0 ? await fetch('old', ctx.oldClusters, metric.query, 'liveness', now, mode) : [];
  const queries = [...newValue, ...oldValue, ...newSamples, ...oldSamples, ...liveness];
  // A failure ratio's failure and start series born in the window (counted from 0: rate() misses their first event).
  const births = new Map<string, Born>();
  const startBirths = new Map<string, Born>();
  // A births check that failed: its count is unknown, and taken for 0 it could pass a canary whose failures all began
  // in the window (its value query is then empty). The measurement is a pipeline error, as for its own queries.
  let birthsFailed: string | undefined;
  // Per cluster: the stored steps' failure ratio where it is above the query's (rate()'s zero point, stored-steps.ts).
  const stored = new Map<string, { ratio: number; queried: number }>();
  // Per cluster: a tiled window's counts as stored, anchored at the previous window's last sample (exact across a
  // scrape missed at a seam, where rate() guesses: stored-steps.ts anchoredCounts). Only with scrapeInterval known.
  const anchored = new Map<string, { failures: number; starts: number }>();
  if (isProportionMetric(metric) && metric.samplesQuery !== undefined) {
    const at = (q: FetchedQuery) => (q.side === 'new' ? now : baselineAt);
    const ask = async (qs: readonly FetchedQuery[], find: typeof bornFailures, into: Map<string, Born>) => {
      const asked = qs.filter((q) => !q.error);
      const what = find === bornFailures ? 'failure' : 'start';
      const found = await Promise.all(
        asked.map((q) =>
          find(ctx.provider, q.query, lookbackMs, at(q), ctx.signal).catch((error: unknown) => {
            if (isAbortError(error) || (isMetricQueryError(error) && error.kind === 'aborted')) throw error;
            const kind = isMetricQueryError(error) ? error.kind : 'unexpected';
            birthsFailed ??= `the query for ${what} series born in the window for ${q.cluster} failed (${kind}): ${error instanceof Error ? error.message : String(error)}`;
            return undefined;
          }),
        ),
      );
      asked.forEach((q, i) => {
        const b = found[i];
        if (b && b.series > 0) into.set(q.cluster, b);
      });
    };
    // The ratio of the stored steps, where rate() stops at a failure counter's zero point (stored-steps.ts).
    const askStored = async (q: FetchedQuery) => {
      const samples = [...newSamples, ...oldSamples].find((s) => s.side === q.side && s.cluster === q.cluster);
      if (!samples || samples.error) return;
      const r = await storedFailureRatio(ctx.provider, q.query, samples.query, queriedMs, at(q), ctx.signal).catch((error: unknown) => {
        if (isAbortError(error) || (isMetricQueryError(error) && error.kind === 'aborted')) throw error;
        const kind = isMetricQueryError(error) ? error.kind : 'unexpected';
        birthsFailed ??= `the query for the stored failure and start steps of ${q.cluster} failed (${kind}): ${error instanceof Error ? error.message : String(error)}`;
        return undefined;
      });
      const latest = q.values.at(-1);
      if (r !== undefined && latest !== undefined && r > latest) stored.set(q.cluster, { ratio: r, queried: latest });
    };
    const askAnchored = async (q: FetchedQuery) => {
      const samples = [...newSamples, ...oldSamples].find((s) => s.side === q.side && s.cluster === q.cluster);
      if (!seam || ctx.scrapeIntervalMs === undefined || !samples || samples.error || samples.series === 0) return;
      // The previous window's last sample lies within its length again plus two scrapes, unless the series had none that long.
      const anchorMs = 2 * lookbackMs + 2 * ctx.scrapeIntervalMs;
      const a = await anchoredCounts(ctx.provider, q.query, samples.query, lookbackMs, anchorMs, at(q), ctx.signal).catch((error: unknown) => {
        if (isAbortError(error) || (isMetricQueryError(error) && error.kind === 'aborted')) throw error;
        const kind = isMetricQueryError(error) ? error.kind : 'unexpected';
        birthsFailed ??= `the query for the stored failure and start steps of ${q.cluster} failed (${kind}): ${error instanceof Error ? error.message : String(error)}`;
        return undefined;
      });
      if (a) anchored.set(q.cluster, a);
    };
    await Promise.all([
      ...[...newValue, ...oldValue].filter((q) => !q.error).map(askAnchored),
      ask([...newValue, ...oldValue], bornFailures, births),
      ask([...newSamples, ...oldSamples], bornStarts, startBirths),
      ...[...newValue, ...oldValue].filter((q) => !q.error).map(askStored),
    ]);
    // Where a series was born in the window (counter-births.ts), its anchor may be another process' sample (a container
    // restarted in its pod whose series came back above its old total shows no reset): the query's counts stand there.
    for (const cluster of [...births.keys(), ...startBirths.keys()]) anchored.delete(cluster);
  }
  // The span one value must cover: a range query's point covers its own resolution, an instant one the lookback.
  const valueWindowMs = mode.kind === 'range' ? windowMs : lookbackMs;
  const gapBefore = (t: QueryTarget) => ctx.gaps?.[metric.name]?.includes(t.cluster) ?? false;
  // The fast "stopped reporting" rule trusts an empty window only when the cluster's own targets were scraped throughout it.
  const silentBefore = (t: QueryTarget) => (ctx.reported?.has(t.cluster) ?? false) && !gapBefore(t) && silent(t) && !queries.some((q) => q.error);
  const lastPointAt = mode.kind === 'range' ? rangeWindow(now, lookbackMs, windowMs).end : now;
  const interruptions = new Map<string, string>();
  // Series written by a recording rule are spaced by its group's evaluation interval, not by a scrape: the fast rule
  // counts evaluations for them, and asks after the targets of the series the rule reads (rule-spacing.ts).
  const ruleSpacing = new Map<string, { intervalMs: number; group: string }>();
  for (const t of ctx.newClusters.filter(silentBefore)) {
    const selectors = [...new Set(queries.filter((q) => q.side === 'new' && q.cluster === t.cluster).flatMap((q) => vectorSelectors(q.query)))];
    const rules = await ruleSeriesSpacing(ctx.provider, selectors, ctx.signal);
    let spacingMs = ctx.scrapeIntervalMs;
    let checked = selectors;
    if (rules) {
      spacingMs = rules.scraped.length > 0 && ctx.scrapeIntervalMs !== undefined ? Math.max(rules.intervalMs, ctx.scrapeIntervalMs) : rules.intervalMs;
      ruleSpacing.set(t.cluster, { intervalMs: spacingMs, group: rules.group });
      checked = [...rules.scraped, ...rules.inputs];
    }
    if (!emptyWindowIsDamning(valueWindowMs, spacingMs)) continue;
    if (rules?.unhealthy !== undefined) {
      interruptions.set(t.cluster, rules.unhealthy);
      continue;
    }
    if (ctx.scrapeIntervalMs === undefined) {
      // Only a rule's series get here: how often the targets it reads are scraped is not known, so neither is their continuity.
      interruptions.set(t.cluster, `whether the targets its recording rule reads were scraped throughout the ${formatDuration(valueWindowMs)} window is unknown (analysis.scrapeInterval is not set)`);
      continue;
    }
    const why = await scrapingInterruption(ctx.provider, checked, valueWindowMs, ctx.scrapeIntervalMs, lastPointAt, ctx.signal);
    if (why !== undefined) interruptions.set(t.cluster, why);
  }
  const window = mode.kind === 'range' ? rangeWindow(now, lookbackMs, windowMs) : { start: new Date(now.getTime() - lookbackMs), end: now };
  const record = (outcome: MetricOutcome, rule: string, message: string, extra: Partial<MetricDecision> = {}): MetricDecision => ({
    metric: metric.name,
    dryRun: metric.dryRun,
    outcome,
    rule,
    message: metric.dryRun ? `[dry run] ${message}` : message,
    queries: queries.map(({ dropped: _dropped, infinities: _infinities, ...q }) => q),
    warnings: [...warningsFor(metric, queries), ...(isProportionMetric(metric) ? [...bornWarnings(births, 'failure'), ...bornWarnings(startBirths, 'start'), ...storedWarnings(stored), ...uncountedFailures(queries, births, reach.scale)] : [])],
    window: { start: window.start.toISOString(), end: window.end.toISOString(), ...(mode.kind === 'range' ? { resolutionMs: windowMs } : {}) },
    ...extra,
  });

  const failed = queries.find((q) => q.error);
  if (failed?.error) {
    return record('error', 'query-error', `${metric.name}: ${failed.purpose} query for ${failed.cluster} failed (${failed.error.kind}): ${failed.error.message}; the metrics pipeline is broken`);
  }
  if (birthsFailed !== undefined) return record('error', 'query-error', `${metric.name}: ${birthsFailed}; its failures cannot be counted, the metrics pipeline is broken`);
  // A proportion is one ratio per cluster, weighed by that cluster's starts. Several series (per pod, per node: a
  // missing sum) cannot be weighed by one start count, and picking one of them hides the others' failures.
  const ambiguous = isProportionMetric(metric) ? queries.find((q) => q.purpose === 'value' && q.series > 1) : undefined;
  if (ambiguous) {
    return record(
      'error',
      'query.many-series',
      `${metric.name}: the ${ambiguous.purpose} query ${ambiguous.query} returns ${ambiguous.series} series for ${ambiguous.cluster}, but a failure ratio must be one series per cluster; aggregate it (e.g. sum(rate(failed[…])) / sum(rate(started[…])))`,
    );
  }
  if (liveness.length > 0 && ctx.newClusters.every(silent) && liveness.every((q) => q.series === 0)) {
    return record(
      'error',
      'no-data.pipeline',
      `${metric.name}: no current series for new or old clusters (the baseline is read from before the shift): the metrics pipeline looks broken, not one cluster (check scraping)`,
    );
  }
  // An empty value window over recording-rule series evaluated less than twice per window says nothing (rule-spacing.ts).
  const emptyValues = [...newValue, ...oldValue].filter((q) => q.values.length === 0);
  if (emptyValues.length > 0) {
    const sparse = await sparseRuleWindow(ctx.provider, [...new Set(emptyValues.flatMap((q) => vectorSelectors(q.query)))], valueWindowMs, ctx.signal);
    if (sparse !== undefined) {
      const deadlinePassed = ctx.elapsedInStepMs >= ctx.sampleDeadlineMs;
      const then = deadlinePassed ? `and ${Math.round(ctx.sampleDeadlineMs / 1000)}s (sampleDeadline) have passed: a human must decide` : 'waiting for the next measurement';
      return record(waitOrInconclusive('wait', deadlinePassed), 'no-data.sparse-window', `${metric.name}: no value for ${emptyValues.map((q) => q.cluster).join(', ')}: ${sparse}; ${then}`);
    }
  }
  const anySeries = queries.some((q) => q.purpose !== 'liveness' && q.series > 0);
  const anyStarts = [...newSamples, ...oldSamples].some((q) => q.values.some((v) => v > 0));
  if (!anySeries || (!queries.some((q) => q.purpose === 'value' && q.values.length > 0) && metric.samplesQuery === undefined)) {
    return record(
      'error',
      'no-data.both-sides',
      `${metric.name}: no series for new or baseline clusters: the metrics pipeline looks broken (check scraping and the query; add "or vector(0)" if the series appears only after the first event)`,
    );
  }

  const proportion = isProportionMetric(metric);
  const sum = (qs: readonly FetchedQuery[]) => qs.reduce((a, q) => a + q.values.reduce((x, y) => x + y, 0), 0) * reach.scale;
  const baselineCounts: Counts = { failures: 0, samples: 0 };
  for (const o of ctx.oldClusters) {
    const a = anchored.get(o.cluster);
    const v = a ? a.failures / a.starts : (stored.get(o.cluster)?.ratio ?? oldValue.find((q) => q.cluster === o.cluster)?.values.at(-1));
    // value × the starts the value query saw is the failures it saw; the starts it missed are added after.
    const n = a ? a.starts : sum(oldSamples.filter((q) => q.cluster === o.cluster));
    const starts = Math.round(n) + (startBirths.get(o.cluster)?.count ?? 0);
    baselineCounts.samples += starts;
    const born = births.get(o.cluster)?.count ?? 0;
    if (v !== undefined || born > 0) baselineCounts.failures += Math.min(starts, Math.round((v ?? 0) * n) + born);
  }
  const baselinePoints = oldValue.flatMap((q) => q.values);
  const trafficOf = (cluster: string): ClusterInput['traffic'] => {
    const expected = ctx.expected?.[cluster];
    if (!expected) return undefined;
    const competitorStarts = sum(oldSamples.filter((q) => expected.competitors.includes(q.cluster)));
    return { ...expected, competitorStarts };
  };
  const deadlinePassed = ctx.elapsedInStepMs >= ctx.sampleDeadlineMs;
  const valueSeriesSeen = queries.some((q) => q.purpose === 'value' && q.series > 0) || births.size > 0;
  const evidence: ClusterEvidence[] = ctx.newClusters.map((target) =>
    judgeCluster({
      metric,
      target,
      value: newValue.find((q) => q.cluster === target.cluster) as FetchedQuery,
      samples: counted(newSamples.find((q) => q.cluster === target.cluster), reach.scale, anchored.get(target.cluster)),
      proportion,
      prior: ctx.accumulated?.[metric.name]?.[target.cluster],
      reportedBefore: ctx.reported?.has(target.cluster) ?? false,
      gapBefore: gapBefore(target),
      bornFailures: births.get(target.cluster)?.count,
      bornStarts: startBirths.get(target.cluster)?.count,
      storedRatio: stored.get(target.cluster)?.ratio,
      ...(anchored.has(target.cluster) ? { exactRatio: (anchored.get(target.cluster)?.failures ?? 0) / (anchored.get(target.cluster)?.starts ?? 1) } : {}),
      valueSeriesSeen,
      windowMs: valueWindowMs,
      scrapeIntervalMs: ruleSpacing.get(target.cluster)?.intervalMs ?? ctx.scrapeIntervalMs,
      ...(ruleSpacing.has(target.cluster) ? { ruleGroup: ruleSpacing.get(target.cluster)?.group } : {}),
      ...(interruptions.has(target.cluster) ? { scrapingInterrupted: interruptions.get(target.cluster) } : {}),
      baseline: {
        clusters: ctx.oldClusters.map((o) => o.cluster),
        points: baselinePoints,
        counts: baselineCounts,
        hasData: baselinePoints.length > 0 || anyStarts,
        at: baselineAt.toISOString(),
      },
      deadlinePassed,
      deadlineMs: ctx.sampleDeadlineMs,
      traffic: trafficOf(target.cluster),
    }),
  );
  const worst = SEVERITY.find((o) => evidence.some((e) => e.outcome === o)) ?? 'pass';
  const deciding = evidence.filter((e) => e.outcome === worst);
  const first = deciding[0];
  const samples = {
    new: evidence.reduce((a, e) => a + (e.samples ?? 0), 0),
    ...(metric.samplesQuery ? { old: baselineCounts.samples } : {}),
    min: metric.minSamples,
  };
  // A gap is not "too few samples": it waits for the next measurement even past sampleDeadline (never a pause).
  const gapOnly = worst === 'wait' && deciding.every((e) => e.rule === 'no-data.gap');
  const outcome = gapOnly ? 'wait' : worst === 'inconclusive' || worst === 'wait' ? waitOrInconclusive(worst, deadlinePassed) : worst;
  const rule = outcome === 'inconclusive' && worst === 'wait' ? 'samples.deadline-passed' : (first?.rule ?? 'measurement.pass');
  const detail = deciding.map((e) => e.message).join('; ') || `${metric.name}: no new clusters to judge`;
  const message = outcome === 'inconclusive' && worst === 'wait' ? `${detail} after ${Math.round(ctx.sampleDeadlineMs / 1000)}s (sampleDeadline): a human must decide` : detail;
  const extra = { samples, statistics: first?.statistics, clusters: evidence };
  // A partial answer (the server's warnings: a store down) may lack exactly the series of a failing cluster or of
  // the baseline, so it never passes on its own: the metric waits for a complete answer, and past sampleDeadline
  // a human decides. A fail, error, wait or inconclusive stands (the series that did come back already say so;
  // rolling back on part of the data is the safe side) with the warning in its message.
  const partial = partialQueries(queries);
  if (partial.length > 0) {
    const said = `the answer was partial (${partial.map((q) => `${q.purpose} query for ${q.cluster}: ${(q.warnings ?? []).join('; ')}`).join('; ')})`;
    if (outcome !== 'pass') return withPowerWarnings(record(outcome, rule, `${message}; ${said}`, extra), metric, evidence);
    const stillPartial = deadlinePassed ? `and ${Math.round(ctx.sampleDeadlineMs / 1000)}s (sampleDeadline) have passed: a human must decide` : 'measuring again for a complete answer';
    return withPowerWarnings(record(waitOrInconclusive('wait', deadlinePassed), 'query.partial', `${metric.name}: would pass, but ${said}: a missing series may hide a failing cluster; ${stillPartial}`, extra), metric, evidence);
  }
  return withPowerWarnings(record(outcome, rule, message, extra), metric, evidence);
}

/**
 * How far a tiled window's queries reach back before its start, where the window ends, and the factor that takes
 * their counts back to the window. Back-to-back windows each read only their own scrapes, so a counter step between
 * one window's last scrape and the next one's first fell between them: measured on a real Prometheus
 * (prometheus-tiled-window-seams.test.ts), 4 s windows over 1 s scrapes counted 23 of 26 isolated single starts and
 * 34 of 36 failures. Reaching back one scrape interval (less 1 ms, so the scrape before that stays out) puts the
 * previous window's last scrape in this window's range: every step between two scrapes lies in exactly one window's
 * range. rate()/increase() extrapolate what the range's scrapes show to the whole range; a window of whole scrape
 * intervals (it ends up to one interval before `now`, and the next window starts there) holds one scrape more than
 * it has intervals whatever the scrapes' phase, so its scrapes span exactly the window, and counts are taken back to
 * it by its share of the range (a ratio of two such rates needs nothing). Only with analysis.scrapeInterval known;
 * without it the windows stay as they were.
 */
function seamReach(fromMs: number, nowMs: number, scrapeIntervalMs: number | undefined): { ms: number; scale: number; endMs: number } | undefined {
  if (scrapeIntervalMs === undefined || scrapeIntervalMs <= 1) return undefined;
  const whole = (spanMs: number) => Math.floor(spanMs / scrapeIntervalMs) * scrapeIntervalMs;
  // A scrape is stamped when it starts and stored when its target answered (within scrape_timeout, at most the
  // interval): read right after a stamp, the window's last scrape is not there yet, and the next window reaches back
  // only to it, so the step before it was in neither (real Prometheus, a target answering 400 ms late: 32 of 35
  // failures counted; prometheus-window-ingest-lag.test.ts). The window ends a scrape interval before `now`, where
  // every scrape is stored (Prometheus 3's query_offset), unless that leaves it under two scrapes (an interval of
  // two scrapes): then it ends as before, rather than waiting a measurement.
  const settled = whole(nowMs - scrapeIntervalMs - fromMs);
  const windowMs = settled >= 2 * scrapeIntervalMs ? settled : whole(nowMs - fromMs);
  const ms = scrapeIntervalMs - 1;
  return { ms, scale: windowMs / (windowMs + ms), endMs: fromMs + windowMs };
}

/**
 * The samples query's answer as counted: the stored starts anchored at the previous window's last sample where known,
 * else its values taken back to the window (seamReach); the record keeps what Prometheus answered.
 */
function counted(samples: FetchedQuery | undefined, scale: number, anchored?: { starts: number }): FetchedQuery | undefined {
  if (samples && anchored) return { ...samples, values: [anchored.starts] };
  return samples && scale !== 1 ? { ...samples, values: samples.values.map((v) => v * scale) } : samples;
}

function tooShort(metric: MetricConfig, ctx: MeasurementContext, tiledFrom: number): MetricDecision {
  const spanMs = ctx.now.getTime() - tiledFrom;
  const from = new Date(tiledFrom).toISOString();
  const why =
    spanMs <= 0
      ? `this measurement's time ${ctx.now.toISOString()} is not after the end of the last counted window (${from}): evaluation times out of order (a clock stepped back?)`
      : `the window since the last counted one (${from}) is only ${formatDuration(spanMs)}, shorter than ${ctx.scrapeIntervalMs !== undefined ? `two scrapes of ${formatDuration(ctx.scrapeIntervalMs)} (analysis.scrapeInterval)` : `half the metric's ${formatDuration(lookbackOf(metric, ctx.intervalMs))} window`}: the previous measurement ran late`;
  return {
    metric: metric.name,
    dryRun: metric.dryRun,
    outcome: 'wait',
    rule: WINDOW_TOO_SHORT,
    message: `${metric.dryRun ? '[dry run] ' : ''}${metric.name}: ${why}; rate()/increase() need two samples in their window, so nothing is read now and the next window starts at ${from}`,
    queries: [],
    warnings: [],
    window: { start: from, end: ctx.now.toISOString() },
  };
}

/** Says where failure or start series born in the window were counted from 0. */
function bornWarnings(births: ReadonlyMap<string, Born>, what: 'failure' | 'start'): string[] {
  return [...births].map(
    ([cluster, b]) =>
      `${cluster}: ${b.series} ${what} series began in the window: counted from 0 (${b.count} ${what}(s) that rate()/increase() miss, as they need two samples of a series; pre-initialise labelled ${what} counters to 0 to make this unnecessary)`,
  );
}

/** Says where failures were counted at the stored steps' ratio, above the query's (stored-steps.ts). */
function storedWarnings(stored: ReadonlyMap<string, { ratio: number; queried: number }>): string[] {
  return [...stored].map(
    ([cluster, s]) =>
      `${cluster}: failures counted at the stored samples' ratio ${fmt(s.ratio)}, not the query's ${fmt(s.queried)}: rate() does not extrapolate a failure counter past its zero point (its first sample in the window was 0 or low), while it does the starts`,
  );
}

/**
 * Clusters counted as 0 failures because their value query had no series while they had starts and the query
 * found series elsewhere (cluster-judge.ts): said in the record, as a renamed failure metric would look the same.
 */
function uncountedFailures(queries: readonly FetchedQuery[], births: ReadonlyMap<string, unknown>, scale: number): string[] {
  if (!queries.some((q) => q.purpose === 'value' && q.series > 0) && births.size === 0) return [];
  return queries
    .filter((q) => q.purpose === 'value' && q.series === 0 && !q.error && !births.has(q.cluster))
    .flatMap((q) => {
      const starts = queries.filter((s) => s.purpose === 'samples' && s.side === q.side && s.cluster === q.cluster).reduce((a, s) => a + s.values.reduce((x, y) => x + y, 0), 0) * scale;
      return Math.round(starts) > 0
        ? [`${q.cluster}: the value query returned no series while the cluster had ${fmt(Math.round(starts))} starts: counted as 0 failures (a labelled failure counter has no series before its first failure; a renamed failure metric would look the same)`]
        : [];
    });
}

/** Queries the server answered with warnings (a partial response). */
function partialQueries(queries: readonly FetchedQuery[]): FetchedQuery[] {
  return queries.filter((q) => (q.warnings?.length ?? 0) > 0);
}

function withPowerWarnings(decision: MetricDecision, metric: MetricConfig, evidence: readonly ClusterEvidence[]): MetricDecision {
  for (const e of evidence) if (e.statistics?.method === 'mann-whitney' && (e.statistics.n1 ?? 0) < 50) decision.warnings.push(`${metric.name} on ${e.cluster}: only ${e.statistics.n1} new and ${e.statistics.n2} baseline data points; the test has little power`);
  return decision;
}

/** Waiting past the sample deadline is inconclusive: a human decides. */
function waitOrInconclusive(worst: 'wait' | 'inconclusive', deadlinePassed: boolean): MetricOutcome {
  return worst === 'inconclusive' || deadlinePassed ? 'inconclusive' : 'wait';
}

function warningsFor(metric: MetricConfig, queries: FetchedQuery[]): string[] {
  const nan = queries.filter((q) => q.dropped > 0).map((q) => `${q.cluster}: ${q.dropped} NaN value(s) (0/0: no events) ignored in the ${q.purpose} query`);
  // A plain threshold judges a new cluster's ±Inf like any value; statistics, counts and the baseline cannot, so say
  // they were left out.
  const judged = (q: FetchedQuery) => q.side === 'new' && q.purpose === 'value' && thresholdJudgesInfinities(metric);
  const infinite = queries.filter((q) => q.infinities.length > 0 && !judged(q));
  const partial = partialQueries(queries).flatMap((q) => (q.warnings ?? []).map((w) => `${q.cluster}: partial answer to the ${q.purpose} query: ${w}`));
  const noted = queries.flatMap((q) => (q.annotations ?? []).map((a) => `${q.cluster}: Prometheus about the ${q.purpose} query: ${a}`));
  return [...partial, ...noted, ...nan, ...infinite.map((q) => `${q.cluster}: ${q.infinities.length} infinite value(s) ignored in the ${q.purpose} query`)];
}
