/**
 * Whether the fast "stopped reporting" rule may trust an empty window (cluster-judge.ts): it assumes the pipeline
 * scraped throughout the window, so a live cluster has ≥ 2 samples there even after one missed scrape. A Prometheus
 * restart or stall breaks that for every target at once, and the targets resume at their own offsets: a live new
 * cluster may have one sample (no rate()) where the old clusters have two. Asked only when the rule would fire.
 */
import { isAbortError } from '../../core/errors.js';
import { formatDuration } from '../duration.js';
import { isMetricQueryError, type MetricProvider } from '../providers/provider.js';

/**
 * Undefined when the pipeline scraped throughout the `windowMs` ending at `at` (some target has every scrape of
 * it), or the provider cannot tell (a model without outages); otherwise why the empty window is no evidence.
 */
export async function scrapingInterruption(provider: MetricProvider, windowMs: number, scrapeIntervalMs: number, at: Date, signal?: AbortSignal): Promise<string | undefined> {
  if (!provider.scrapesInWindow) return undefined;
  const expected = Math.floor(windowMs / scrapeIntervalMs);
  const window = `the ${formatDuration(windowMs)} window`;
  try {
    // A restart inside the window says it alone; a job scraping faster than scrapeInterval could keep up's count full.
    const started = await provider.startedAt?.({ signal }).catch((error: unknown) => {
      if (isAbortError(error) || (isMetricQueryError(error) && error.kind === 'aborted')) throw error;
      return undefined; // not served (Thanos, a gateway): up's count still tells
    });
    if (started && started.getTime() > at.getTime() - windowMs) {
      return `Prometheus (re)started at ${started.toISOString()}, inside ${window}, and the targets resumed at their own scrape offsets`;
    }
    const best = await provider.scrapesInWindow(windowMs, { time: at, signal });
    if (best !== undefined && best >= expected) return undefined;
    const seen = best === undefined ? 'no target has samples of up' : `the best-scraped target has ${best} samples of up`;
    return `Prometheus did not scrape throughout ${window} (${seen}, ${expected} scrapes of ${formatDuration(scrapeIntervalMs)} expected: a restart or a stall of Prometheus)`;
  } catch (error) {
    if (isAbortError(error) || (isMetricQueryError(error) && error.kind === 'aborted')) throw error;
    const message = error instanceof Error ? error.message : String(error);
    return `whether Prometheus scraped throughout ${window} is unknown (max(count_over_time(up[…])) failed: ${message})`;
  }
}
