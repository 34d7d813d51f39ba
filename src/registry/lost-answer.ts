/**
 * A Register, Deregister or constraint change whose answer was lost (a deadline, or a connection that dropped after
 * it was sent): List tells whether the bridge did it, and that is what the caller hears; a call List shows not done
 * after its connection was lost is sent once more (an add, then checked by List: the first copy may have landed too).
 * The client (client.ts) decides when; this file says what it means.
 */
import { WsdError, isWsdError, toWsdError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { formatConstraint, sameConstraint } from './constraints.js';
import { GrpcStatus } from './status-errors.js';
import type { AdmissionConstraint, ClusterStatus, UpdateProperty } from './types.js';

/** What a Register, Deregister or Update that went through reports. */
export interface CallOutcome {
  /** The answer was lost; List showed that the call went through. */
  answerLost?: string;
}

/** The client a lost answer is settled with (its own List and Update, so what it says is what it did). */
export interface LostAnswerPeer {
  readonly meta: string;
  readonly sink?: EventSink;
  list(): Promise<ClusterStatus[]>;
  update(name: string, property: UpdateProperty, resend: boolean): Promise<CallOutcome>;
}

/**
 * A call that must not be repeated lost its answer: List says whether it went through. Done → the caller
 * goes on (with a warning saying so); not done → the bridge had not done it and retrying is safe (a retry
 * that finds it done after all says so), so a call lost with its connection is sent `again`, once (a reset
 * port-forward or bridge: the first call on the dead connection is lost, the next one goes through); List
 * failing too → the original "may have" error, with List's failure added.
 */
export async function settleLostAnswer(
  peer: LostAnswerPeer,
  error: WsdError,
  says: { done: string; notDone: string },
  done: (clusters: ClusterStatus[]) => boolean,
  again?: () => Promise<CallOutcome>,
): Promise<CallOutcome> {
  const lost = String(error.details['answerLost']);
  // One List settles it: the bridge runs every call through one queue, so a List it takes after the lost call
  // is answered after that call was applied or refused. Only a request still in transit can land later, and no
  // number of Lists or pauses bounds that: the error says so, and the next run's List or ALREADY_EXISTS finds it.
  let clusters: ClusterStatus[];
  try {
    clusters = await peer.list();
  } catch (listError) {
    throw new WsdError(error.code, `${error.message} (List to find out failed too: ${toWsdError(listError).message})`, {
      transient: true,
      details: error.details,
      cause: error,
    });
  }
  if (done(clusters)) {
    peer.sink?.emit({
      level: 'warn',
      code: 'registry.answer-lost',
      message: `${lost}; List on ${peer.meta} ${says.done}, so it went through`,
      data: { meta: peer.meta, operation: error.details['operation'], cluster: error.details['cluster'] },
    });
    return { answerLost: lost };
  }
  // Past the deadline the bridge may still be at it (Register dials ws-manager): sending it again would wait
  // another deadline behind it, so that one is left to the operator. Unless the deadline ran out while the job was
  // stopped: then the bridge had all that time, and List, answered after the call, says it had not done it.
  // A passing database failure (a deadlock, a lost database connection) List shows not written: the same.
  const database = error.details['database'];
  if (again && (error.details['grpcCode'] === GrpcStatus.UNAVAILABLE || typeof error.details['stoppedMs'] === 'number' || database === 'transient')) {
    peer.sink?.emit({
      level: 'warn',
      code: 'registry.retry',
      message: `${lost}; List on ${peer.meta} right after ${says.notDone}, so the bridge had not done it: sending it once more`,
      data: { meta: peer.meta, operation: error.details['operation'], cluster: error.details['cluster'], resent: true },
    });
    return again();
  }
  if (database === 'persistent') {
    throw new WsdError(
      'RegistryError',
      `${lost}; List on ${peer.meta} right after ${says.notDone}, so the bridge had not done it; its database refuses it, ` +
        `which a retry will not change (its schema, access or data): see the bridge's logs and its database`,
      { details: { ...error.details, answerLost: lost, applied: false }, cause: error },
    );
  }
  if (database === 'transient') {
    throw new WsdError('RegistryUnavailable', `${lost}; List on ${peer.meta} right after ${says.notDone}, so the bridge had not done it; retry once its database is back`, {
      transient: true,
      details: { ...error.details, answerLost: lost, applied: false },
      cause: error,
    });
  }
  // Past the deadline the bridge may still be at it (Register dials ws-manager): "not yet", not "never".
  const outcome =
    error.details['grpcCode'] === GrpcStatus.DEADLINE_EXCEEDED
      ? ', but the bridge may still be at it (a retry that finds it done says so)'
      : ', so the bridge had not done it (a request still in transit could land later: a retry that finds it done says so)';
  throw new WsdError('RegistryUnavailable', `${lost}; List on ${peer.meta} right after ${says.notDone}${outcome}; retry once the bridge answers`, {
    transient: true,
    details: { ...error.details, answerLost: lost, applied: false },
    cause: error,
  });
}

/**
 * After an add sent twice, List: when both copies landed (the first one was still on its way), the bridge holds
 * the constraint twice (it appends, and would keep both), so it is removed (which drops every copy) and added once.
 * In between the cluster lacks it for a round trip, as it did just before the add (List said so). A first copy
 * landing after this List is out of reach; the shift's constraint sets count a constraint once all the same.
 */
export async function keepOnce(peer: LostAnswerPeer, name: string, constraint: AdmissionConstraint): Promise<void> {
  let clusters: ClusterStatus[];
  try {
    clusters = await peer.list();
  } catch (error) {
    peer.sink?.emit({
      level: 'warn',
      code: 'registry.duplicate-unknown',
      message: `added ${formatConstraint(constraint)} to ${name} on ${peer.meta} with a second send, and could not List to check that it is there once (${toWsdError(error).message}); \`ws-deployment clusters list --meta ${peer.meta}\` shows it`,
      data: { meta: peer.meta, cluster: name, constraint: formatConstraint(constraint) },
    });
    return;
  }
  const copies = clusters.find((c) => c.name === name)?.admissionConstraints.filter((k) => sameConstraint(k, constraint)).length ?? 0;
  if (copies <= 1) return;
  const text = formatConstraint(constraint);
  peer.sink?.emit({
    level: 'warn',
    code: 'registry.duplicate-removed',
    message: `${name} on ${peer.meta} lists ${text} ${copies} times: the first add landed after all, besides the second; removing it and adding it once`,
    data: { meta: peer.meta, cluster: name, constraint: text, copies },
  });
  try {
    await peer.update(name, { admissionConstraint: { add: false, constraint } }, false);
    await peer.update(name, { admissionConstraint: { add: true, constraint } }, false);
  } catch (error) {
    const cause = toWsdError(error);
    throw new WsdError(
      cause.code,
      `${name} on ${peer.meta} listed ${text} ${copies} times after a second add, and setting it back to once failed: ${cause.message}; ` +
        `check with \`ws-deployment clusters list --meta ${peer.meta}\`, and if ${text} is missing add it with \`ws-deployment clusters update --meta ${peer.meta} --name ${name} admission-constraint add ${text}\``,
      { transient: cause.transient, details: { ...cause.details, duplicate: copies }, cause },
    );
  }
}

/** What List says, either way, about a state it can show ("show eu1 registered at …"). */
export function seen(state: string): { done: string; notDone: string } {
  return { done: `${state.replace(/^show /, 'shows ')}`, notDone: `does not ${state}` };
}

/** A Register, Deregister or constraint change whose answer was lost (see `outcomeUnknown` in status-errors.ts). */
export function lostAnswer(error: unknown): error is WsdError {
  return isWsdError(error) && typeof error.details['answerLost'] === 'string';
}
