/**
 * An in-memory stand-in for a PostgreSQL server, as far as the environment lock
 * (src/state/postgres/postgres-lock.ts) uses one, reached through a `pg`-like
 * `Client` class. Written from PostgreSQL's documented semantics, not from the
 * lock module:
 * - session-level advisory locks (`pg_try_advisory_lock`) belong to a backend
 *   session, stack (a session that holds one may take it again and must unlock
 *   as often), and are all freed when the session ends;
 * - `pg_advisory_unlock` of a lock the session does not hold returns false;
 * - `pg_locks` lists granted advisory locks with the holding backend's pid and the key;
 * - an ended session answers nothing more ("Client was closed and is not
 *   queryable"); a terminated backend raises 57P01 on its client, then `end`.
 *
 * It accepts exactly the statements the lock issues (whitespace-normalised) and
 * throws on any other, so a mangled statement fails like a syntax error would.
 * The real-server behaviour is covered by test/integration/state/postgres-lock.test.ts.
 */
import { EventEmitter } from 'node:events';

export interface HolderRowData {
  lock_key: string;
  project: string;
  environment: string;
  pid: number;
  host: string;
  deployment_id: string;
  command: string;
  since: string;
  backend_pid: number;
}

const norm = (sql: string) => sql.replace(/\s+/g, ' ').trim();

const SQL = {
  tryLock: 'SELECT pg_try_advisory_lock($1::bigint) AS ok',
  // This key's advisory lock (classid/objid: the bigint's halves) held by the row's session, in this (the only) database.
  liveHolder:
    "SELECT l.* FROM ws_deployment_locks l WHERE l.lock_key = $1 AND EXISTS (SELECT 1 FROM pg_locks p WHERE p.pid = l.backend_pid AND p.locktype = 'advisory' AND p.granted AND p.objsubid = 1 AND p.classid::bigint = (($2::bigint >> 32) & 4294967295) AND p.objid::bigint = ($2::bigint & 4294967295) AND p.database = (SELECT oid FROM pg_database WHERE datname = current_database()))",
  row: 'SELECT * FROM ws_deployment_locks WHERE lock_key = $1',
  upsert:
    'INSERT INTO ws_deployment_locks (lock_key, project, environment, pid, host, deployment_id, command, since, backend_pid) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, pg_backend_pid()) ON CONFLICT (lock_key) DO UPDATE SET project = EXCLUDED.project, environment = EXCLUDED.environment, pid = EXCLUDED.pid, host = EXCLUDED.host, deployment_id = EXCLUDED.deployment_id, command = EXCLUDED.command, since = EXCLUDED.since, backend_pid = EXCLUDED.backend_pid',
  deleteOwn: 'DELETE FROM ws_deployment_locks WHERE lock_key = $1 AND backend_pid = pg_backend_pid()',
  unlock: 'SELECT pg_advisory_unlock($1::bigint)',
  ping: 'SELECT 1',
};

/** One fake backend session, shaped like pg's Client for what the lock calls. */
export class FakeClient extends EventEmitter {
  backendPid = 0;
  ended = false;
  readonly statements: string[] = [];

  constructor(
    private readonly server: FakePostgres,
    readonly config: Record<string, unknown>,
  ) {
    super();
    server.clients.push(this);
  }

  async connect(): Promise<void> {
    if (this.server.refuseConnections) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    this.backendPid = this.server.nextPid++;
  }

  query<R = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<{ rows: R[] }> {
    const sql = norm(text);
    // Every statement the caller tried to send, also on a closed client (which refuses it, as pg does).
    this.statements.push(sql);
    if (this.ended || this.backendPid === 0) return Promise.reject(new Error('Client was closed and is not queryable'));
    const needed = Math.max(0, ...[...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
    if (values.length < needed) {
      return Promise.reject(Object.assign(new Error(`bind message supplies ${values.length} parameters, but prepared statement "" requires ${needed}`), { code: '08P01' }));
    }
    if (this.server.blackhole) return new Promise(() => undefined); // a silent network: no answer, no error
    const failure = this.server.failNext.get(sql);
    if (failure) {
      this.server.failNext.delete(sql);
      return Promise.reject(failure);
    }
    try {
      return Promise.resolve({ rows: this.server.execute(this, sql, values) as R[] });
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.server.endSession(this.backendPid);
    this.emit('end');
  }
}

export class FakePostgres {
  nextPid = 4242;
  refuseConnections = false;
  blackhole = false;
  /** Statement (normalised) → error its next execution raises. */
  readonly failNext = new Map<string, Error>();
  readonly clients: FakeClient[] = [];
  /** Advisory lock id → holding backend pid and how often that session took it. */
  readonly advisory = new Map<string, { pid: number; count: number }>();
  readonly rows = new Map<string, HolderRowData>();
  /** Every pg_advisory_unlock call: which session, which id, whether it held it. */
  readonly unlocks: Array<{ pid: number; id: string; ok: boolean }> = [];

  /** The `pg` module shape the lock takes (`new pg.Client(config)`). */
  module(): { Client: new (config: Record<string, unknown>) => FakeClient } {
    const bind = (server: FakePostgres) =>
      class extends FakeClient {
        constructor(config: Record<string, unknown>) {
          super(server, config);
        }
      };
    return { Client: bind(this) };
  }

  /** Another session (e.g. another pod) holding `lockId`; returns its pid. */
  holdFromOtherSession(lockId: string): number {
    const pid = this.nextPid++;
    this.advisory.set(lockId, { pid, count: 1 });
    return pid;
  }

  /** pg_terminate_backend(pid): the client sees 57P01, then its connection ends. */
  terminate(pid: number): void {
    const client = this.clients.find((c) => c.backendPid === pid && !c.ended);
    this.endSession(pid);
    if (!client) return;
    client.emit('error', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }));
    client.ended = true;
    client.emit('end');
  }

  endSession(pid: number): void {
    for (const [id, lock] of this.advisory) if (lock.pid === pid) this.advisory.delete(id);
  }

  execute(client: FakeClient, sql: string, values: unknown[]): unknown[] {
    const pid = client.backendPid;
    switch (sql) {
      case SQL.tryLock: {
        const id = String(values[0]);
        const held = this.advisory.get(id);
        if (held && held.pid !== pid) return [{ ok: false }];
        this.advisory.set(id, { pid, count: (held?.count ?? 0) + 1 });
        return [{ ok: true }];
      }
      case SQL.unlock: {
        const id = String(values[0]);
        const held = this.advisory.get(id);
        this.unlocks.push({ pid, id, ok: held?.pid === pid });
        if (!held || held.pid !== pid) return [{ pg_advisory_unlock: false }];
        if (held.count > 1) held.count--;
        else this.advisory.delete(id);
        return [{ pg_advisory_unlock: true }];
      }
      case SQL.liveHolder: {
        const row = this.rows.get(String(values[0]));
        const live = row && this.advisory.get(String(values[1]))?.pid === row.backend_pid;
        return live ? [{ ...row }] : [];
      }
      case SQL.row: {
        const row = this.rows.get(String(values[0]));
        return row ? [{ ...row }] : [];
      }
      case SQL.upsert: {
        const [lock_key, project, environment, holderPid, host, deployment_id, command, since] = values as [string, string, string, number, string, string, string, string];
        this.rows.set(lock_key, { lock_key, project, environment, pid: holderPid, host, deployment_id, command, since, backend_pid: pid });
        return [];
      }
      case SQL.deleteOwn: {
        const row = this.rows.get(String(values[0]));
        if (row && row.backend_pid === pid) this.rows.delete(row.lock_key);
        return [];
      }
      case SQL.ping:
        return [{ '?column?': 1 }];
      default:
        throw Object.assign(new Error(`syntax error or unknown statement in fake postgres: ${sql}`), { code: '42601' });
    }
  }
}
