/**
 * The environment lock on PostgreSQL, against an in-memory server that follows PostgreSQL's
 * advisory-lock semantics (./fake-postgres.ts). The same rules run against a real server in
 * test/integration/state/postgres-lock.test.ts; this file states them one by one, fast enough
 * to rerun for every mutant (`npm run mutation -- state`).
 */
import { hostname } from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import type { WsdError } from '../../../src/core/errors.js';
import { parseStateUrl, type PgModule } from '../../../src/state/postgres/connection.js';
import { acquirePostgresLock, advisoryLockId, type LockOptions } from '../../../src/state/postgres/postgres-lock.js';
import { FakePostgres, type HolderRowData } from './fake-postgres.js';

const key = { project: 'p', environment: 'production' };
const LOCK_ID = advisoryLockId(key);
const url = parseStateUrl('postgres://wsd:s3cret@127.0.0.1:5432/wsd?sslmode=disable');
const DISPLAY = 'postgres://wsd:[REDACTED]@127.0.0.1:5432/wsd?sslmode=disable';

function options(db: FakePostgres, sink = new MemorySink(), extra: Partial<LockOptions> = {}): LockOptions {
  return { pg: db.module() as unknown as PgModule, url, sink, key, who: { deploymentId: 'd-002', command: 'deploy' }, heartbeatMs: 60_000, ...extra };
}

const otherHolder = (backendPid: number): HolderRowData => ({
  lock_key: 'p/production',
  project: 'p',
  environment: 'production',
  pid: 77,
  host: 'pod-a',
  deployment_id: 'd-001',
  command: 'resume',
  since: '2026-12-01T10:00:00.000Z',
  backend_pid: backendPid,
});

afterEach(() => {
  vi.useRealTimers();
});

describe('postgres environment lock (fake server)', () => {
  it('takes a free lock: an advisory lock on its own session and a holder row naming this process', async () => {
    const db = new FakePostgres();
    const sink = new MemorySink();
    const before = Date.now();
    const lock = await acquirePostgresLock(options(db, sink));
    const [client] = db.clients;
    expect(client?.config).toMatchObject({ connectionString: url.connectionString, application_name: 'ws-deployment-lock', query_timeout: 10_000 });
    expect(db.advisory.get(LOCK_ID)).toEqual({ pid: client?.backendPid, count: 1 });
    expect(client?.ended).toBe(false);
    expect(lock.holder).toEqual({ deploymentId: 'd-002', command: 'deploy', pid: process.pid, host: hostname(), since: lock.holder.since });
    expect(Date.parse(lock.holder.since)).toBeGreaterThanOrEqual(before - 1000);
    expect(db.rows.get('p/production')).toEqual({
      lock_key: 'p/production',
      project: 'p',
      environment: 'production',
      pid: process.pid,
      host: hostname(),
      deployment_id: 'd-002',
      command: 'deploy',
      since: lock.holder.since,
      backend_pid: client?.backendPid,
    });
    expect(lock.takenOverFrom).toBeUndefined();
    expect(sink.events).toEqual([]);
    expect(lock.lost.aborted).toBe(false);
    await lock.release();
  });

  it('refuses while another live session holds it, naming the holder and how to end a lingering session', async () => {
    const db = new FakePostgres();
    const other = db.holdFromOtherSession(LOCK_ID);
    db.rows.set('p/production', otherHolder(other));
    const refusal = await acquirePostgresLock(options(db)).catch((e: WsdError) => e);
    expect(refusal).toMatchObject({
      code: 'LockHeld',
      message: `environment production of project p is locked by pid 77 on pod-a, deployment d-001 (resume), since 2026-12-01T10:00:00.000Z; wait for it to finish, or if that run is gone but its database session lingers, end the session with SELECT pg_terminate_backend(${other})`,
      details: { holder: { pid: 77, host: 'pod-a', deploymentId: 'd-001', command: 'resume', since: '2026-12-01T10:00:00.000Z' }, database: DISPLAY },
    });
    // The refused session is closed and took nothing; the holder's row is untouched.
    expect(db.clients[0]?.ended).toBe(true);
    expect(db.advisory.get(LOCK_ID)).toEqual({ pid: other, count: 1 });
    expect(db.rows.get('p/production')?.deployment_id).toBe('d-001');
  });

  it('waits up to 3 s for the winner of a simultaneous start to write its row, then names it', async () => {
    vi.useFakeTimers();
    const db = new FakePostgres();
    const other = db.holdFromOtherSession(LOCK_ID);
    const refusal = acquirePostgresLock(options(db)).catch((e: WsdError) => e);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(db.rows.size).toBe(0);
    db.rows.set('p/production', otherHolder(other));
    await vi.advanceTimersByTimeAsync(200);
    expect(await refusal).toMatchObject({ code: 'LockHeld', message: expect.stringMatching(/^environment production of project p is locked by pid 77 on pod-a, deployment d-001 \(resume\)/) });
  });

  it('says "still starting" when no live session has a row after 3 s, ignoring a row a dead session left', async () => {
    vi.useFakeTimers();
    const db = new FakePostgres();
    db.holdFromOtherSession(LOCK_ID);
    db.rows.set('p/production', otherHolder(999)); // backend 999 holds nothing: its session died
    let settled = false;
    const refusal = acquirePostgresLock(options(db))
      .catch((e: WsdError) => e)
      .finally(() => (settled = true));
    await vi.advanceTimersByTimeAsync(2_900);
    expect(settled).toBe(false);
    const polls = db.clients[0]?.statements.filter((s) => s.startsWith('SELECT l.*')).length ?? 0;
    expect(polls).toBeGreaterThan(10); // every 50 ms
    await vi.advanceTimersByTimeAsync(200);
    expect(settled).toBe(true);
    expect(await refusal).toMatchObject({
      code: 'LockHeld',
      message: 'environment production of project p is locked by another ws-deployment session that is still starting; try again in a few seconds',
      details: { holder: undefined, database: DISPLAY },
    });
  });

  it('takes over the row of a holder whose session died, and says so', async () => {
    const db = new FakePostgres();
    const sink = new MemorySink();
    db.rows.set('p/production', otherHolder(999));
    const lock = await acquirePostgresLock(options(db, sink));
    const previous = { pid: 77, host: 'pod-a', deploymentId: 'd-001', command: 'resume', since: '2026-12-01T10:00:00.000Z' };
    expect(lock.takenOverFrom).toEqual(previous);
    expect(sink.events).toMatchObject([
      {
        level: 'warn',
        code: 'lock.takeover',
        message:
          'took over the lock of environment production of project p from pid 77 on pod-a, deployment d-001 (resume), since 2026-12-01T10:00:00.000Z: its database session ended, so that run is gone',
        data: { previous },
      },
    ]);
    expect(db.rows.get('p/production')).toMatchObject({ deployment_id: 'd-002', backend_pid: db.clients[0]?.backendPid });
    await lock.release();
  });

  it('releases its row and advisory lock and closes the session, once', async () => {
    const db = new FakePostgres();
    const lock = await acquirePostgresLock(options(db));
    const client = db.clients[0]!;
    await lock.release();
    // It unlocks what it holds (ending the session alone would free it too, but a pooled session would keep it).
    expect(db.unlocks).toEqual([{ pid: client.backendPid, id: LOCK_ID, ok: true }]);
    expect(db.rows.size).toBe(0);
    expect(client.statements.slice(-2)).toEqual(['DELETE FROM ws_deployment_locks WHERE lock_key = $1 AND backend_pid = pg_backend_pid()', 'SELECT pg_advisory_unlock($1::bigint)']);
    expect(client.ended).toBe(true);
    const count = client.statements.length;
    await lock.release();
    expect(client.statements.length).toBe(count);
    // Free for the next run, with nothing to take over.
    const next = await acquirePostgresLock(options(db));
    expect(next.takenOverFrom).toBeUndefined();
    await next.release();
  });

  it('leaves the row of whoever took over alone when it releases late', async () => {
    const db = new FakePostgres();
    const lock = await acquirePostgresLock(options(db));
    const newer = otherHolder(db.holdFromOtherSession('some-other-id'));
    db.rows.set('p/production', newer);
    await lock.release();
    expect(db.rows.get('p/production')).toEqual(newer);
  });

  it('still closes the session when the release statements fail', async () => {
    const db = new FakePostgres();
    const lock = await acquirePostgresLock(options(db));
    db.failNext.set('DELETE FROM ws_deployment_locks WHERE lock_key = $1 AND backend_pid = pg_backend_pid()', new Error('connection terminated'));
    await expect(lock.release()).resolves.toBeUndefined();
    expect(db.clients[0]?.ended).toBe(true);
    expect(db.advisory.size).toBe(0);
  });

  it('aborts `lost` and tells every listener once when its session is terminated', async () => {
    const db = new FakePostgres();
    const sink = new MemorySink();
    const lock = await acquirePostgresLock(options(db, sink));
    const heard: WsdError[] = [];
    lock.onLockLost((e) => heard.push(e));
    const unsubscribed = vi.fn();
    const off = lock.onLockLost(unsubscribed);
    off();
    db.terminate(db.clients[0]!.backendPid);
    const expected = `lost the database session holding the lock of environment production of project p (57P01: terminating connection due to administrator command); the lock is gone, so this run stops before another one can start alongside it; run \`ws-deployment resume d-002\` when the database is back`;
    expect(lock.lost.aborted).toBe(true);
    expect(lock.lost.reason).toMatchObject({ code: 'StateIo', transient: true, message: expected, details: { deploymentId: 'd-002', database: DISPLAY } });
    expect((lock.lost.reason as Error).cause).toMatchObject({ code: '57P01' });
    expect(heard).toEqual([lock.lost.reason]);
    expect(unsubscribed).not.toHaveBeenCalled();
    expect(sink.events).toMatchObject([{ level: 'error', code: 'lock.lost', message: expected, data: { deploymentId: 'd-002' } }]);
    // A listener added afterwards hears of it at once; its unsubscribe is harmless.
    const late: WsdError[] = [];
    lock.onLockLost((e) => late.push(e))();
    expect(late).toEqual([lock.lost.reason]);
    // A release after the loss sends nothing to the dead session.
    const sent = db.clients[0]!.statements.length;
    await lock.release();
    expect(db.clients[0]!.statements.length).toBe(sent);
  });

  it('treats a connection that just ends as lost too', async () => {
    const db = new FakePostgres();
    const lock = await acquirePostgresLock(options(db));
    db.clients[0]!.emit('end');
    expect(lock.lost.reason).toMatchObject({ code: 'StateIo', message: expect.stringContaining('(connection terminated)') });
  });

  it('does not report a loss for the connection it closes itself on release', async () => {
    const db = new FakePostgres();
    const sink = new MemorySink();
    const lock = await acquirePostgresLock(options(db, sink));
    const heard = vi.fn();
    lock.onLockLost(heard);
    await lock.release();
    db.clients[0]!.emit('error', new Error('late socket error'));
    expect(lock.lost.aborted).toBe(false);
    expect(heard).not.toHaveBeenCalled();
    expect(sink.codes()).toEqual([]);
  });

  it('probes the session every heartbeat and keeps the lock while probes are answered', async () => {
    vi.useFakeTimers();
    const db = new FakePostgres();
    const lock = await acquirePostgresLock(options(db, new MemorySink(), { heartbeatMs: 1_000 }));
    const pings = () => db.clients[0]!.statements.filter((s) => s === 'SELECT 1').length;
    await vi.advanceTimersByTimeAsync(999);
    expect(pings()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(pings()).toBe(1);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(pings()).toBe(5);
    expect(lock.lost.aborted).toBe(false);
    await lock.release();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(pings()).toBe(5);
  });

  it('counts a probe unanswered for a whole heartbeat as a lost session (silent network)', async () => {
    vi.useFakeTimers();
    const db = new FakePostgres();
    const lock = await acquirePostgresLock(options(db, new MemorySink(), { heartbeatMs: 1_000 }));
    await vi.advanceTimersByTimeAsync(1_000); // answered
    db.blackhole = true;
    await vi.advanceTimersByTimeAsync(1_000); // sent, no answer
    expect(lock.lost.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(lock.lost.reason).toMatchObject({ code: 'StateIo', message: expect.stringContaining('(the database did not answer a liveness probe within 1000 ms)') });
    expect(db.clients[0]?.ended).toBe(true);
    // No probing after the loss.
    const sent = db.clients[0]!.statements.length;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(db.clients[0]!.statements.length).toBe(sent);
  });

  it('counts a failed probe as a lost session', async () => {
    vi.useFakeTimers();
    const db = new FakePostgres();
    const lock = await acquirePostgresLock(options(db, new MemorySink(), { heartbeatMs: 1_000 }));
    db.failNext.set('SELECT 1', Object.assign(new Error('server closed the connection unexpectedly'), { code: '08006' }));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(lock.lost.reason).toMatchObject({ message: expect.stringContaining('(08006: server closed the connection unexpectedly)') });
  });

  it('throws connection errors as they are, for the caller to retry, and closes the half-open session', async () => {
    const db = new FakePostgres();
    db.refuseConnections = true;
    await expect(acquirePostgresLock(options(db))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    db.refuseConnections = false;
    const failure = Object.assign(new Error('Connection terminated unexpectedly'), {});
    db.failNext.set(
      'INSERT INTO ws_deployment_locks (lock_key, project, environment, pid, host, deployment_id, command, since, backend_pid) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, pg_backend_pid()) ON CONFLICT (lock_key) DO UPDATE SET project = EXCLUDED.project, environment = EXCLUDED.environment, pid = EXCLUDED.pid, host = EXCLUDED.host, deployment_id = EXCLUDED.deployment_id, command = EXCLUDED.command, since = EXCLUDED.since, backend_pid = EXCLUDED.backend_pid',
      failure,
    );
    await expect(acquirePostgresLock(options(db))).rejects.toBe(failure);
    // Its session ended, so PostgreSQL freed the advisory lock it had just taken.
    expect(db.clients[1]?.ended).toBe(true);
    expect(db.advisory.size).toBe(0);
  });
});
