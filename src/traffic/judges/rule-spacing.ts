/**
 * Series written by a recording rule get one sample per evaluation of its group, not per scrape. Where the group is
 * evaluated less than twice per window, a window often holds one sample (rate()/increase() answer nothing) or none,
 * on every cluster at once (one evaluation writes them all): an empty window is then no evidence against a cluster
 * nor of a broken pipeline. The pre-shift check refuses such a window (scrape-interval-check.ts); this is for a
 * shift that got past it (resumed, the group's interval changed since, a window written into the query). Asked
 * only when a value query came back empty. The same spacing is what the fast "stopped reporting" rule counts for
 * such series (ruleSeriesSpacing below): evaluations of the group, not scrapes of a target they do not come from.
 */
import { isAbortError } from '../../core/errors.js';
import { formatDuration } from '../duration.js';
import { isMetricQueryError, type MetricProvider } from '../providers/provider.js';
import { selectorMetricName } from '../providers/scrape-intervals.js';
import { vectorSelectors } from './promql-check.js';

type RecordingRules = Awaited<ReturnType<NonNullable<MetricProvider['ruleIntervals']>>>;

/** The recording rules that write `selectors`, or undefined when the provider cannot say (an abort is rethrown). */
async function recordingRules(provider: MetricProvider, selectors: readonly string[], signal?: AbortSignal): Promise<RecordingRules | undefined> {
  if (!provider.ruleIntervals || selectors.length === 0) return undefined;
  try {
    return await provider.ruleIntervals(selectors, { signal });
  } catch (error) {
    if (isAbortError(error) || (isMetricQueryError(error) && error.kind === 'aborted')) throw error;
    return undefined;
  }
}

/** Why an empty `windowMs` says nothing about the series `selectors` select, or undefined (it does, or unknown). */
export async function sparseRuleWindow(provider: MetricProvider, selectors: readonly string[], windowMs: number, signal?: AbortSignal): Promise<string | undefined> {
  const rules = await recordingRules(provider, selectors, signal); // unknown: the no-data rules as without rules
  const slowest = rules?.length ? rules.reduce((a, b) => (b.intervalMs > a.intervalMs ? b : a)) : undefined;
  if (slowest === undefined || windowMs >= 2 * slowest.intervalMs) return undefined;
  return `its series are written by the recording rule ${slowest.rule ?? '?'} of ${slowest.target}, evaluated every ${formatDuration(slowest.intervalMs)}: a ${formatDuration(windowMs)} window holds fewer than two evaluations, so an empty one is no evidence; make the window at least ${formatDuration(2 * slowest.intervalMs)} or evaluate the group more often`;
}

/** How a canary's recording-rule series are spaced, for the fast "stopped reporting" rule (metric-judge.ts). */
export interface RuleSeriesSpacing {
  /** The slowest evaluation interval of the rule groups that write any of the selectors. */
  intervalMs: number;
  /** That group, as `/api/v1/rules` names it (`rule group "ws" (file)`). */
  group: string;
  /** The selectors no recording rule writes (scraped series, spaced by the scrape interval). */
  scraped: string[];
  /** The series the rules read (their inputs): their targets must have been scraped throughout the window. */
  inputs: string[];
  /** Set when a rule reports itself unhealthy (its evaluations fail): why its series' absence says nothing. */
  unhealthy?: string;
}

/**
 * Undefined when no recording rule of the provider writes any of `selectors` (or it cannot say): their spacing is
 * the scrape interval's. Otherwise the rule groups' evaluation interval spaces them: a window of three evaluations
 * holds two after one missed evaluation, as three scrapes do for a scraped series.
 */
export async function ruleSeriesSpacing(
  provider: MetricProvider,
  selectors: readonly string[],
  signal?: AbortSignal,
): Promise<RuleSeriesSpacing | undefined> {
  // Unknown: judged as scraped series (whose own-target check then finds no target: the slower rule).
  const rules = await recordingRules(provider, selectors, signal);
  if (!rules || rules.length === 0) return undefined;
  const slowest = rules.reduce((a, b) => (b.intervalMs > a.intervalMs ? b : a));
  const written = new Set(rules.map((r) => r.rule));
  const sick = rules.find((r) => r.health !== undefined && r.health !== 'ok');
  return {
    intervalMs: slowest.intervalMs,
    group: slowest.target,
    scraped: selectors.filter((s) => !written.has(selectorMetricName(s))),
    inputs: [...new Set(rules.flatMap((r) => (r.query ? vectorSelectors(r.query) : [])))],
    ...(sick ? { unhealthy: `its recording rule ${sick.rule ?? '?'} of ${sick.target} is unhealthy (${sick.health}${sick.lastError ? `: ${sick.lastError}` : ''}), so its series' absence says nothing of the cluster` } : {}),
  };
}
