/**
 * Rollback of a shift. Instant: one flip on every meta cluster in parallel — new
 * clusters score 0 and cordoned (staff constraint removed), old clusters back to
 * their saved scores and cordon state. Gradual: equal steps down over
 * `rollback.duration` first, then the same flip (Argo Rollouts cannot do this).
 *
 * There is no standalone rollback: `shift abort` on a deployment no process runs
 * is queued for `resume`, whose shift rolls back from the journal's saved state. A
 * meta cluster that does not take the flip is journaled and reported
 * ({@link restoreOrRecord}).
 */
import { isWsdError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import type { TrafficShiftConfig } from './config.js';
import { rollbackChanges, scoreChanges, ShiftRegistry } from './shift-registry.js';
import type { Clock, IncompleteRollback, OriginalSnapshot, ShiftCluster, ShiftProgress } from './shift-ports.js';
import { RollbackIncomplete } from './shift-stops.js';

/** A journal that cannot be written: nothing would record the rollback, so it is not reported as incomplete. */
export function cannotRecordRollback(error: unknown): boolean {
  return isWsdError(error) && (error.code === 'StateIo' || error.code === 'StateCorrupt' || error.code === 'LockHeld');
}

interface RecordIncomplete {
  metas: readonly string[];
  sink: EventSink;
  signal?: AbortSignal;
  /** Errors that are not a meta cluster refusing the flip (an interrupt, a journal that cannot be written): thrown as they are. */
  stops: (error: unknown) => boolean;
  /** The scores known in effect on a meta cluster the flip did not reach (see {@link lastKnownScores}). */
  scoresOf: (meta: string) => Record<string, number>;
  /** Journals the rollback as under way with the meta clusters it did not reach (`progress.rollingBack.incomplete`). */
  record: (incomplete: IncompleteRollback[]) => Promise<void>;
}

/** The instant flip; meta clusters that do not take it are journaled and reported as {@link RollbackIncomplete}. */
export async function restoreOrRecord(ops: ShiftRegistry, original: OriginalSnapshot, input: RollbackInput, reason: string, on: RecordIncomplete): Promise<void> {
  try {
    await restoreOriginal(ops, original, input, on.signal);
  } catch (error) {
    const failed = isWsdError(error) ? (error.details['failedMetas'] as Record<string, string> | undefined) : undefined;
    if (on.signal?.aborted || on.stops(error) || !failed) throw error;
    const incomplete = Object.entries(failed).map(([meta, e]) => ({ meta, error: e, scores: on.scoresOf(meta) }));
    const rolledBack = on.metas.filter((m) => !(m in failed));
    await on.record(incomplete);
    const stop = new RollbackIncomplete(reason, incomplete, rolledBack, isWsdError(error) && error.transient);
    on.sink.emit({ level: 'error', code: 'traffic.rollback.incomplete', step: 'traffic-shift', message: stop.message, data: { incomplete, rolledBack } });
    throw stop;
  }
}

/**
 * The scores known in effect on `meta`: what its bridge confirmed in this run, over what an earlier run
 * journaled, over what the journaled stage sets (before the shift's first change: the saved ones).
 */
export function lastKnownScores(meta: string, original: OriginalSnapshot, p: ShiftProgress, steps: readonly number[], input: RollbackInput, ops: ShiftRegistry): Record<string, number> {
  const saved = Object.fromEntries(Object.entries(original[meta] ?? {}).map(([name, c]) => [name, c.score]));
  const percent = p.phase === 'bake' ? 100 : p.phase === 'steps' ? (steps[p.stepIndex] ?? 100) : p.phase === 'staff' ? (steps[0] ?? 100) : undefined;
  const news = new Set(input.newClusters.map((c) => c.name));
  const staged: Record<string, number> = {};
  for (const c of percent === undefined ? [] : scoreChanges(percent, original[meta], input.newClusters, input.oldClusters)) {
    // The staff stage sets only the new clusters' scores.
    if ('score' in c.change && (p.phase !== 'staff' || news.has(c.name))) staged[c.name] = c.change.score;
  }
  const journaled = p.rollingBack?.incomplete?.find((i) => i.meta === meta)?.scores ?? {};
  return { ...saved, ...staged, ...journaled, ...ops.confirmedScores(meta) };
}

interface RollbackInput {
  config: TrafficShiftConfig;
  newClusters: readonly ShiftCluster[];
  oldClusters: readonly ShiftCluster[];
}

/** Restores the saved state everywhere (the instant flip). */
export async function restoreOriginal(ops: ShiftRegistry, original: OriginalSnapshot, input: RollbackInput, signal?: AbortSignal): Promise<void> {
  const staff = input.config.staffStage;
  const constraint = staff ? `has-permission=${staff.permission}` : undefined;
  await ops.apply((meta) => rollbackChanges(original[meta], input.newClusters, input.oldClusters, constraint), signal);
}

/**
 * Steps down from `from` % in `rollback.steps` equal steps, one every duration/steps.
 * `wait(untilMs)` returns false to cut the rollback short (the flip follows).
 */
export async function stepBack(
  ops: ShiftRegistry,
  original: OriginalSnapshot,
  input: RollbackInput,
  from: number,
  sink: EventSink,
  wait: (untilMs: number) => Promise<boolean>,
  clock: Pick<Clock, 'now'> = { now: () => Date.now() },
  signal?: AbortSignal,
): Promise<void> {
  const { steps, duration } = input.config.rollback;
  for (let i = 1; i < steps; i++) {
    const percent = Math.round((from * (steps - i)) / steps);
    if (percent <= 0) break;
    await ops.apply((meta) => scoreChanges(percent, original[meta], input.newClusters, input.oldClusters), signal);
    sink.emit({ level: 'warn', code: 'traffic.rollback.step', step: 'traffic-shift', message: `rollback: ${percent} % of new starts on the new clusters`, data: { percent } });
    if (!(await wait(clock.now() + duration / steps))) return;
  }
}
