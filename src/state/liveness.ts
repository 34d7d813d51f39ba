/**
 * Whether a deployment the journal calls `running` still has a process. A run
 * holds its environment's lock for as long as it lives; one killed with
 * SIGKILL (or a lost CI pod) leaves `running` in the journal and no lock
 * holder. `status` shows such a deployment as interrupted, and `shift` queues
 * its commands for the `resume` that continues it instead of pretending that
 * something is listening.
 */
import { WsdError } from '../core/errors.js';
import type { Snapshot, StepRecordState } from './model.js';
import type { LockHolder, StateStore } from './store.js';

/**
 * True when a process holds the deployment's environment lock for this deployment. The lock is
 * one per environment, so a holder running another deployment (a `deploy --allow-unfinished`
 * beside a killed one) proves this one has no process. The file store reads the lock's holder
 * (pid, host, start time) without taking it: asking must not need a writable state dir, where a
 * failed attempt would look like a holder and show a killed run as running.
 */
export async function hasLiveProcess(store: StateStore, snap: Snapshot, command: string): Promise<boolean> {
  const key = { project: snap.inputs.project, environment: snap.inputs.environment };
  if (store.lockHolder) return runs(await store.lockHolder(key), snap.id);
  try {
    const lock = await store.lock(key, { deploymentId: snap.id, command });
    await lock.release();
    return false;
  } catch (error) {
    if (error instanceof WsdError && error.code !== 'LockHeld') throw error;
    // Held: by this deployment's run, unless the holder is named and runs another one.
    const holder = error instanceof WsdError ? (error.details.holder as LockHolder | undefined) : undefined;
    return holder === undefined || runs(holder, snap.id);
  }
}

function runs(holder: LockHolder | undefined, id: string): boolean {
  return holder !== undefined && holder.deploymentId === id;
}

/** The snapshot as an operator should see it: `running` without a live process is interrupted. */
export async function liveState(store: StateStore, snap: Snapshot): Promise<Snapshot> {
  if (snap.state !== 'running' || (await hasLiveProcess(store, snap, 'status'))) return snap;
  const copied = await store.lockNote?.({ project: snap.inputs.project, environment: snap.inputs.environment });
  return processGone(snap, copied);
}

/**
 * A `running` snapshot whose process is gone: the deployment is interrupted, and so is every step
 * the journal still calls running (nothing runs it; `resume` re-checks it), as a SIGINT would have left them.
 * `copied` says why a live lock holds nothing here (this state dir is a copy of one where it runs).
 */
export function processGone(snap: Snapshot, copied?: string): Snapshot {
  const cut = (s: StepRecordState): StepRecordState => (s.state === 'running' ? { ...s, state: 'interrupted' } : s);
  // A copy's deployment is not running here, but the run in the original still works on the same clusters.
  const message = copied
    ? `this state dir is a copy: ${copied}. That run still works on the deployment's clusters: once it is over, continue here with \`ws-deployment resume ${snap.id}\``
    : `the process running deployment ${snap.id} is gone; continue it with \`ws-deployment resume ${snap.id}\``;
  return {
    ...snap,
    state: 'interrupted',
    error: { code: 'Interrupted', message },
    clusters: snap.clusters.map((c) => ({ ...c, steps: c.steps.map(cut) })),
    deploymentSteps: (snap.deploymentSteps ?? []).map(cut),
  };
}
