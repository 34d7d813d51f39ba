/**
 * The shift's manual gates as the journal shows them (the schedule the traffic-shift step checkpointed:
 * steps and which gates are manual): the gate the shift is held at, the next manual gate after it, and
 * what a queued `shift` command answers. A queued `resume` approves the gate it finds the shift at and
 * nothing more (a run where no one can answer stops at the next manual gate); `promote` answers every
 * remaining gate (promotes fully); `abort` rolls back. `shift` replies and `status` say it in these words.
 */
import type { Snapshot } from '../state/model.js';
import type { ControlCommand } from '../steps/step.js';

interface Held {
  gate: string;
  /** 0-based index of the step the shift is at (the gate stands before the next one). */
  stepIndex: number;
  steps?: number[];
  manualGates?: string[];
}

function shiftStep(snap: Snapshot) {
  return snap.deploymentSteps.find((s) => s.name === 'traffic-shift');
}

/** The manual gate the shift is held at (paused there), with the schedule when journaled. */
export function heldGate(snap: Snapshot): Held | undefined {
  const checkpoint = shiftStep(snap)?.checkpoint;
  const progress = checkpoint?.progress as { paused?: unknown; gate?: unknown; stepIndex?: unknown; phase?: unknown } | undefined;
  if (progress?.paused !== true || typeof progress.gate !== 'string') return undefined;
  const schedule = checkpoint?.schedule as { steps?: number[]; manualGates?: string[] } | undefined;
  return { gate: progress.gate, stepIndex: typeof progress.stepIndex === 'number' && progress.phase === 'steps' ? progress.stepIndex : -1, steps: schedule?.steps, manualGates: schedule?.manualGates };
}

/** Where the shift holds, e.g. `step 2/3, 50 %` (the start before its first step). */
function position(held: Held): string {
  if (held.stepIndex < 0) return 'before its first change';
  const percent = held.steps?.[held.stepIndex];
  return `step ${held.stepIndex + 1}${held.steps ? `/${held.steps.length}` : ''}${percent !== undefined ? `, ${percent} %` : ''}`;
}

/** The manual gate after the one held at, e.g. `beforePromotion (before step 3/3)`; undefined when none, or unknown. */
function nextManualGate(held: Held): string | undefined {
  const { steps, manualGates } = held;
  if (!steps || !manualGates) return undefined;
  // Gate beforeIncrease stands before every step but the last, beforePromotion before the last.
  for (let target = held.stepIndex + 2; target < steps.length; target++) {
    const gate = target === steps.length - 1 ? 'beforePromotion' : 'beforeIncrease';
    if (manualGates.includes(gate)) return `${gate} (before step ${target + 1}/${steps.length})`;
  }
  return undefined;
}

/** What a queued `command` answers when the run takes it at the held gate; undefined when the shift is not held at one. */
export function queuedScope(snap: Snapshot, command: ControlCommand): string | undefined {
  const held = heldGate(snap);
  if (!held) return undefined;
  if (command === 'resume') {
    const next = nextManualGate(held);
    const then = next ? `the next manual gate, ${next}, stops a resume without a terminal again` : held.manualGates ? 'no manual gate follows it' : 'a later manual gate stops a resume without a terminal again';
    return `approves the manual gate ${held.gate} only (${then}; \`shift promote\` answers every remaining gate)`;
  }
  if (command === 'promote') return `answers every remaining gate: promotes fully from ${position(held)}`;
  if (command === 'abort') return `answers the manual gate ${held.gate} with a rollback`;
  return undefined;
}

/** Where a shift paused without a gate stands, as {@link position} says it. */
function pausePosition(snap: Snapshot): string {
  const checkpoint = shiftStep(snap)?.checkpoint;
  const progress = checkpoint?.progress as { stepIndex?: unknown; phase?: unknown } | undefined;
  const schedule = checkpoint?.schedule as { steps?: number[] } | undefined;
  return position({ gate: '', stepIndex: typeof progress?.stepIndex === 'number' && progress.phase === 'steps' ? progress.stepIndex : -1, steps: schedule?.steps });
}

/**
 * For a deployment no process runs, paused without a gate (an operator's `shift pause`, or the pause on
 * inconclusive results) as a CI run stops there: where, and the commands that continue it.
 */
function heldPauseLine(snap: Snapshot): string | undefined {
  const checkpoint = shiftStep(snap)?.checkpoint;
  const progress = checkpoint?.progress as { paused?: unknown; gate?: unknown; stepIndex?: unknown; phase?: unknown; pausedBy?: unknown; rollingBack?: unknown } | undefined;
  if (progress?.paused !== true || typeof progress.gate === 'string' || snap.state === 'running' || snap.state === 'succeeded') return undefined;
  const id = snap.id;
  if (progress.rollingBack) return `traffic shift: its rollback is paused and no process runs it: \`ws-deployment resume ${id}\` finishes the rollback at once`;
  const where = pausePosition(snap);
  const why = progress.pausedBy === 'inconclusive' ? 'on inconclusive results (inconclusiveLimit)' : 'by an operator (`shift pause`)';
  return `traffic shift: paused ${why} (${where}) and no process runs it: \`ws-deployment shift resume ${id}\` continues it, \`ws-deployment shift promote ${id}\` promotes fully, \`ws-deployment shift abort ${id}\` rolls back; then \`ws-deployment resume ${id}\``;
}

/**
 * The `shift` commands that answer where the shift holds (a manual gate, or a pause) before `resume` goes on: a
 * resume where no one can answer (CI) otherwise stops there again. Empty when it does not hold (or holds half-way
 * through a rollback, which `resume` alone finishes).
 */
export function holdAnswers(snap: Snapshot): Array<{ command: string; does: string }> {
  const progress = shiftStep(snap)?.checkpoint?.progress as { paused?: unknown; rollingBack?: unknown } | undefined;
  if (progress?.paused !== true || progress.rollingBack || snap.state === 'succeeded') return [];
  const id = snap.id;
  return [
    { command: `ws-deployment shift resume ${id}`, does: heldGate(snap) ? 'approves the gate' : 'continues it' },
    { command: `ws-deployment shift promote ${id}`, does: 'promotes fully' },
    { command: `ws-deployment shift abort ${id}`, does: 'rolls back' },
  ];
}

/** For a deployment no process runs, held at a shift gate (or paused): where, and the commands that answer it. */
export function heldGateLine(snap: Snapshot): string | undefined {
  const held = heldGate(snap);
  if (!held) return heldPauseLine(snap);
  if (snap.state === 'running' || snap.state === 'succeeded') return undefined;
  const id = snap.id;
  return `traffic shift: held at the manual gate ${held.gate} (${position(held)}) and no process runs it: \`ws-deployment shift resume ${id}\` approves it, \`ws-deployment shift promote ${id}\` promotes fully, \`ws-deployment shift abort ${id}\` rolls back; then \`ws-deployment resume ${id}\``;
}

/**
 * `status --output json`'s `held`: where the shift of a deployment no process runs holds (a manual gate, or a pause:
 * then no `gate`), with the commands that answer it, as `heldGateLine` says it to the text and the report.
 */
export function heldGateDocument(snap: Snapshot): { gate?: string; position: string; message: string } | undefined {
  const held = heldGate(snap);
  const message = heldGateLine(snap);
  if (!message) return undefined;
  return held ? { gate: held.gate, position: position(held), message } : { position: pausePosition(snap), message };
}
