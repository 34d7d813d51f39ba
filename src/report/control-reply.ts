/**
 * What a `shift pause|resume|promote|abort` will actually do to a deployment,
 * read from its journal: where the shift stands (not started, at a step, paused
 * at a gate, done), whether the retirement waits at its beforeDestroy gate, and
 * whether a process is running the deployment at all. The reply an operator
 * gets is this text; a command that would change nothing is not sent.
 *
 * One rule for a deployment no process runs (killed with SIGKILL, stopped with
 * Ctrl-C/SIGTERM, or failed and resumable): the command is queued, `status`
 * shows it as pending, and `resume` applies it before anything else changes.
 */
import type { Snapshot, StepRecordState } from '../state/model.js';
import { concludedBy } from '../state/resumable.js';
import { heldGate, queuedScope } from './shift-gates.js';
import type { ControlCommand } from '../steps/step.js';

type ControlReply = { send: true; text: string } | { send: false; text: string };

interface ShiftView {
  phase?: string;
  stepIndex?: number;
  paused?: boolean;
  gate?: string;
}

const step = (snap: Snapshot, name: string): StepRecordState | undefined => snap.deploymentSteps.find((s) => s.name === name);

function names(list: unknown): string {
  return Array.isArray(list) ? list.map((c: { name?: unknown }) => String(c.name)).join(', ') : '';
}

function where(shift: ShiftView): string {
  if (shift.phase === 'steps') return `step ${(shift.stepIndex ?? 0) + 1}`;
  if (shift.phase === 'staff') return 'the staff stage';
  if (shift.phase === 'bake') return 'the bake at 100 %';
  if (shift.phase === 'watch') return "the first generation's watch";
  return 'its start';
}

/** The effect of `command` at the point the deployment stands (or will continue from). */
function effect(snap: Snapshot, command: ControlCommand): ControlReply {
  const shiftStep = step(snap, 'traffic-shift');
  const retire = step(snap, 'retire-old-clusters');
  const shift = (shiftStep?.checkpoint?.progress ?? {}) as ShiftView;
  const clusters = (shiftStep?.checkpoint?.clusters ?? retire?.checkpoint?.clusters ?? {}) as { newClusters?: unknown; oldClusters?: unknown };
  const news = names(clusters.newClusters) || snap.clusters.map((c) => c.shortName).join(', ');
  const olds = names(clusters.oldClusters) || 'the old clusters';
  const shiftOver = shiftStep?.state === 'succeeded' || shift.phase === 'done';

  if (shiftOver || shiftStep?.state === 'skipped') {
    const waiting = retire?.checkpoint?.awaiting === 'beforeDestroy' && !retire.checkpoint.approved && retire.state !== 'succeeded';
    if (!waiting) {
      return { send: false, text: `its traffic shift is over and the retirement of the old clusters ${retire?.checkpoint?.approved ? 'was approved and is under way' : 'needs no approval'}; shift commands change nothing now (steer single clusters with \`ws-deployment clusters update\`)` };
    }
    if (command === 'resume' || command === 'promote') {
      return { send: true, text: `approves the beforeDestroy gate: ${olds} (cordoned, taking no new starts) are drained, deregistered and destroyed as configured` };
    }
    if (command === 'abort') {
      return {
        send: true,
        text: `retirement refused: nothing is changed — ${news} keep all new starts at their scores, ${olds} stay cordoned and registered; the deployment ends as failed (\`ws-deployment resume ${snap.id}\` asks again, \`ws-deployment retire --cluster NAME\` retires one by hand)`,
      };
    }
    return { send: false, text: `its traffic shift is over; the retirement waits at the beforeDestroy gate anyway: approve it with \`ws-deployment shift resume ${snap.id}\`, refuse it with \`ws-deployment shift abort ${snap.id}\`` };
  }

  const decided = (shiftStep?.checkpoint?.progress as { rollingBack?: unknown; promoting?: unknown } | undefined) ?? {};
  if (decided.rollingBack || decided.promoting) {
    const course = decided.rollingBack ? 'rolling back' : 'being promoted (an operator asked)';
    return { send: false, text: `the shift is ${course} and its run stopped before that finished; \`ws-deployment resume ${snap.id}\` finishes it, and no shift command changes that` };
  }
  const started = shift.phase !== undefined && shift.phase !== 'start';
  const at = where(shift);
  const gate = shift.gate ? ` (waiting at the manual gate ${shift.gate})` : '';
  switch (command) {
    case 'pause':
      if (shift.paused) return { send: false, text: `the shift is already paused at ${at}${gate}; continue it with \`ws-deployment shift resume ${snap.id}\`` };
      return { send: true, text: started ? `the shift holds at ${at} (scores stay as they are) until \`shift resume\`, \`promote\` or \`abort\`` : `the shift holds before its first change (${news} stay cordoned) until \`shift resume\`, \`promote\` or \`abort\`` };
    case 'resume':
      if (!shift.paused) return { send: false, text: `the shift is not paused (${started ? `at ${at}` : 'not started yet'}): it goes on by itself; nothing to resume` };
      return { send: true, text: `the shift continues from ${at}${shift.gate ? ` and ${queuedScope(snap, 'resume') ?? `approves the manual gate ${shift.gate}`}` : ''}` };
    case 'promote':
      return { send: true, text: `${news} take all new starts now and ${olds} are cordoned; then the old clusters are retired (behind the beforeDestroy gate when it is manual)` };
    case 'abort':
      // No old clusters: the new ones took every start when the watch began, and nothing is there to return to.
      if (shift.phase === 'watch') {
        return { send: true, text: `the first generation has no earlier one to roll back to: the watch stops, ${news} keep every new start, and the deployment ends as failed (fix them or deploy a new generation)` };
      }
      return {
        send: true,
        text: started
          ? `the shift rolls back from ${at}: the saved scores of ${olds} are restored and ${news} are cordoned; the deployment ends as rolled back`
          : `the shift is called off before its first change: ${news} stay cordoned, ${olds} keep their scores; the deployment ends as rolled back`,
      };
  }
}

/**
 * The reply to `shift COMMAND` for a deployment with commands already queued (`queued`, oldest first),
 * which its run takes before this one: the reply must describe where the deployment will stand then.
 * After a queued abort or promote the shift's course is set, and another command would be taken by
 * a deployment that is over or promoted: it is refused, naming what is queued. Queued pauses and
 * resumes fold into the paused flag the new command meets.
 */
export function controlReplyAfter(snap: Snapshot, command: ControlCommand, live: boolean, queued: readonly ControlCommand[], unattended?: boolean): ControlReply {
  // Past the shift (its beforeDestroy gate) a queued resume is an approval: as decisive as abort.
  const shiftStep = step(snap, 'traffic-shift');
  const shiftOver = shiftStep?.state === 'succeeded' || shiftStep?.state === 'skipped' || (shiftStep?.checkpoint?.progress as ShiftView | undefined)?.phase === 'done';
  const decisive = queued.find((c) => c === 'abort' || c === 'promote' || (shiftOver && c === 'resume'));
  if (decisive && !concludedBy(snap) && snap.state !== 'succeeded') {
    return { send: false, text: `"${command}" not sent to deployment ${snap.id}: "${decisive}" is already queued for it and is taken first (\`ws-deployment status ${snap.id}\` lists what is queued); ${command === decisive ? 'sending it again changes nothing' : `after it, "${command}" would not do what it says now`}` };
  }
  const last = [...queued].reverse().find((c) => c === 'pause' || c === 'resume');
  if (!last) return controlReply(snap, command, live, unattended);
  const steps = snap.deploymentSteps.map((s) =>
    s.name === 'traffic-shift' ? { ...s, checkpoint: { ...s.checkpoint, progress: { ...((s.checkpoint?.progress as object | undefined) ?? {}), paused: last === 'pause' } } } : s,
  );
  return controlReply({ ...snap, deploymentSteps: steps }, command, live, unattended);
}

/**
 * What a hold means for the run that takes it: one at a terminal waits for the answer; one no one can answer (CI,
 * no terminal) stops there, held, with exit 3 (traffic/shift-controller.ts stopIfUnanswered). `unattended`
 * undefined: not known (the lock did not record it), so both are said.
 */
function holdConsequence(id: string, unattended: boolean | undefined): string {
  const answer = `\`ws-deployment shift resume ${id}\` (or \`promote\` / \`abort\`)`;
  const stops = `stops there, held, with exit 3 rather than wait: answer it with ${answer}, then \`ws-deployment resume ${id}\``;
  if (unattended === true) return `no one can answer this run (CI, or no terminal), so it ${stops}`;
  if (unattended === false) return `this run (at a terminal) waits there for ${answer}`;
  return `a run at a terminal waits there for ${answer}; an unattended run (CI, or no terminal) ${stops}`;
}

/** The reply to `shift COMMAND` for this deployment; `live` = a process is running it now (`unattended`: see {@link holdConsequence}). */
export function controlReply(snap: Snapshot, command: ControlCommand, live: boolean, unattended?: boolean): ControlReply {
  if (snap.state === 'succeeded') {
    return { send: false, text: `deployment ${snap.id} succeeded: its traffic shift and retirement are over, nothing would take "${command}"; steer single clusters with \`ws-deployment clusters update\`` };
  }
  const concluded = concludedBy(snap);
  if (concluded) return { send: false, text: `deployment ${snap.id} is over (${concluded}); nothing would take "${command}"` };
  const what = effect(snap, command);
  if (!what.send) return { send: false, text: `"${command}" not sent to deployment ${snap.id}: ${what.text}` };
  if (live) {
    const then = command === 'pause' ? `; ${holdConsequence(snap.id, unattended)}` : '';
    return { send: true, text: `${command} sent to deployment ${snap.id}; its process takes it within a second: ${what.text}${then}` };
  }
  // A run that stopped held at a manual gate no one could answer (CI: exit 3) ends as failed, but nothing failed:
  // it waits for this very answer.
  const held = snap.state === 'failed' ? heldGate(snap) : undefined;
  const why = held ? `it stopped held at the manual gate ${held.gate}, where no one could answer it` : snap.state === 'failed' ? 'it failed' : snap.state === 'partial' ? 'it ended partial: steps left out by --only/--skip did not run' : 'its process is gone';
  return {
    send: true,
    text: `${command} queued for deployment ${snap.id}: no process runs it now (${why}). \`ws-deployment status ${snap.id}\` shows it as pending, and \`ws-deployment resume ${snap.id}\` applies it when the run gets back to this point: ${what.text}`,
  };
}
