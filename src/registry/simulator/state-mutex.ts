/**
 * One registry state file may be served by several processes at once: the
 * sandbox's embedded registry lives in every `deploy` and `clusters` process
 * that needs it. Each mutation therefore runs under a cross-process mutex on
 * the file and starts from what is on disk, so no process writes back a stale
 * copy over another one's change. The mutex is the state dir's lock file
 * (complete-or-absent, stale holders of dead processes taken over safely);
 * here it is held for milliseconds, so contenders wait instead of refusing.
 */
import { randomBytes } from 'node:crypto';
import { basename, dirname } from 'node:path';
import { WsdError } from '../../core/errors.js';
import { sleep } from '../../core/sleep.js';
import { acquireFileLock } from '../../state/file-lock.js';
import type { LockHandle } from '../../state/store.js';

/** Longer than any mutation (the slowest is Register's 3 s reachability check) by a wide margin. */
const WAIT_MS = 15_000;

export async function withStateMutex<T>(stateFile: string, fn: () => Promise<T>): Promise<T> {
  const key = { project: 'registry-state', environment: basename(stateFile) };
  const deadline = Date.now() + WAIT_MS;
  let handle: LockHandle | undefined;
  while (!handle) {
    try {
      // A fresh id per acquisition: release removes exactly this holding, even between simulators of one process.
      handle = acquireFileLock(dirname(stateFile), key, { deploymentId: randomBytes(6).toString('hex'), command: 'registry simulator' });
    } catch (error) {
      if (!(error instanceof WsdError) || error.code !== 'LockHeld') throw error;
      if (Date.now() > deadline) {
        throw new WsdError('LockHeld', `registry state ${stateFile} stayed locked for ${WAIT_MS / 1000} s: ${error.message}`, { cause: error });
      }
      await sleep(5 + Math.floor(Math.random() * 10));
    }
  }
  try {
    return await fn();
  } finally {
    await handle.release();
  }
}
