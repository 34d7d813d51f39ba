/**
 * Whether the fast "stopped reporting" rule may trust a canary's empty window (cluster-judge.ts): it assumes the
 * canary's own scrape targets were scraped, successfully, throughout the window, so a live cluster has ≥ 2 samples
 * there even after one missed scrape. A Prometheus restart or stall breaks that for every target at once (they
 * resume at their own offsets: a live new cluster may have one sample, no rate(), where the old clusters have two);
 * a hung exporter or failing scrapes of the canary's target break it for that target alone, while every other job
 * keeps `up` full. Either way the empty window is no evidence against the cluster. Asked only when the rule would fire.
 */
import { isAbortError } from '../../core/errors.js';
import { formatDuration } from '../duration.js';
import { isMetricQueryError, type MetricProvider } from '../providers/provider.js';

/**
 * How far before the window the canary's targets are looked for: its series were in an earlier measurement's
 * window (a fast rule fires only after one with series); one older than this leaves the slower rule (a gap first).
 */
const TARGET_SPAN_MS = 10 * 60_000;

/**
 * Undefined when every target that exposed the canary's `selectors` was scraped successfully throughout the
 * `windowMs` ending at `at`, or the provider cannot tell (a model without outages); otherwise why the empty
 * window is no evidence.
 */
export async function scrapingInterruption(
  provider: MetricProvider,
  selectors: readonly string[],
  windowMs: number,
  scrapeIntervalMs: number,
  at: Date,
  signal?: AbortSignal,
): Promise<string | undefined> {
  if (!provider.targetScrapes) return undefined;
  const expected = Math.floor(windowMs / scrapeIntervalMs);
  const window = `the ${formatDuration(windowMs)} window`;
  try {
    // A restart inside the window says it alone; a target scraped faster than scrapeInterval could keep a full count.
    const started = await provider.startedAt?.({ signal }).catch((error: unknown) => {
      if (isAbortError(error) || (isMetricQueryError(error) && error.kind === 'aborted')) throw error;
      return undefined; // not served (Thanos, a gateway): up's count still tells
    });
    if (started && started.getTime() > at.getTime() - windowMs) {
      return `Prometheus (re)started at ${started.toISOString()}, inside ${window}, and the targets resumed at their own scrape offsets`;
    }
    const fewest = await provider.targetScrapes(selectors, windowMs, windowMs + TARGET_SPAN_MS, { time: at, signal });
    if (fewest !== undefined && fewest >= expected) return undefined;
    const seen =
      fewest === undefined
        ? `no target that exposed its series has samples of up there: gone from service discovery, or its series are not scraped by this Prometheus`
        : `a target that exposed its series had ${fewest} successful scrapes (up = 1) of ${expected} of ${formatDuration(scrapeIntervalMs)}: its exporter hung or failed, or Prometheus stalled or restarted`;
    return `its scrape targets were not scraped throughout ${window} (${seen})`;
  } catch (error) {
    if (isAbortError(error) || (isMetricQueryError(error) && error.kind === 'aborted')) throw error;
    const message = error instanceof Error ? error.message : String(error);
    return `whether its scrape targets were scraped throughout ${window} is unknown (sum_over_time(up[…]) failed: ${message})`;
  }
}
