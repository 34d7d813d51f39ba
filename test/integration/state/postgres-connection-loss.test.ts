import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { openPostgresStore } from '../../../src/state/postgres/postgres-store.js';
import { hasPostgres } from '../../helpers/postgres.js';
import { CLUSTER, created, started } from '../../helpers/journal-fixture.js';
import { startPgFixture, waitFor, type PgFixture } from './pg-fixture.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

const fastRetry = { delaysMs: [50, 150] };

describe.skipIf(!hasPostgres('connection loss is tested on a real server'))('postgres state store: losing the connection', () => {
  let fx: PgFixture;
  let proxy: TcpProxy;
  beforeAll(async () => {
    fx = await startPgFixture();
    proxy = await startTcpProxy(fx.server.port);
  });
  afterAll(async () => {
    await proxy?.close();
    await fx?.cleanup();
  });

  async function seqs(url: string): Promise<number[]> {
    return (await fx.query<{ seq: string }>(url, 'SELECT seq FROM ws_deployment_events ORDER BY seq')).map((r) => Number(r.seq));
  }

  it('reconnects when the backend is terminated in the middle of an append, and appends exactly once', async () => {
    const url = await fx.freshDatabase();
    const sink = new MemorySink();
    const s = await openPostgresStore({ url, workDir: await fx.workDir(), sink, retry: fastRetry });
    const j = await s.create('d-001');
    await j.append(created);

    // Hold the deployment's row so the append stops inside its transaction, then kill its session there.
    const blocker = new pg.Client({ connectionString: url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT * FROM ws_deployment_snapshots FOR UPDATE');
    const appending = j.append(started);
    await waitFor(async () => (await fx.query(url, `SELECT 1 FROM pg_stat_activity WHERE application_name = 'ws-deployment' AND wait_event_type = 'Lock'`)).length === 1);
    expect(await fx.terminate(url, 'ws-deployment')).toBeGreaterThanOrEqual(1);
    await blocker.query('COMMIT');
    await blocker.end();

    const record = await appending;
    expect(record.seq).toBe(2);
    expect(await seqs(url)).toEqual([1, 2]);
    expect(sink.codes()).toContain('state.reconnect');
    expect((await s.open('d-001')).snapshot()).toEqual(j.snapshot());
    await s.close();
  });

  it('does not append twice when the connection dies after COMMIT but before the answer', async () => {
    const url = await fx.freshDatabase();
    const s = await openPostgresStore({ url: proxy.via(url), workDir: await fx.workDir(), retry: fastRetry });
    const j = await s.create('d-001');
    await j.append(created);
    proxy.dropAfterNextCommit();
    const record = await j.append(started);
    expect(proxy.droppedCommits).toBe(1);
    expect(record.seq).toBe(2);
    expect(await seqs(url)).toEqual([1, 2]);
    expect((await j.append({ type: 'deployment.resumed', pid: 1 })).seq).toBe(3);
    expect(await seqs(url)).toEqual([1, 2, 3]);
    await s.close();
  });

  it('stops with StateIo and resume advice when the database stays away, leaving the journal intact', async () => {
    const url = await fx.freshDatabase();
    const sink = new MemorySink();
    const s = await openPostgresStore({ url: proxy.via(url), workDir: await fx.workDir(), sink, retry: fastRetry });
    const j = await s.create('d-001');
    await j.append(created);
    await j.append(started);
    const before = j.snapshot();

    proxy.setDown(true);
    const since = Date.now();
    const error = await j.append({ type: 'step.succeeded', cluster: CLUSTER, step: 'create-cluster', outputs: {}, durationMs: 1 }).catch((e: unknown) => e);
    proxy.setDown(false);
    expect(Date.now() - since).toBeLessThan(30_000); // bounded, not a TCP timeout of minutes
    expect(error).toMatchObject({
      code: 'StateIo',
      transient: true,
      message: expect.stringMatching(/^cannot reach the state database postgres:\/\/postgres:\[REDACTED\]@127\.0\.0\.1:\d+\/t_\w+\?sslmode=disable while appending record 3 \(step\.succeeded\) to deployment d-001 \(.*gave up after 3 attempts\); the deployment stopped safely .*run `ws-deployment resume d-001` when the database is back/),
    });
    expect((error as Error).message).not.toContain(fx.server.password);
    expect(sink.events.filter((e) => e.code === 'state.reconnect')).toHaveLength(2);
    // Nothing half-written: the in-memory journal did not move, the database has records 1 and 2.
    expect(j.snapshot()).toEqual(before);
    expect(await seqs(url)).toEqual([1, 2]);

    // The database is back: the same journal carries on at record 3, and a new process agrees.
    expect((await j.append({ type: 'step.succeeded', cluster: CLUSTER, step: 'create-cluster', outputs: {}, durationMs: 1 })).seq).toBe(3);
    const other = await openPostgresStore({ url, workDir: await fx.workDir() });
    expect((await other.open('d-001')).snapshot()).toEqual(j.snapshot());
    await other.close();
    await s.close();
  });

  it('fails to open with StateIo when the database cannot be reached at all', async () => {
    const url = await fx.freshDatabase();
    proxy.setDown(true);
    const sink = new MemorySink();
    const error = await openPostgresStore({ url: proxy.via(url), workDir: await fx.workDir(), sink, retry: fastRetry }).catch((e: unknown) => e);
    proxy.setDown(false);
    expect(error).toMatchObject({
      code: 'StateIo',
      message: expect.stringMatching(/^cannot reach the state database postgres:\/\/postgres:\[REDACTED\]@.* while applying schema migrations .*gave up after 3 attempts\); check that the database is reachable/),
    });
    expect(sink.codes()).toEqual(['state.reconnect', 'state.reconnect']);
  });

  it('never gives two concurrent writers the same seq: one wins, the other fails cleanly', async () => {
    const url = await fx.freshDatabase();
    const a = await openPostgresStore({ url, workDir: await fx.workDir() });
    const b = await openPostgresStore({ url, workDir: await fx.workDir() });
    await (await a.create('d-001')).append(created);
    for (let round = 0; round < 10; round++) {
      const [ja, jb] = await Promise.all([a.open('d-001'), b.open('d-001')]);
      const results = await Promise.allSettled([
        ja.append({ type: 'event', level: 'info', code: 'a', message: `a${round}` }),
        jb.append({ type: 'event', level: 'info', code: 'b', message: `b${round}` }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((r) => r.status === 'rejected');
      expect(rejected?.reason).toMatchObject({ code: 'StateIo', message: expect.stringMatching(/was appended to by another process/) });
    }
    expect(await seqs(url)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    await a.close();
    await b.close();
  });
});
