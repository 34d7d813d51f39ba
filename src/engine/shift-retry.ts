/**
 * `resume ID --retry-shift`: a deployment whose traffic shift rolled back (a short bridge outage, a threshold since
 * fixed) starts its shift again from the first step with fresh gates, then goes on as `resume` would (the
 * retirement of the previous generation). It is a `resume` flag, not a `shift` action: every `shift ACTION` queues a
 * command for a run and returns, while a retry is a run (the lock, the config, --yes, the retirement after it).
 *
 * Journaled before anything changes (`shift.retried`: who, when, the attempt, why the one before ended); refused,
 * with the reason and the fix, where a retry would do harm: a shift that did not roll back, one whose rollback is
 * unfinished, clusters a later retirement or deregistration took, a deployment a newer one superseded.
 */
import { WsdError } from '../core/errors.js';
import { findStep, shiftAttempt, type Snapshot } from '../state/model.js';
import { concludedBy, retryShiftCommand, shiftPhase, shiftRetryable } from '../state/resumable.js';
import { DEPLOYMENT_SCOPE } from '../steps/step.js';
import { deploymentOutcome } from '../report/outcome.js';
import { heldGateLine } from '../report/shift-gates.js';

export const SHIFT_STEP = 'traffic-shift';

function shiftProgress(snap: Snapshot): { phase?: unknown; rollingBack?: { incomplete?: Array<{ meta?: unknown }> } } | undefined {
  return findStep(snap, DEPLOYMENT_SCOPE, SHIFT_STEP)?.checkpoint?.progress as never;
}

/**
 * Why deployment `snap` cannot have its shift retried, from its journal alone (undefined: it can). Clusters a
 * standalone `retire --cluster` took are the shift step's `retryRefusal`: its progress is read against the meta
 * clusters' Lists (retire-files.ts: retiredByProgress).
 */
export function retryRefusalOf(snap: Snapshot): string | undefined {
  const id = snap.id;
  const rollingBack = shiftProgress(snap)?.rollingBack;
  if (rollingBack) {
    const where = (rollingBack.incomplete ?? []).map((i) => String(i.meta));
    return `deployment ${id}'s traffic shift is still rolling back${where.length ? ` (not taken yet on ${where.join(', ')})` : ''}: a retry cannot start from scores some meta clusters have not restored; finish the rollback first with \`ws-deployment resume ${id}\`, then \`${retryShiftCommand(id)}\``;
  }
  if (!shiftRetryable(snap)) {
    if (snap.state === 'succeeded') {
      return `deployment ${id} succeeded: its traffic shift was promoted, so there is nothing to retry (--retry-shift starts again a shift that rolled back); to move the traffic to other clusters, deploy a new generation`;
    }
    if (shiftPhase(snap) === 'failed') {
      return `deployment ${id} is a first generation whose watch failed its gates: its shift did not roll back (there is no previous generation to shift from); fix the cause and deploy a new generation`;
    }
    // Held at a manual gate (or paused), a plain resume in CI stops there again: say what answers it.
    const held = heldGateLine(snap);
    const go = held ? `its ${held}` : `continue this one with \`ws-deployment resume ${id}\``;
    return `deployment ${id} did not roll back its traffic shift (it is ${deploymentOutcome(snap).words}): --retry-shift starts again a shift that rolled back; ${go}`;
  }
  return undefined;
}

/** The journal record a retry begins with: the next attempt, who asked, how the last one ended. */
export function retryRecord(snap: Snapshot, by: string): { type: 'shift.retried'; step: typeof SHIFT_STEP; attempt: number; by: string; after: string } {
  return { type: 'shift.retried', step: SHIFT_STEP, attempt: shiftAttempt(snap) + 1, by, after: concludedBy(snap) ?? 'rolled back' };
}

/** The refusal as the error `resume --retry-shift` stops with (exit code 3, nothing changed). */
export function retryRefused(reason: string, snap: Snapshot): WsdError {
  return new WsdError('ResumeRefused', `${reason}. Nothing was changed`, { details: { deploymentId: snap.id } });
}
