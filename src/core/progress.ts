/**
 * A step's sub-phase (`terraform apply 12/31 resources`, `helm: waiting for 3
 * rollouts`) as `step.progress` events. They are journaled
 * (engine/journaled-events.ts), because `status --watch` is another process that
 * reads the journal alone — so they are throttled: at most one per
 * `minIntervalMs` per step, plus the last one of a phase (`final`), and never the
 * same text twice in a row. A 31-resource apply then adds a handful of records,
 * not one per terraform line.
 */
import type { EventSink } from './events.js';

export const PROGRESS_CODE = 'step.progress';

interface ProgressScope {
  sink?: EventSink;
  cluster?: string;
  step?: string;
}

export interface ProgressReporter {
  /** Reports `text`; dropped when the last report was under the interval ago, unless `final`. */
  report(text: string, options?: { final?: boolean }): void;
}

export function progressReporter(scope: ProgressScope, options: { minIntervalMs?: number; now?: () => number } = {}): ProgressReporter {
  const minIntervalMs = options.minIntervalMs ?? 1_000;
  const now = options.now ?? Date.now;
  let lastAt = Number.NEGATIVE_INFINITY;
  let lastText: string | undefined;
  return {
    report(text, { final = false } = {}) {
      if (!scope.sink || text === lastText) return;
      const t = now();
      if (!final && t - lastAt < minIntervalMs) return;
      lastAt = t;
      lastText = text;
      // debug: a CI log needs no line per sub-phase; the journal (and so the watch) gets every one sent.
      scope.sink.emit({ level: 'debug', code: PROGRESS_CODE, cluster: scope.cluster, step: scope.step, message: text, data: { phase: text } });
    },
  };
}
