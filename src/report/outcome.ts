/**
 * How a deployment ended, in one word and one severity, for every reader that
 * says it in a line or a colour (the summary's head, the webhooks). The state
 * alone is not enough: `failed` covers a rolled-back shift (an outcome), a
 * first generation that failed its gates (an outcome too, but nothing was rolled
 * back: there was no earlier generation, so its clusters keep taking starts), a
 * retirement that failed after the traffic moved, and a failure that `resume`
 * continues; a refused step (exit 3) may be a shift held at a manual gate.
 */
import { shiftAttempt, type Snapshot } from '../state/model.js';
import { concludedBy, concludingAbort, firstGenerationAbort, promoted, retryShiftCommand, shiftConclusion, shiftRetryable } from '../state/resumable.js';
import { heldGate } from './shift-gates.js';
import { abortWords } from '../traffic/shift-ports.js';

export type Outcome = 'running' | 'succeeded' | 'partial' | 'superseded' | 'held' | 'refused' | 'interrupted' | 'rolled-back' | 'first-generation-failed' | 'first-generation-aborted' | 'retire-failed' | 'failed';

/** `success`: nothing to do; `attention`: someone must act (resume, answer a gate) but nothing broke; `failure`: it broke. */
export type Severity = 'info' | 'success' | 'attention' | 'failure';

export interface DeploymentOutcome {
  outcome: Outcome;
  severity: Severity;
  /** The outcome in words, as the head line says it: `rolled back`, `held at the manual gate beforePromotion`. */
  words: string;
  /**
   * What the operator does next, for a deployment that failed: `resume` retries a failure that did not conclude
   * it; one concluded by its outcome (a rolled-back shift) is over. Absent where another line of every reader
   * already says it (an interruption's error, the partial note, the superseded line, the held gate's commands)
   * and where nothing is to be done. Commands bare: the CLI completes them (core/next-command.ts).
   */
  next?: string;
}

/**
 * A first generation whose gates failed: the shift gave its clusters every new start before the watch, and with no
 * earlier generation to return to it left them so. "Rolled back" would tell an SRE the users are safe; they are not.
 */
const FIRST_GENERATION_FAILED = 'first generation failed its gates; nothing to roll back to, so its clusters still take every new workspace start';

/**
 * A first generation whose watch an operator ended with `shift abort`: said as that (who, when), never as failed
 * gates; the traffic is as after a failed watch, and an SRE who expects an abort to have moved users back learns it did not.
 */
function firstGenerationAborted(abort: { by?: string; at: string }): string {
  return `first generation aborted by ${abort.by ?? 'an operator'} at ${abort.at}; nothing to roll back to, so its clusters still take every new workspace start`;
}

export function deploymentOutcome(snap: Snapshot): DeploymentOutcome {
  const told = headOutcome(snap);
  const next = nextStep(snap, told.outcome);
  return next ? { ...told, next } : told;
}

/** `fix the cause, then resume` where `resume` retries the failed step; what is true instead where it refuses. */
function nextStep(snap: Snapshot, outcome: Outcome): string | undefined {
  if (outcome !== 'failed' && outcome !== 'retire-failed' && outcome !== 'refused' && outcome !== 'rolled-back' && outcome !== 'first-generation-failed' && outcome !== 'first-generation-aborted') return undefined;
  const concluded = concludedBy(snap);
  if (concluded !== undefined) {
    if (shiftRetryable(snap)) {
      return `fix the cause (the evidence: \`ws-deployment status ${snap.id}\`), then start its traffic shift again from the first step with \`${retryShiftCommand(snap.id)}\`; or deploy a new generation, which retires this one's clusters as old once it is promoted`;
    }
    return `nothing resumes this deployment (${concluded.split(':')[0]}): fix the cause if there is one, then deploy a new generation; its clusters count as old clusters then and are retired once the new generation is promoted`;
  }
  return `fix the cause, then \`ws-deployment resume ${snap.id}\``;
}

function headOutcome(snap: Snapshot): DeploymentOutcome {
  const at = (outcome: Outcome, severity: Severity, words: string = outcome): DeploymentOutcome => ({ outcome, severity, words });
  if (snap.supersededBy && snap.state !== 'succeeded') return at('superseded', 'info', `${snap.state}, superseded by ${snap.supersededBy}`);
  switch (snap.state) {
    case 'running':
      return at('running', 'info');
    case 'succeeded':
      return at('succeeded', 'success');
    case 'partial':
      return at('partial', 'attention');
    case 'interrupted':
      return at('interrupted', 'attention');
    case 'failed':
      break;
  }
  const concluded = shiftConclusion(snap);
  // A retried shift says which attempt rolled back: the evidence of the one before is in the report, not this one's.
  if (concluded === 'rolled-back') {
    // An operator's abort rolled it back: who and when, as a first generation's abort is said.
    const abort = concludingAbort(snap);
    const words = shiftAttempt(snap) > 1 ? `rolled back (shift attempt ${shiftAttempt(snap)})` : 'rolled back';
    return at('rolled-back', 'failure', abort ? `${words}: ${abortWords(abort)}` : words);
  }
  if (concluded === 'first-generation-failed') return at(concluded, 'failure', FIRST_GENERATION_FAILED);
  const abort = firstGenerationAbort(snap);
  if (abort) return at('first-generation-aborted', 'failure', firstGenerationAborted(abort));
  if (snap.error?.code === 'PreCheckRefused') {
    const held = heldGate(snap);
    return held ? at('held', 'attention', `held at the manual gate ${held.gate}`) : at('refused', 'attention');
  }
  // The traffic moved onto the new clusters; what failed came after (the retirement of the old ones).
  if (promoted(snap)) return at('retire-failed', 'failure', 'failed after promotion (retiring the old clusters)');
  return at('failed', 'failure');
}
