import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WsdError } from '../../../src/core/errors.js';
import { MemorySink } from '../../../src/core/events.js';
import type { LockHolder } from '../../../src/state/store.js';
import { openPostgresStore } from '../../../src/state/postgres/postgres-store.js';
import { hasPostgres } from '../../helpers/postgres.js';
import { startPgFixture, waitFor, type PgFixture } from './pg-fixture.js';
import { startTcpProxy } from './tcp-proxy.js';

const key = { project: 'p', environment: 'production' };

describe.skipIf(!hasPostgres('the postgres lock is tested on a real server'))('postgres state store: environment lock', () => {
  let fx: PgFixture;
  beforeAll(async () => {
    fx = await startPgFixture();
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  it('refuses a second holder, naming the first like the file lock does, until release', async () => {
    const url = await fx.freshDatabase();
    const podA = await openPostgresStore({ url, workDir: await fx.workDir() });
    const podB = await openPostgresStore({ url, workDir: await fx.workDir() });
    const first = await podA.lock(key, { deploymentId: 'd-001', command: 'deploy' });
    expect(first.holder).toMatchObject({ pid: process.pid, host: hostname(), deploymentId: 'd-001', command: 'deploy' });
    const refusal = podB.lock(key, { deploymentId: 'd-002', command: 'resume' });
    await expect(refusal).rejects.toMatchObject({
      code: 'LockHeld',
      message: expect.stringMatching(
        new RegExp(`^environment production of project p is locked by pid ${process.pid} on ${hostname()}, deployment d-001 \\(deploy\\), since ${first.holder.since}; wait for it to finish`),
      ),
    });
    // Another environment of the same project is independent.
    const other = await podB.lock({ project: 'p', environment: 'staging' }, { deploymentId: 'd-003', command: 'deploy' });
    await other.release();

    await first.release();
    await first.release(); // idempotent
    expect(await fx.query(url, 'SELECT * FROM ws_deployment_locks')).toEqual([]);
    const second = await podB.lock(key, { deploymentId: 'd-002', command: 'resume' });
    expect(second.takenOverFrom).toBeUndefined();
    await second.release();
    await podA.close();
    await podB.close();
  });

  it('reads a holder row copied into another database (a dump of a running deployment restored) as not held there, saying where it came from', async () => {
    const url = await fx.freshDatabase();
    const copyUrl = await fx.freshDatabase();
    const original = await openPostgresStore({ url, workDir: await fx.workDir() });
    const copy = await openPostgresStore({ url: copyUrl, workDir: await fx.workDir() });
    const held = await original.lock(key, { deploymentId: 'd-001', command: 'deploy' });
    // What pg_dump of the running deployment's database carries into the copy: the holder row.
    const [row] = await fx.query(url, 'SELECT * FROM ws_deployment_locks');
    const columns = Object.keys(row ?? {});
    await fx.query(copyUrl, `INSERT INTO ws_deployment_locks (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`, Object.values(row ?? {}));

    expect(await original.lockHolder(key)).toMatchObject({ deploymentId: 'd-001' });
    expect(await copy.lockHolder(key)).toBeUndefined();
    const database = new URL(url).pathname.slice(1);
    expect(await copy.lockNote(key)).toBe(`its lock row was copied from database ${database} while pid ${process.pid} on ${hostname()}, deployment d-001 (deploy), since ${held.holder.since} ran there; not running here`);
    expect(await original.lockNote(key)).toBeUndefined();
    const taken = await copy.lock(key, { deploymentId: 'd-001', command: 'resume' });
    await taken.release();
    await held.release();
    await original.close();
    await copy.close();
  });

  it('takes over from a holder whose session died, and says so', async () => {
    const url = await fx.freshDatabase();
    const lostA: WsdError[] = [];
    const podA = await openPostgresStore({ url, workDir: await fx.workDir(), onLockLost: (e) => lostA.push(e) });
    const sinkB = new MemorySink();
    const podB = await openPostgresStore({ url, workDir: await fx.workDir(), sink: sinkB });
    const first = await podA.lock(key, { deploymentId: 'd-001', command: 'deploy' });
    await expect(podB.lock(key, { deploymentId: 'd-002', command: 'deploy' })).rejects.toMatchObject({ code: 'LockHeld' });

    // The pod of the first run vanished: its database session ends, PostgreSQL frees the advisory lock.
    expect(await fx.terminate(url, 'ws-deployment-lock')).toBe(1);
    await waitFor(async () => (await fx.query(url, `SELECT 1 FROM pg_locks WHERE locktype = 'advisory'`)).length === 0);
    const second = await podB.lock(key, { deploymentId: 'd-002', command: 'deploy' });
    expect(second.takenOverFrom).toMatchObject({ deploymentId: 'd-001', pid: process.pid });
    const takeover = sinkB.events.find((e) => e.code === 'lock.takeover');
    expect(takeover?.message).toMatch(/took over the lock of environment production of project p from pid \d+ on .*, deployment d-001 \(deploy\)/);
    const [row] = await fx.query<{ deployment_id: string }>(url, 'SELECT deployment_id FROM ws_deployment_locks');
    expect(row?.deployment_id).toBe('d-002');

    // The old holder noticed too, and its late release leaves the new holder's row alone.
    await waitFor(() => first.lost.aborted);
    expect(lostA).toHaveLength(1);
    await first.release();
    expect(await fx.query(url, 'SELECT deployment_id FROM ws_deployment_locks')).toEqual([{ deployment_id: 'd-002' }]);
    await second.release();
    await podA.close();
    await podB.close();
  });

  it('fires the lock-lost callback when the holding session is terminated', async () => {
    const url = await fx.freshDatabase();
    const sink = new MemorySink();
    const lost: Array<{ error: WsdError; holder: LockHolder }> = [];
    const s = await openPostgresStore({ url, workDir: await fx.workDir(), sink, onLockLost: (error, holder) => lost.push({ error, holder }) });
    const run = new AbortController();
    const lock = await s.lock(key, { deploymentId: 'd-007', command: 'deploy' });
    lock.onLockLost((error) => run.abort(error));
    expect(lock.lost.aborted).toBe(false);

    await fx.terminate(url, 'ws-deployment-lock');
    await waitFor(() => run.signal.aborted);
    expect(lost).toHaveLength(1);
    expect(lost[0]?.holder.deploymentId).toBe('d-007');
    expect(lost[0]?.error).toMatchObject({ code: 'StateIo', message: expect.stringMatching(/lost the database session holding the lock.*ws-deployment resume d-007` when the database is back/) });
    expect(lost[0]?.error.message).not.toContain(fx.server.password);
    expect(run.signal.reason).toBe(lost[0]?.error);
    expect(sink.codes()).toContain('lock.lost');
    // A listener added after the loss still hears of it.
    let late = false;
    lock.onLockLost(() => (late = true));
    expect(late).toBe(true);
    await lock.release();
    await s.close();
  });

  it('notices a silent network partition on the lock connection through its heartbeat', async () => {
    const proxy = await startTcpProxy(fx.server.port);
    const url = await fx.freshDatabase();
    const s = await openPostgresStore({ url: proxy.via(url), workDir: await fx.workDir(), lockHeartbeatMs: 150 });
    const lock = await s.lock(key, { deploymentId: 'd-008', command: 'deploy' });
    await new Promise((r) => setTimeout(r, 400));
    expect(lock.lost.aborted).toBe(false); // answered probes keep the lock

    proxy.setBlackhole(true);
    const started = Date.now();
    await waitFor(() => lock.lost.aborted, 30_000);
    // Far below a TCP keepalive (minutes), with margin for a loaded machine.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(lock.lost.reason).toMatchObject({ code: 'StateIo', message: expect.stringMatching(/did not answer a liveness probe within 150 ms/) });
    await lock.release(); // does not hang on the dead connection
    proxy.setBlackhole(false);
    await s.close();
    await proxy.close();
  });

  it('releases held locks when the store is closed', async () => {
    const url = await fx.freshDatabase();
    const s = await openPostgresStore({ url, workDir: await fx.workDir() });
    await s.lock(key, { deploymentId: 'd-001', command: 'deploy' });
    await s.close();
    await s.close();
    const t = await openPostgresStore({ url, workDir: await fx.workDir() });
    const lock = await t.lock(key, { deploymentId: 'd-002', command: 'deploy' });
    expect(lock.takenOverFrom).toBeUndefined();
    await t.close();
  });
});
