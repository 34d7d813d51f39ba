/**
 * Whether a deployment the journal calls `running` still has a process. A run
 * holds its environment's lock for as long as it lives; one killed with
 * SIGKILL (or a lost CI pod) leaves `running` in the journal and no lock
 * holder. `status` shows such a deployment as interrupted, and `shift` queues
 * its commands for the `resume` that continues it instead of pretending that
 * something is listening.
 */
import type { Snapshot } from './model.js';
import type { StateStore } from './store.js';

/** True when a process holds the deployment's environment lock (it runs, or another run of the environment does). */
export async function hasLiveProcess(store: StateStore, snap: Snapshot, command: string): Promise<boolean> {
  try {
    const lock = await store.lock({ project: snap.inputs.project, environment: snap.inputs.environment }, { deploymentId: snap.id, command });
    await lock.release();
    return false;
  } catch {
    return true; // held: it is running (or another run of this environment is)
  }
}

/** The snapshot as an operator should see it: `running` without a live process is interrupted. */
export async function liveState(store: StateStore, snap: Snapshot): Promise<Snapshot> {
  if (snap.state !== 'running' || (await hasLiveProcess(store, snap, 'status'))) return snap;
  return { ...snap, state: 'interrupted', error: { code: 'Interrupted', message: `the process running deployment ${snap.id} is gone; continue it with \`ws-deployment resume ${snap.id}\`` } };
}
