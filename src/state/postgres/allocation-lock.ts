/**
 * The database's cluster id allocation lock (see state/allocation-lock.ts for why): a session-level advisory lock
 * on a connection of its own, held from reading the earlier deployments until the new one's `deployment.created` is
 * journaled. A contender polls for it (allocation takes seconds); a crashed holder's session frees it.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { Client } from 'pg';
import { WsdError } from '../../core/errors.js';
import { ALLOCATION_WAIT_MS } from '../allocation-lock.js';
import type { LockHandle, LockHolder } from '../store.js';
import { clientConfig, type PgModule, type StateUrl } from './connection.js';

/** Its advisory-lock id: another namespace than the environment locks' (postgres-lock.ts advisoryLockId). */
export const ALLOCATION_LOCK_ID = createHash('sha256').update('ws-deployment-cluster-id-allocation').digest().readBigInt64BE(0).toString();

export async function acquirePostgresAllocationLock(
  options: { pg: PgModule; url: StateUrl; who: Omit<LockHolder, 'since' | 'pid' | 'host'>; signal?: AbortSignal; waitMs?: number },
): Promise<LockHandle> {
  const waitMs = options.waitMs ?? ALLOCATION_WAIT_MS;
  const client: Client = new options.pg.Client({ ...clientConfig(options.url, 'ws-deployment-allocation'), query_timeout: 10_000 });
  client.on('error', () => undefined); // a lost session frees the lock; the caller's journal writes say the rest
  const deadline = Date.now() + waitMs;
  try {
    await client.connect();
    for (;;) {
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [ALLOCATION_LOCK_ID]);
      if (rows[0]?.ok) break;
      if (options.signal?.aborted) throw new WsdError('Interrupted', 'interrupted while waiting for the cluster id allocation of another run in this state database; nothing was journaled');
      if (Date.now() >= deadline) {
        throw new WsdError(
          'LockHeld',
          `cluster id allocation in the state database ${options.url.display} is held by another session for over ${Math.round(waitMs / 1000)} s; wait for that run to journal its id and try again, or if that run is gone but its session lingers, end it (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'ws-deployment-allocation')`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100 + Math.floor(Math.random() * 50)));
    }
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  let released = false;
  return {
    holder: { ...options.who, pid: process.pid, host: hostname(), since: new Date().toISOString() },
    async release() {
      if (released) return;
      released = true;
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [ALLOCATION_LOCK_ID]).catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}
