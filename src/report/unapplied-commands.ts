/**
 * Queued `shift` commands of a deployment that is over (succeeded, rolled back, retirement
 * refused): no process will ever take them — `resume` refuses a deployment that is over — so
 * `status` and `status --watch` must not call them pending or say `resume` applies them.
 */
import type { Snapshot } from '../state/model.js';
import { concludedBy } from '../state/resumable.js';
import type { PendingControl } from '../state/store.js';

/** Why nothing will take queued commands any more, or undefined while something still may. */
export function overBecause(snap: Snapshot): string | undefined {
  if (snap.state === 'succeeded') return 'it succeeded';
  const concluded = concludedBy(snap);
  return concluded ? `it is over: ${concluded}` : undefined;
}

/** The line for commands that were queued but will never be applied; undefined when there are none, or the deployment is not over. */
export function unappliedLine(snap: Snapshot, pending: readonly PendingControl[]): string | undefined {
  const why = overBecause(snap);
  if (!why || pending.length === 0) return undefined;
  const list = pending.map((p) => `${p.command} (sent ${p.sentAt.slice(11, 19)})`).join(', ');
  return `shift commands never applied: ${list}; deployment ${snap.id} ${why.replace(/^it /, '')}, so nothing takes them`;
}
