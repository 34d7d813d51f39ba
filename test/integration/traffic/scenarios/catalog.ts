/**
 * The labelled scenarios of the real-Prometheus suite (issue #10): each names a
 * gate config close to the README's, the traffic of the old (generation 1) and
 * new (generation 2) cluster, the changes made when the shift reaches a stage,
 * and the outcome a sound analysis must reach:
 *
 * - `promote`: the new generation is fine (also when the OLD one degrades);
 * - `roll back`: it is worse, vanished, never reported, or the metrics pipeline broke (halt);
 * - `pause-for-human`: the evidence cannot decide (too few starts by sampleDeadline);
 * - `fail-first-generation`: a first generation fails its threshold gates during the watch.
 *
 * Margins: every bad cluster is far beyond its gate (30 % failures against max 5 %,
 * start times 5× slower), every good one far within (1 %), so CPU starvation (late
 * scrapes, late queries) delays a verdict but cannot flip it.
 */
import type { Ramp, Traffic } from '../scenario-exporter.js';

export type Label = 'promote' | 'roll back' | 'pause-for-human' | 'fail-first-generation';

/** When a change applies: the shift's first step, its second (100 %), or the bake. */
export type Stage = 'step1' | 'step2' | 'bake';

export interface Change {
  at: Stage;
  old?: Partial<Traffic>;
  new?: Partial<Traffic>;
  /** The whole scenario's series vanish (scraping broke). */
  scrapeBroken?: boolean;
  /** The bad behaviour starts with this change: time to detect counts from here. */
  bad?: boolean;
}

export type ConfigName = 'ratio' | 'ratio-limit1' | 'ratio-mw' | 'ratio-p95' | 'p95-only' | 'bake-compare' | 'ratio-watch' | 'p95-watch' | 'ratio-short-deadline' | 'ratio-errors';

export interface Scenario {
  id: string;
  name: string;
  /** The scenario class. */
  kind: string;
  config: ConfigName;
  label: Label;
  /** Total workspace starts per second; split between old and new by the step's percent. */
  rate: number;
  /** Both generations' traffic before any change (generation 1 = old, generation 2 = new). */
  old?: Partial<Traffic>;
  new?: Partial<Traffic>;
  /** Generation 1 is judged by itself (firstGenerationWatch) and is bad from the start. */
  firstGenerationBad?: boolean;
  /** The provider points at a port nobody listens on. */
  prometheusDown?: boolean;
  changes?: Change[];
}

const SPIKE: Partial<Traffic> = { failureRatio: 0.3 };
const SLOW: Partial<Traffic> = { latencyMedian: 40 };
const NOISY: Partial<Traffic> = { noisy: true, latencySigma: 0.5 };
const RAMP: Ramp = { from: 0.01, perSecond: 0.04, max: 0.4 };
const HIGH = 40;
const LOW = 5;

const list: Array<Omit<Scenario, 'id'>> = [
  // healthy: every config promotes on its own, including the bake with comparison metrics
  { name: 'healthy, failure ratio', kind: 'healthy', config: 'ratio', label: 'promote', rate: HIGH },
  { name: 'healthy, failure ratio with failureLimit 1', kind: 'healthy', config: 'ratio-limit1', label: 'promote', rate: HIGH },
  { name: 'healthy, ratio + p95 Mann-Whitney', kind: 'healthy', config: 'ratio-mw', label: 'promote', rate: HIGH },
  { name: 'healthy, ratio + p95 threshold', kind: 'healthy', config: 'ratio-p95', label: 'promote', rate: HIGH },
  { name: 'healthy, bake + comparison metrics', kind: 'healthy', config: 'bake-compare', label: 'promote', rate: HIGH },
  // healthy but noisy: Poisson traffic wobbling ±50 %, binomial failures, wider start times
  { name: 'noisy, failure ratio', kind: 'healthy but noisy', config: 'ratio', label: 'promote', rate: HIGH, old: NOISY, new: NOISY },
  { name: 'noisy, ratio + p95 Mann-Whitney', kind: 'healthy but noisy', config: 'ratio-mw', label: 'promote', rate: HIGH, old: NOISY, new: NOISY },
  { name: 'noisy, bake + comparison metrics', kind: 'healthy but noisy', config: 'bake-compare', label: 'promote', rate: HIGH, old: NOISY, new: NOISY },
  // error spike
  { name: 'spike at the first step, failure ratio', kind: 'error spike', config: 'ratio', label: 'roll back', rate: HIGH, changes: [{ at: 'step1', new: SPIKE, bad: true }] },
  { name: 'spike at the first step, failureLimit 1', kind: 'error spike', config: 'ratio-limit1', label: 'roll back', rate: HIGH, changes: [{ at: 'step1', new: SPIKE, bad: true }] },
  { name: 'spike at the first step, ratio + Mann-Whitney', kind: 'error spike', config: 'ratio-mw', label: 'roll back', rate: HIGH, changes: [{ at: 'step1', new: SPIKE, bad: true }] },
  { name: 'spike at the first step, ratio + p95 threshold', kind: 'error spike', config: 'ratio-p95', label: 'roll back', rate: HIGH, changes: [{ at: 'step1', new: SPIKE, bad: true }] },
  { name: 'moderate spike (15 %) at the first step', kind: 'error spike', config: 'ratio', label: 'roll back', rate: HIGH, changes: [{ at: 'step1', new: { failureRatio: 0.15 }, bad: true }] },
  { name: 'spike at 100 %, failure ratio', kind: 'error spike', config: 'ratio', label: 'roll back', rate: HIGH, changes: [{ at: 'step2', new: SPIKE, bad: true }] },
  { name: 'spike at 100 %, bake + comparison', kind: 'error spike', config: 'bake-compare', label: 'roll back', rate: HIGH, changes: [{ at: 'step2', new: SPIKE, bad: true }] },
  { name: 'spike in the bake', kind: 'error spike', config: 'bake-compare', label: 'roll back', rate: HIGH, changes: [{ at: 'bake', new: SPIKE, bad: true }] },
  // slow error ramp: +4 points a second from 1 %
  { name: 'ramp from the first step', kind: 'slow error ramp', config: 'ratio', label: 'roll back', rate: HIGH, changes: [{ at: 'step1', new: { failureRatio: RAMP }, bad: true }] },
  { name: 'ramp at 100 %, failureLimit 1', kind: 'slow error ramp', config: 'ratio-limit1', label: 'roll back', rate: HIGH, changes: [{ at: 'step2', new: { failureRatio: RAMP }, bad: true }] },
  // latency regression only: starts succeed, 5× slower
  { name: 'slow starts, Mann-Whitney', kind: 'latency regression only', config: 'ratio-mw', label: 'roll back', rate: HIGH, changes: [{ at: 'step1', new: SLOW, bad: true }] },
  { name: 'slow starts, p95 threshold', kind: 'latency regression only', config: 'ratio-p95', label: 'roll back', rate: HIGH, changes: [{ at: 'step1', new: SLOW, bad: true }] },
  { name: 'slow starts, bake + comparison', kind: 'latency regression only', config: 'bake-compare', label: 'roll back', rate: HIGH, changes: [{ at: 'step1', new: SLOW, bad: true }] },
  // series vanish
  { name: 'new cluster vanishes at 100 %', kind: 'series vanish', config: 'ratio', label: 'roll back', rate: HIGH, changes: [{ at: 'step2', new: { visible: false }, bad: true }] },
  { name: 'new cluster vanishes at 100 %, ratio + Mann-Whitney', kind: 'series vanish', config: 'ratio-mw', label: 'roll back', rate: HIGH, changes: [{ at: 'step2', new: { visible: false }, bad: true }] },
  // never reports
  { name: 'new cluster never reports', kind: 'never reports', config: 'ratio-short-deadline', label: 'roll back', rate: HIGH, new: { visible: false }, changes: [{ at: 'step1', bad: true }] },
  // old generation degrades while new is fine. Diagnosis of the CI rollback of s27 (mann-whitney.worse): at 50 % the
  // baseline is the old cluster's CURRENT values (degraded: p95 ≈ 30 against the new's 13, U = 0, p = 1); at 100 % and in
  // the bake it is the old cluster's window BEFORE the shift began (decision records: baseline.at = shiftStartedAt, values
  // of a healthy cluster), so the comparison there is healthy against healthy, as in s03/s05. The direction and the
  // window are right; a "worse" verdict there is a false alarm of the healthy comparison (measured ≈ 0.4–0.5 % per
  // comparison at confidence 0.99, BENCHMARKS §6), not something the old generation's degradation causes.
  { name: 'old degrades, failure ratio', kind: 'old degrades', config: 'ratio', label: 'promote', rate: HIGH, changes: [{ at: 'step1', old: { failureRatio: 0.2, latencyMedian: 20 } }] },
  { name: 'old degrades, ratio + Mann-Whitney', kind: 'old degrades', config: 'ratio-mw', label: 'promote', rate: HIGH, changes: [{ at: 'step1', old: { failureRatio: 0.2, latencyMedian: 20 } }] },
  { name: 'old degrades, bake + comparison', kind: 'old degrades', config: 'bake-compare', label: 'promote', rate: HIGH, changes: [{ at: 'step1', old: { failureRatio: 0.2, latencyMedian: 20 } }] },
  // low traffic: counts add up over the step until the evidence decides
  { name: 'low traffic, healthy', kind: 'low traffic', config: 'ratio', label: 'promote', rate: LOW },
  { name: 'low traffic, spike', kind: 'low traffic', config: 'ratio', label: 'roll back', rate: LOW, changes: [{ at: 'step1', new: SPIKE, bad: true }] },
  // Poisson starts at 0.5/s on the new cluster: some 4 s windows have none, and their p95 is NaN (0/0), not "dead"
  { name: 'sparse starts, p95 threshold without samplesQuery', kind: 'low traffic', config: 'p95-only', label: 'promote', rate: 1, old: NOISY, new: NOISY },
  // 0.75 starts/s on the new cluster: ~9 by the 12 s deadline (never 20, even if load delays the measurement to 20 s),
  // yet ~3 in every window, so the new cluster is never "without traffic".
  { name: 'trickle: too few starts by the deadline', kind: 'low traffic', config: 'ratio-short-deadline', label: 'pause-for-human', rate: 1.5 },
  // metrics pipeline down: a halt rolls back
  // At 50 % both sides are current: no series anywhere is "pipeline broken" (error, halt). At 100 % the baseline is
  // read from before the shift; the judge then asks the old cluster's CURRENT series (a liveness query): gone too,
  // so it is the pipeline (no-data.pipeline, error, halt), not the new cluster stopping.
  { name: 'scraping breaks at the first step', kind: 'metrics pipeline down', config: 'ratio-errors', label: 'roll back', rate: HIGH, changes: [{ at: 'step1', scrapeBroken: true, bad: true }] },
  { name: 'prometheus unreachable', kind: 'metrics pipeline down', config: 'ratio-errors', label: 'roll back', rate: HIGH, prometheusDown: true, changes: [{ at: 'step1', bad: true }] },
  // first generation
  { name: 'first generation fails starts', kind: 'first generation bad', config: 'ratio-watch', label: 'fail-first-generation', rate: HIGH, old: SPIKE, firstGenerationBad: true },
  { name: 'first generation starts slowly', kind: 'first generation bad', config: 'p95-watch', label: 'fail-first-generation', rate: HIGH, old: SLOW, firstGenerationBad: true },
  { name: 'first generation watched and healthy, then a healthy shift', kind: 'healthy', config: 'ratio-watch', label: 'promote', rate: HIGH },
  // (appended: ids of the scenarios above stay as in BENCHMARKS.md §6) the break at 100 %, see "metrics pipeline down"
  { name: 'scraping breaks at 100 %', kind: 'metrics pipeline down', config: 'ratio-errors', label: 'roll back', rate: HIGH, changes: [{ at: 'step2', scrapeBroken: true, bad: true }] },
];

export const SCENARIOS: Scenario[] = list.map((s, i) => ({ id: `s${String(i + 1).padStart(2, '0')}`, ...s }));

/** The shift's interval in every config: time to detect is counted in these. */
export const INTERVAL_MS = 4_000;
