/**
 * Before a shift starts: are the gates' windows at least two REAL scrapes long? `validate` checks them against
 * `analysis.scrapeInterval`, which is what the operator believes (or nothing, when it is not set). Where Prometheus
 * scrapes the jobs that expose a gate's series more slowly, a window holds fewer than two scrapes and rate()/
 * increase() answer nothing: a gate that errors on every cluster until the shift halts, or a healthy cluster's
 * "gap". So the real `scrape_interval` of those targets is read from Prometheus (providers/scrape-intervals.ts) and
 * such a window refuses the shift, naming the metric, its window, the real interval and the fix. Series written by a
 * recording rule carry no target's labels: there the rule group's evaluation interval (/api/v1/rules) spaces the
 * samples, and a window shorter than two evaluations refuses the shift the same way. Where it cannot be
 * read (series federated or remote-written under labels that are no target of this Prometheus, an endpoint not
 * served, an error) the shift goes on with a warning: the windows were checked against `scrapeInterval` only.
 */
import { isAbortError } from '../core/errors.js';
import { shortWindowProblem, type TrafficShiftConfig } from './config.js';
import { formatDuration } from './duration.js';
import { vectorSelectors } from './judges/promql-check.js';
import { resolveQuery, type QueryTarget } from './judges/query-template.js';
import { isMetricQueryError, type MetricProvider } from './providers/provider.js';

/** How far back a target must have exposed a gate's series to count as one of its targets. */
const EXPOSED_WITHIN_MS = 10 * 60_000;

interface ScrapeIntervalFindings {
  /** Windows shorter than two real scrapes: the shift must not start. */
  refusals: string[];
  /** What could not be checked, or a scrapeInterval that is not what Prometheus does. */
  warnings: string[];
}

export async function checkRealScrapeIntervals(
  config: TrafficShiftConfig,
  provider: MetricProvider,
  clusters: readonly QueryTarget[],
  signal?: AbortSignal,
): Promise<ScrapeIntervalFindings> {
  const found: ScrapeIntervalFindings = { refusals: [], warnings: [] };
  const analysis = config.analysis;
  if (!analysis || !provider.scrapeIntervals) return found;
  const configured = analysis.provider.type === 'prometheus' ? analysis.scrapeInterval : undefined;
  const said = configured === undefined ? 'analysis.scrapeInterval is not set' : `analysis.scrapeInterval says ${formatDuration(configured)}`;
  for (const m of analysis.metrics) {
    const lookbackMs = m.lookback ?? m.interval ?? config.interval;
    const windowMs = m.comparison?.method === 'mann-whitney' || m.comparison?.method === 'ratio' ? m.comparison.resolution : lookbackMs;
    const queries = [m.query, ...(m.samplesQuery ? [m.samplesQuery] : [])];
    const selectors = [...new Set(clusters.flatMap((c) => queries.flatMap((q) => vectorSelectors(resolveQuery(q, c, lookbackMs, windowMs)))))];
    const unchecked = (why: string) =>
      `${m.name}: the real scrape interval of its series cannot be read (${why}), so its windows are checked against ${configured === undefined ? 'nothing (analysis.scrapeInterval is not set)' : `analysis.scrapeInterval (${formatDuration(configured)}) only`}; a window shorter than two real scrapes holds one sample and rate()/increase() answer nothing there`;
    let intervals;
    try {
      intervals = await provider.scrapeIntervals(selectors, EXPOSED_WITHIN_MS, { signal });
    } catch (error) {
      if (isAbortError(error) || (isMetricQueryError(error) && error.kind === 'aborted')) throw error;
      found.warnings.push(unchecked(error instanceof Error ? error.message : String(error)));
      continue;
    }
    if (intervals === undefined) {
      found.warnings.push(unchecked(`${provider.description} does not serve /api/v1/targets`));
      continue;
    }
    if (intervals.length === 0) {
      found.warnings.push(unchecked(`no scrape target of ${provider.description} exposed them in the last ${formatDuration(EXPOSED_WITHIN_MS)}: federated or remote-written series, or none yet`));
      continue;
    }
    const slowest = intervals.reduce((a, b) => (b.intervalMs > a.intervalMs ? b : a));
    const real = formatDuration(slowest.intervalMs);
    // A recording rule's series get a sample per evaluation of its group: that interval, not a scrape's, spaces them.
    if (slowest.rule !== undefined) {
      const problem = shortWindowProblem(
        m,
        lookbackMs,
        slowest.intervalMs,
        `(the evaluation interval of ${slowest.target}, whose recording rule ${slowest.rule} writes its series)`,
        ', or evaluate that rule group more often (its interval)',
        'evaluation',
      );
      if (problem) found.refusals.push(problem.message);
      continue;
    }
    const problem = shortWindowProblem(
      m,
      lookbackMs,
      slowest.intervalMs,
      `(Prometheus' real scrape interval of ${slowest.target}, which exposes its series; ${said})`,
      configured === slowest.intervalMs ? '' : `, and set analysis.scrapeInterval to ${real} so that validate checks the windows against what Prometheus does`,
    );
    if (problem) found.refusals.push(problem.message);
    else if (configured !== undefined && configured < slowest.intervalMs) {
      found.warnings.push(
        `${m.name}: Prometheus scrapes ${slowest.target}, which exposes its series, every ${real}, but ${said}: the no-data rules count scrapes with it (an empty window of "3 scrapes" may be one missed scrape); set analysis.scrapeInterval to ${real}`,
      );
    }
  }
  return found;
}
