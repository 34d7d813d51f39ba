/**
 * The suite's figures: precision and recall of "roll back" (a rollback is a
 * positive; a pause is not), the median time to detect over the rollbacks of
 * bad scenarios (in shift intervals; wall-clock and scheduled, see
 * run-scenario.ts), and the outcome mix per label.
 */
import type { ScenarioResult } from './run-scenario.js';

export interface Summary {
  scenarios: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  precision: number;
  recall: number;
  /** Wall clock: to when the deciding measurement ran. */
  medianDetectIntervals: number;
  maxDetectIntervals: number;
  /** Scheduled: to when the controller's schedule set the deciding measurement (load-independent). */
  medianScheduledDetectIntervals: number;
  maxScheduledDetectIntervals: number;
  /** Per label: how many scenarios ended in each outcome. */
  confusion: Record<string, Record<string, number>>;
}

export function median(xs: readonly number[]): number {
  const a = [...xs].sort((x, y) => x - y);
  if (a.length === 0) return Number.NaN;
  const mid = a.length >> 1;
  return a.length % 2 === 1 ? (a[mid] as number) : ((a[mid - 1] as number) + (a[mid] as number)) / 2;
}

export function summarise(results: readonly ScenarioResult[], _intervalMs: number): Summary {
  const positive = (r: ScenarioResult) => r.outcome === 'roll back';
  const tp = results.filter((r) => r.label === 'roll back' && positive(r)).length;
  const fp = results.filter((r) => r.label !== 'roll back' && positive(r)).length;
  const fn = results.filter((r) => r.label === 'roll back' && !positive(r)).length;
  const detect = results.filter((r) => r.label === 'roll back' && positive(r) && r.detectIntervals !== undefined).map((r) => r.detectIntervals as number);
  const scheduled = results.filter((r) => r.label === 'roll back' && positive(r) && r.detectScheduledIntervals !== undefined).map((r) => r.detectScheduledIntervals as number);
  const confusion: Summary['confusion'] = {};
  for (const r of results) {
    const row = (confusion[r.label] ??= {});
    row[r.outcome] = (row[r.outcome] ?? 0) + 1;
  }
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    scenarios: results.length,
    truePositives: tp,
    falsePositives: fp,
    falseNegatives: fn,
    precision: tp + fp === 0 ? 0 : round(tp / (tp + fp)),
    recall: tp + fn === 0 ? 0 : round(tp / (tp + fn)),
    medianDetectIntervals: round(median(detect)),
    maxDetectIntervals: round(Math.max(...detect)),
    medianScheduledDetectIntervals: round(median(scheduled)),
    maxScheduledDetectIntervals: round(Math.max(...scheduled)),
    confusion,
  };
}
