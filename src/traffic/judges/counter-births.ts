/**
 * A failure ratio's first failures, which rate()/increase() never see. They need two samples of a series: a
 * labelled failure counter (client_golang's CounterVec) has no series before its first failure and appears at 1,
 * so that failure is no increase (documented Prometheus semantics), and a new cluster's first failure of each
 * series (per reason, per pod) is lost; where it is the cluster's only failure series the value query is empty
 * and the judge counts 0 failures. Pre-initialised counters (exported as 0 from the start) do not have this.
 *
 * The judge counts such a series from 0: for the failure part of the ratio (the left side of its top-level `/`),
 * the series that have a sample in the window and none in the hour before it were born in the window, and their
 * smallest value there is what rate() missed. A series seen within that hour is never counted so (a target that
 * was not scraped for a while resumes with its old total): no failure is counted that did not happen in the window.
 *
 * A target first scraped in the window (a new `instance`) brings its series at the totals since its process started.
 * That is a new pod's count (a ws-manager pod rescheduled or added mid-shift: its first failures are the canary's
 * and no earlier window saw them) when its process started in the window or shortly before it, and a lifetime total
 * otherwise (Prometheus restarted on a lost TSDB, an old process new to service discovery). The target's
 * `process_start_time_seconds` (client_golang's process collector, controller-runtime's registry: ws-manager exports
 * it) tells them apart; a target without it is counted so when its job was scraped before the window (so the TSDB
 * was not lost), as a new pod.
 * The same start time marks a ws-manager container restarted in its pod (same `instance`, counters from 0): its series
 * are judged against what was seen under the current process only (sinceProcessStart).
 *
 * The starts (the ratio's denominator, the samplesQuery) lose their first start the same way when their counter is
 * labelled (per workspace class, per pod). Left uncorrected, that makes a healthy cluster look worse than it is:
 * its failures are counted from 0 but its starts are not, so a series' first start that failed reads as 1 failure
 * of 0 starts from that series (e.g. 1 of 1 where 1 of 2 happened; with many labels, 2 of 10 where 2 of 40 did).
 * So a samplesQuery that only adds counters up is counted from 0 as well.
 */
import { parser } from '@prometheus-io/lezer-promql';
import type { MetricProvider } from '../providers/provider.js';
import { vectorSelectors } from './promql-check.js';

/** How long a series must have been absent before the window to count as born in it. */
const UNSEEN_BEFORE_MS = 60 * 60_000;

/**
 * How long before the window (at least; a longer window's own length) the process of a target first scraped in it may
 * have started for its series to count as born: a new pod is first scraped once service discovery has seen it and its
 * scrape comes round (seconds, up to a minute or two with slow intervals), while a lost TSDB or an old process new to
 * service discovery brings totals of a process that has run far longer. A process that started within this of the
 * window yet was not scraped before it counted nothing any window saw.
 */
const NEW_PROCESS_BEFORE_MS = 2 * 60_000;

/** The failure part of a ratio query: the left operand of its outermost `/`, or undefined for another shape. */
export function failurePart(query: string): string | undefined {
  let node = parser.parse(query).topNode.firstChild;
  while (node?.name === 'ParenExpr') node = node.firstChild;
  if (node?.name !== 'BinaryExpr') return undefined;
  const left = node.firstChild;
  const op = left?.nextSibling;
  if (!left || !op || query.slice(op.from, op.to).trim() !== '/') return undefined;
  return query.slice(left.from, left.to);
}

/**
 * Whether a samplesQuery only adds counters up (`sum(increase(starts[…]))`, `+`, `or`): then every series it reads
 * counts starts, and a series' missed first start belongs to the count. Any other operator (a difference, a ratio)
 * could turn an added start into a wrong one: left as it is.
 */
export function onlyAddsUp(query: string): boolean {
  let adds = true;
  parser.parse(query).iterate({
    enter: (node) => {
      if (node.type.isError) adds = false;
      if (!adds || node.type.name !== 'BinaryExpr') return adds ? undefined : false;
      const op = node.node.firstChild?.nextSibling;
      if (!op || !['+', 'or'].includes(query.slice(op.from, op.to).trim().toLowerCase())) adds = false;
      return undefined;
    },
  });
  return adds;
}

/** The events rate() missed in the window (series born in it), and how many series. */
export interface Born {
  count: number;
  series: number;
}

/** The failures rate() missed in the window (failure series born in it); undefined for a query of another shape; throws when the query fails. */
export async function bornFailures(provider: MetricProvider, valueQuery: string, windowMs: number, at: Date, signal?: AbortSignal): Promise<Born | undefined> {
  const part = failurePart(valueQuery);
  return bornIn(provider, part === undefined ? [] : vectorSelectors(part), windowMs, at, signal);
}

/** The starts increase() missed in the window (start series born in it) of a samplesQuery that adds counters up; throws like bornFailures. */
export async function bornStarts(provider: MetricProvider, samplesQuery: string, windowMs: number, at: Date, signal?: AbortSignal): Promise<Born | undefined> {
  return bornIn(provider, onlyAddsUp(samplesQuery) ? vectorSelectors(samplesQuery) : [], windowMs, at, signal);
}

async function bornIn(provider: MetricProvider, selectors: readonly string[], windowMs: number, at: Date, signal?: AbortSignal): Promise<Born | undefined> {
  if (selectors.length === 0) return undefined;
  const ms = (n: number) => `${Math.max(1, Math.round(n))}ms`;
  // One query per selector: min_over_time drops the metric name, and `or` would merge two counters' equal labels.
  // A failed one throws: what it would have counted is unknown, not 0 (a canary's only failures may be born here).
  // A series is born only where its target (job, instance) was scraped before the window too, or its process started
  // in the window or shortly before it (a new pod), or it does not say when and its job was scraped before the window
  // (below): any other target first scraped in the window (Prometheus restarted on a lost TSDB, an old process new to
  // service discovery) brings every series at the total counted since its process started, with no sample before; taken for born, that
  // whole history (a new cluster's failed first starts while it was set up) entered one window. Series of no target
  // of this Prometheus (federated, remote-written) match no `up` and are judged as before.
  const w = ms(windowMs);
  const since = (Math.max(windowMs, NEW_PROCESS_BEFORE_MS) + windowMs) / 1000;
  const newProcesses = `(max by (job, instance) (last_over_time(process_start_time_seconds[${w}])) >= time() - ${since})`;
  const newTargets = `(group by (job, instance) (last_over_time(up[${w}])) unless on (job, instance) last_over_time(up[${ms(UNSEEN_BEFORE_MS)}] offset ${w}))`;
  // Targets whose process has run longer: a series is born when it was not seen in the hour before the window.
  const longRunning = (s: string) => `min_over_time(${s}[${w}]) unless last_over_time(${s}[${ms(UNSEEN_BEFORE_MS)}] offset ${w}) unless on (job, instance) ${newTargets} unless on (job, instance) ${newProcesses}`;
  // A new target that does not say when its process started (an exporter or a proxy without client_golang's process
  // collector) is a new pod when another target of its job was scraped in the hour before the window: this Prometheus
  // kept its data, so the target is new to it, not Prometheus new to the target (after a lost TSDB no job has an `up`
  // before the window; a renamed job has none either). Its first sample counts what its process did before any window
  // saw it, the canary's. An old process newly discovered under a known job is counted the same (no start time tells it
  // apart): failures that may be older, the safe side.
  const unannounced = `(${newTargets} unless on (job, instance) last_over_time(process_start_time_seconds[${w}]) and on (job) group by (job) (last_over_time(up[${ms(UNSEEN_BEFORE_MS)}] offset ${w})))`;
  const newWithoutStartTime = (s: string) => `min_over_time(${s}[${w}]) and on (job, instance) ${unannounced}`;
  const answers = await Promise.all(
    selectors.map((s) => provider.instant(`(${longRunning(s)}) or (${sinceProcessStart(s, windowMs)}) or (${newWithoutStartTime(s)})`, { time: at, signal })),
  );
  const values = answers.flat().flatMap((s) => s.points.map((p) => p[1])).filter((v) => Number.isFinite(v) && v > 0);
  return { count: Math.round(values.reduce((a, b) => a + b, 0)), series: values.length };
}

/**
 * The series born in the window of targets whose process started in it or shortly before it (NEW_PROCESS_BEFORE_MS): a
 * new pod, or a container restarted in its pod (same `instance`, counters from 0). There a series seen before the window
 * under an earlier process says nothing: a labelled failure series goes stale at the restart and comes back at its
 * first failures after it, and where its samples before the restart are outside the window rate() sees [n, n, …], no
 * increase. So such a series is born when it was not seen before the window under the target's current process: at
 * each step of a subquery (and at the window's start) its samples are taken only where the target's
 * `process_start_time_seconds` was the one it has at the window's end, in Prometheus' own time (the scrape that first
 * brings the new start time is the one that marks the old series stale), so no clock of the node is compared with
 * Prometheus'. A series reset in the window (its samples before the restart inside it) is counted by rate()'s reset
 * detection: not counted again.
 */
function sinceProcessStart(s: string, windowMs: number): string {
  const ms = (n: number) => `${Math.max(1, Math.round(n))}ms`;
  const w = ms(windowMs);
  const reach = Math.max(windowMs, NEW_PROCESS_BEFORE_MS);
  const since = (reach + windowMs) / 1000;
  const current = `max by (job, instance) (last_over_time(process_start_time_seconds[${w}] @ end()))`;
  const recent = `(${current} >= time() - ${since})`;
  const underCurrent = (offset: string) => `(${s}${offset} and on (job, instance) (max by (job, instance) (process_start_time_seconds${offset}) == on (job, instance) ${current}))`;
  // The subquery's 1 s steps reach back past the process start by a minute (the node's clock may be off Prometheus');
  // a series sampled after its last step and before the window is alive at the window's start: the instant check.
  const seenBefore = `last_over_time(${underCurrent('')}[${ms(reach + 60_000)}:1s] offset ${w})`;
  return `(min_over_time(${s}[${w}]) and on (job, instance) ${recent}) unless resets(${s}[${w}]) > 0 unless ${seenBefore} unless ${underCurrent(` offset ${w}`)}`;
}
