/**
 * Rollback of a shift. Instant: one flip on every meta cluster in parallel — new
 * clusters score 0 and cordoned (staff constraint removed), old clusters back to
 * their saved scores and cordon state. Gradual: equal steps down over
 * `rollback.duration` first, then the same flip (Argo Rollouts cannot do this).
 *
 * `rollbackShift` is the standalone form for a `rollback` command after an
 * interrupted or finished run: it needs only the journal's saved original state
 * (no command calls it today: `shift abort` on a deployment no process runs is
 * queued for `resume`, whose shift rolls back). Both forms report a meta cluster
 * that does not take the flip the same way ({@link restoreOrRecord}).
 */
import { isWsdError, WsdError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { expandSteps, type TrafficShiftConfig } from './config.js';
import { rollbackChanges, scoreChanges, ShiftRegistry } from './shift-registry.js';
import { type Clock, type IncompleteRollback, type OriginalSnapshot, type RegistryPort, type ShiftCluster, type ShiftJournal, type ShiftProgress } from './shift-ports.js';
import { ZERO_COUNTERS } from './judges/step-verdict.js';
import { RollbackIncomplete } from './shift-stops.js';

export { RollbackIncomplete };

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

export interface RollbackDeps {
  registry: RegistryPort;
  metas: readonly string[];
  clock: Clock;
  journal: ShiftJournal;
  sink: EventSink;
  signal?: AbortSignal;
}

/**
 * Instant rollback from the journal, e.g. `ws-deployment rollback` after an interrupt. As the shift's own: journaled
 * as under way before the first change, and a meta cluster that does not take it is journaled
 * (`progress.rollingBack.incomplete`, what `status` shows) and reported ({@link RollbackIncomplete}); `resume`
 * finishes it.
 */
export async function rollbackShift(deps: RollbackDeps, input: RollbackInput, reason: string): Promise<ShiftProgress> {
  const { original, progress } = await deps.journal.load();
  if (!original) {
    throw new WsdError('ResumeRefused', 'no saved original scores in the journal: the shift never changed the registry, so there is nothing to roll back');
  }
  const ops = new ShiftRegistry(deps.registry, deps.metas, deps.clock, deps.sink);
  const start: ShiftProgress = progress ?? { phase: 'start', stepIndex: 0, phaseStartedAtMs: deps.clock.now(), measurementsInStep: 0, counters: ZERO_COUNTERS, paused: false };
  // As the shift journals its own: under way before the first change (a hold ends here, an unfinished promote is
  // settled by this rollback, one under way keeps its reason), so a stop half-way leaves it for `resume` to finish.
  const { promoting: _promoting, ...decided } = start;
  let under: ShiftProgress = { ...decided, paused: false, gate: undefined, pausedBy: undefined, rollingBack: start.rollingBack ?? { reason } };
  await deps.journal.recordStep(under);
  deps.sink.emit({ level: 'error', code: 'traffic.rollback', step: 'traffic-shift', message: `rolling back (instant): ${reason}`, data: { reason } });
  await restoreOrRecord(ops, original, input, reason, {
    metas: deps.metas,
    sink: deps.sink,
    signal: deps.signal,
    stops: cannotRecordRollback,
    scoresOf: (meta) => lastKnownScores(meta, original, under, expandSteps(input.config), input, ops),
    record: async (incomplete) => {
      under = { ...under, rollingBack: { ...(under.rollingBack ?? { reason }), incomplete } };
      await deps.journal.recordStep(under);
    },
  });
  const { rollingBack: _rollingBack, promoting: _p, ...before } = progress ?? { stepIndex: 0, measurementsInStep: 0, counters: ZERO_COUNTERS };
  const done: ShiftProgress = {
    ...before,
    phase: 'rolled-back',
    phaseStartedAtMs: deps.clock.now(),
    paused: false,
    reason,
  };
  await deps.journal.recordStep(done);
  return done;
}
