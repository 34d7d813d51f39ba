/**
 * The (project, environment) lock in PostgreSQL: a session-level advisory lock
 * held on a connection of its own for the whole run, plus a row naming the
 * holder so a refusal reads exactly like the file lock's.
 *
 * PostgreSQL frees an advisory lock when its session ends, so a crashed pod
 * never leaves the environment locked: a free advisory lock with a holder row
 * left behind means that holder's session died, and the row is taken over.
 * The other way round, when OUR session dies the lock is gone and another
 * operator may start: the handle's `lost` signal aborts and `onLockLost`
 * listeners run, so the caller can stop the run.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { Client } from 'pg';
import { WsdError } from '../../core/errors.js';
import type { EventSink } from '../../core/events.js';
import { describeHolder } from '../file-lock.js';
import type { LockHandle, LockHolder } from '../store.js';
import { clientConfig, describePgError, type PgModule, type StateUrl } from './connection.js';

/** A held PostgreSQL lock. */
export interface PostgresLockHandle extends LockHandle {
  /** Aborted (with a `StateIo` WsdError as reason) when the lock's session is lost. */
  readonly lost: AbortSignal;
  /** The holder whose dead session this lock was taken over from, if any. */
  readonly takenOverFrom?: LockHolder;
  /** Calls `listener` once when the lock is lost (at once if it already is); returns an unsubscribe. */
  onLockLost(listener: (error: WsdError) => void): () => void;
}

export interface LockOptions {
  pg: PgModule;
  url: StateUrl;
  sink: EventSink;
  key: { project: string; environment: string };
  who: Omit<LockHolder, 'since' | 'pid' | 'host'>;
  /** How often the lock connection is probed, to notice silently dropped networks. */
  heartbeatMs: number;
}

/** The advisory-lock id of a key: the first 8 bytes of a SHA-256, as a signed 64-bit decimal. */
export function advisoryLockId(key: { project: string; environment: string }): string {
  const digest = createHash('sha256').update(`ws-deployment-lock\0${key.project}\0${key.environment}`).digest();
  return digest.readBigInt64BE(0).toString();
}

/** The `lock_key` column: readable in `SELECT * FROM ws_deployment_locks`. */
export function lockRowKey(key: { project: string; environment: string }): string {
  return `${key.project}/${key.environment}`;
}

interface HolderRow {
  pid: number;
  host: string;
  deployment_id: string;
  command: string;
  since: string;
  backend_pid: number;
}

function toHolder(row: HolderRow): LockHolder {
  return { pid: row.pid, host: row.host, deploymentId: row.deployment_id, command: row.command, since: row.since };
}

/** How long a refused start waits for the winner's holder row (written right after it took the advisory lock). */
const HOLDER_ROW_WAIT_MS = 3_000;

/**
 * The holder row of the session that holds the lock now. Just after a
 * simultaneous start the winner has the advisory lock but has not written its
 * row yet, and a row left by a dead session may still be there: only a row whose
 * session is alive and holds an advisory lock names the holder, so wait a moment for it.
 */
async function liveHolder(client: Client, key: { project: string; environment: string }): Promise<HolderRow | undefined> {
  const deadline = Date.now() + HOLDER_ROW_WAIT_MS;
  for (;;) {
    const row = await liveHolderRow(client, key);
    if (row || Date.now() >= deadline) return row;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The row's session holds this key's advisory lock, in the database `$db` names ('=' this one, '<>' another):
 * pg_locks shows a bigint key as classid (its high 32 bits) and objid (its low 32 bits) with objsubid 1.
 * pg_locks spans every database of the server, and a backend pid alone is no proof: a row copied into
 * another database (pg_dump of a running deployment's database) names a session that holds the lock
 * there, not here; a row restored on another server may name an unrelated backend with the same pid.
 */
function holdsThisLock(db: '=' | '<>'): string {
  return `EXISTS (SELECT 1 FROM pg_locks p WHERE ${lockOfRow(db)})`;
}

function lockOfRow(db: '=' | '<>'): string {
  return `p.pid = l.backend_pid AND p.locktype = 'advisory' AND p.granted
    AND p.objsubid = 1 AND p.classid::bigint = (($2::bigint >> 32) & 4294967295) AND p.objid::bigint = ($2::bigint & 4294967295)
    AND p.database ${db} (SELECT oid FROM pg_database WHERE datname = current_database())`;
}

/** The holder row whose session is alive and holds this key's advisory lock in this database now; any other row names no one. */
async function liveHolderRow(client: Pick<Client, 'query'>, key: { project: string; environment: string }): Promise<HolderRow | undefined> {
  const { rows } = await client.query<HolderRow>(`SELECT l.* FROM ws_deployment_locks l WHERE l.lock_key = $1 AND ${holdsThisLock('=')}`, [lockRowKey(key), advisoryLockId(key)]);
  return rows[0];
}

/**
 * What to tell the operator when the holder row names a run that holds this key's lock in another database of
 * the server (this database is a copy made while it ran there): undefined for any other row.
 */
export async function copiedLockRowNote(client: Pick<Client, 'query'>, key: { project: string; environment: string }): Promise<string | undefined> {
  const { rows } = await client.query<HolderRow & { datname: string }>(
    `SELECT l.*, d.datname FROM ws_deployment_locks l JOIN pg_locks p ON ${lockOfRow('<>')} JOIN pg_database d ON d.oid = p.database WHERE l.lock_key = $1`,
    [lockRowKey(key), advisoryLockId(key)],
  );
  const row = rows[0];
  return row ? `its lock row was copied from database ${row.datname} while ${describeHolder(toHolder(row))} ran there; not running here` : undefined;
}

/**
 * Who holds the lock of `key`, read without taking it (for `status`, `status --watch`, `shift`): a process
 * killed with SIGKILL loses its session, PostgreSQL frees its advisory lock, and its row names no one any more.
 */
export async function readLockHolder(client: Pick<Client, 'query'>, key: { project: string; environment: string }): Promise<LockHolder | undefined> {
  const row = await liveHolderRow(client, key);
  return row ? toHolder(row) : undefined;
}

/** Takes the lock or throws `LockHeld` naming the holder. Connection errors are thrown as they are (the caller retries). */
export async function acquirePostgresLock(options: LockOptions): Promise<PostgresLockHandle> {
  const { key, sink, url } = options;
  const lockId = advisoryLockId(key);
  const rowKey = lockRowKey(key);
  const client: Client = new options.pg.Client({ ...clientConfig(url, 'ws-deployment-lock'), query_timeout: 10_000 });
  let onConnectionError: (error: Error) => void = () => undefined;
  // Attached before connect: an unhandled 'error' would crash the process.
  client.on('error', (error) => onConnectionError(error));
  client.on('end', () => onConnectionError(new Error('connection terminated')));
  try {
    await client.connect();
    const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [lockId]);
    if (!rows[0]?.ok) {
      const current = await liveHolder(client, key);
      const who = current
        ? `${describeHolder(toHolder(current))}; wait for it to finish, or if that run is gone but its database session lingers, end the session with SELECT pg_terminate_backend(${current.backend_pid})`
        : 'another ws-deployment session that is still starting; try again in a few seconds';
      throw new WsdError('LockHeld', `environment ${key.environment} of project ${key.project} is locked by ${who}`, {
        details: { holder: current ? toHolder(current) : undefined, database: url.display },
      });
    }
    const current = (await client.query<HolderRow>('SELECT * FROM ws_deployment_locks WHERE lock_key = $1', [rowKey])).rows[0];
    const holder: LockHolder = { ...options.who, pid: process.pid, host: hostname(), since: new Date().toISOString() };
    await client.query(
      `INSERT INTO ws_deployment_locks (lock_key, project, environment, pid, host, deployment_id, command, since, backend_pid)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, pg_backend_pid())
       ON CONFLICT (lock_key) DO UPDATE SET project = EXCLUDED.project, environment = EXCLUDED.environment, pid = EXCLUDED.pid, host = EXCLUDED.host,
         deployment_id = EXCLUDED.deployment_id, command = EXCLUDED.command, since = EXCLUDED.since, backend_pid = EXCLUDED.backend_pid`,
      [rowKey, key.project, key.environment, holder.pid, holder.host, holder.deploymentId, holder.command, holder.since],
    );
    const takenOverFrom = current ? toHolder(current) : undefined;
    if (takenOverFrom) {
      sink.emit({
        level: 'warn',
        code: 'lock.takeover',
        message: `took over the lock of environment ${key.environment} of project ${key.project} from ${describeHolder(takenOverFrom)}: its database session ended, so that run is gone`,
        data: { previous: takenOverFrom },
      });
    }
    return holdLock(client, holder, takenOverFrom, options, (handler) => (onConnectionError = handler));
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

function holdLock(
  client: Client,
  holder: LockHolder,
  takenOverFrom: LockHolder | undefined,
  options: LockOptions,
  setConnectionErrorHandler: (handler: (error: Error) => void) => void,
): PostgresLockHandle {
  const { key, sink, url } = options;
  const controller = new AbortController();
  const listeners = new Set<(error: WsdError) => void>();
  let released = false;
  // A network that drops packets silently sends no error (and TCP keepalive takes minutes):
  // ask the server now and then, and count a probe unanswered for a whole interval as a loss.
  let probing = false;
  const heartbeat = setInterval(() => {
    if (probing) {
      lose(new Error(`the database did not answer a liveness probe within ${options.heartbeatMs} ms`));
      return;
    }
    probing = true;
    client.query('SELECT 1').then(
      () => (probing = false),
      (error: unknown) => lose(error),
    );
  }, options.heartbeatMs);
  heartbeat.unref();

  const lose = (cause: unknown): void => {
    if (released || controller.signal.aborted) return;
    clearInterval(heartbeat);
    const error = new WsdError(
      'StateIo',
      `lost the database session holding the lock of environment ${key.environment} of project ${key.project} (${describePgError(cause)}); the lock is gone, so this run stops before another one can start alongside it; run \`ws-deployment resume ${holder.deploymentId}\` when the database is back`,
      { cause, transient: true, details: { deploymentId: holder.deploymentId, database: url.display } },
    );
    controller.abort(error);
    sink.emit({ level: 'error', code: 'lock.lost', message: error.message, data: { deploymentId: holder.deploymentId } });
    for (const listener of listeners) listener(error);
    listeners.clear();
    client.end().catch(() => undefined);
  };
  setConnectionErrorHandler(lose);

  return {
    holder,
    takenOverFrom,
    lost: controller.signal,
    onLockLost(listener) {
      if (controller.signal.aborted) {
        listener(controller.signal.reason as WsdError);
        return () => undefined;
      }
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async release() {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      listeners.clear();
      if (!controller.signal.aborted) {
        try {
          // Only our own row: after a takeover the row belongs to someone else.
          await client.query('DELETE FROM ws_deployment_locks WHERE lock_key = $1 AND backend_pid = pg_backend_pid()', [lockRowKey(key)]);
          await client.query('SELECT pg_advisory_unlock($1::bigint)', [advisoryLockId(key)]);
        } catch {
          // The session is gone, and PostgreSQL released the advisory lock with it.
        }
      }
      await client.end().catch(() => undefined);
    },
  };
}
