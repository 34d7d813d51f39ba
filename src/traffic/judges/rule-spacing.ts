/**
 * Series written by a recording rule get one sample per evaluation of its group, not per scrape. Where the group is
 * evaluated less than twice per window, a window often holds one sample (rate()/increase() answer nothing) or none,
 * on every cluster at once (one evaluation writes them all): an empty window is then no evidence against a cluster
 * nor of a broken pipeline. The pre-shift check refuses such a window (scrape-interval-check.ts); this is for a
 * shift that got past it (resumed, the group's interval changed since, a window written into the query). Asked
 * only when a value query came back empty.
 */
import { isAbortError } from '../../core/errors.js';
import { formatDuration } from '../duration.js';
import { isMetricQueryError, type MetricProvider } from '../providers/provider.js';

/** Why an empty `windowMs` says nothing about the series `selectors` select, or undefined (it does, or unknown). */
export async function sparseRuleWindow(provider: MetricProvider, selectors: readonly string[], windowMs: number, signal?: AbortSignal): Promise<string | undefined> {
  if (!provider.ruleIntervals || selectors.length === 0) return undefined;
  let rules: Awaited<ReturnType<NonNullable<MetricProvider['ruleIntervals']>>>;
  try {
    rules = await provider.ruleIntervals(selectors, { signal });
  } catch (error) {
    if (isAbortError(error) || (isMetricQueryError(error) && error.kind === 'aborted')) throw error;
    return undefined; // unknown: the no-data rules as without rules
  }
  const slowest = rules?.length ? rules.reduce((a, b) => (b.intervalMs > a.intervalMs ? b : a)) : undefined;
  if (slowest === undefined || windowMs >= 2 * slowest.intervalMs) return undefined;
  return `its series are written by the recording rule ${slowest.rule ?? '?'} of ${slowest.target}, evaluated every ${formatDuration(slowest.intervalMs)}: a ${formatDuration(windowMs)} window holds fewer than two evaluations, so an empty one is no evidence; make the window at least ${formatDuration(2 * slowest.intervalMs)} or evaluate the group more often`;
}
