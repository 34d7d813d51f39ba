/**
 * Rollback of a shift. Instant: one flip on every meta cluster in parallel — new
 * clusters score 0 and cordoned (staff constraint removed), old clusters back to
 * their saved scores and cordon state. Gradual: equal steps down over
 * `rollback.duration` first, then the same flip (Argo Rollouts cannot do this).
 *
 * `rollbackShift` is the standalone form for a `rollback` command after an
 * interrupted or finished run: it needs only the journal's saved original state.
 */
import { WsdError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import type { TrafficShiftConfig } from './config.js';
import { rollbackChanges, scoreChanges, ShiftRegistry } from './shift-registry.js';
import type { Clock, OriginalSnapshot, RegistryPort, ShiftCluster, ShiftJournal, ShiftProgress } from './shift-ports.js';
import { ZERO_COUNTERS } from './judges/step-verdict.js';

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

/** Instant rollback from the journal, e.g. `ws-deployment rollback` after an interrupt. */
export async function rollbackShift(deps: RollbackDeps, input: RollbackInput, reason: string): Promise<ShiftProgress> {
  const { original, progress } = await deps.journal.load();
  if (!original) {
    throw new WsdError('ResumeRefused', 'no saved original scores in the journal: the shift never changed the registry, so there is nothing to roll back');
  }
  const ops = new ShiftRegistry(deps.registry, deps.metas, deps.clock, deps.sink);
  deps.sink.emit({ level: 'error', code: 'traffic.rollback', step: 'traffic-shift', message: `rolling back (instant): ${reason}`, data: { reason } });
  await restoreOriginal(ops, original, input, deps.signal);
  // A rollback or promote the run left unfinished is settled by this one.
  const { rollingBack: _rollingBack, promoting: _promoting, ...before } = progress ?? { stepIndex: 0, measurementsInStep: 0, counters: ZERO_COUNTERS };
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
