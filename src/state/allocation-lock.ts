/**
 * The state dir's cluster id allocation lock (file store). Each environment has its own lock, so two environments
 * deploying into one state dir run side by side; but allocation reads the journals of every environment (their
 * short names are shared: one sandbox registry, one `retire/` folder) and the new deployment's `deployment.created`
 * is what the next allocation reads. Between that read and that record two runs took the same id (3 races in 20
 * with the sandbox config). This short lock, held from the read to the record, makes the two one after the other.
 *
 * A contender waits (allocation takes seconds: existence probes, one registry List per meta cluster) rather than
 * being refused; a holder whose process is gone is taken over as with the environment lock (file-lock.ts).
 */
import { WsdError } from '../core/errors.js';
import { describeHolder, tryFileLock } from './file-lock.js';
import type { LockHandle, LockHolder } from './store.js';

export const ALLOCATION_LOCK_FILE = 'cluster-id-allocation.lock';

/** How long a run waits for another's allocation: probes of every candidate id would take far less. */
export const ALLOCATION_WAIT_MS = 10 * 60_000;

export interface AllocationWait {
  /** Default {@link ALLOCATION_WAIT_MS}. */
  waitMs?: number;
  signal?: AbortSignal;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The refusal once `waitMs` passed with the lock still held by `holder` (alive, or on another host where we cannot see it). */
export function allocationWaitError(holder: LockHolder, where: string, waitMs: number): WsdError {
  return new WsdError(
    'LockHeld',
    `cluster id allocation in this state dir is held by ${describeHolder(holder)} and did not end in ${Math.round(waitMs / 1000)} s; wait for that run to journal its id and try again, or if that process is gone on another host, remove ${where}`,
    { details: { holder, lockFile: where } },
  );
}

/** Takes the allocation lock in the lock folder `dir`, waiting while another run holds it. */
export async function acquireAllocationLock(dir: string, who: Omit<LockHolder, 'since' | 'pid' | 'host'>, options: AllocationWait = {}): Promise<LockHandle> {
  const waitMs = options.waitMs ?? ALLOCATION_WAIT_MS;
  const deadline = Date.now() + waitMs;
  for (let round = 0; ; round++) {
    const taken = tryFileLock(dir, ALLOCATION_LOCK_FILE, who, { copied: 'stale' });
    if ('release' in taken) return taken;
    if (options.signal?.aborted) throw new WsdError('Interrupted', 'interrupted while waiting for the cluster id allocation of another run in this state dir; nothing was journaled');
    if (Date.now() >= deadline) throw allocationWaitError(taken.holder, taken.path, waitMs);
    // From 10 ms up to 200 ms: an allocation in the sandbox ends in milliseconds, one probing GKE in seconds.
    await sleep(Math.min(200, 10 * 2 ** Math.min(round, 5)) + Math.floor(Math.random() * 10), options.signal);
  }
}
