import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { Redactor } from '../../../src/core/redact.js';
import { MIGRATIONS } from '../../../src/state/postgres/migrations.js';
import { openPostgresStore, type PostgresStateStore } from '../../../src/state/postgres/postgres-store.js';
import { hasPostgres } from '../../helpers/postgres.js';
import { CLUSTER, created, started } from '../../helpers/journal-fixture.js';
import { startPgFixture, type PgFixture } from './pg-fixture.js';

describe.skipIf(!hasPostgres('the postgres state store is tested on a real server'))('postgres state store: journal', () => {
  let fx: PgFixture;
  beforeAll(async () => {
    fx = await startPgFixture();
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  async function store(url?: string, workDir?: string): Promise<PostgresStateStore> {
    return openPostgresStore({ url: url ?? (await fx.freshDatabase()), workDir: workDir ?? (await fx.workDir()) });
  }

  it('applies the migrations once when two processes connect to a fresh database at once', async () => {
    const url = await fx.freshDatabase();
    const sinks = [new MemorySink(), new MemorySink(), new MemorySink()];
    const stores = await Promise.all(sinks.map(async (sink) => openPostgresStore({ url, workDir: await fx.workDir(), sink })));
    const rows = await fx.query<{ version: number }>(url, 'SELECT version FROM ws_deployment_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    // Exactly one of the connecting stores did the work; the others found it done.
    expect(sinks.filter((s) => s.codes().includes('state.migrated'))).toHaveLength(1);
    const again = await openPostgresStore({ url, workDir: await fx.workDir() });
    for (const s of [...stores, again]) await s.close();
  });

  it('journals records and reduces them into a snapshot that survives reopening', async () => {
    const s = await store();
    const j = await s.create('d-001');
    await j.append(created);
    await j.append(started);
    await j.append({ type: 'event', level: 'info', code: 'x', message: 'hello' });
    await j.append({ type: 'step.succeeded', cluster: CLUSTER, step: 'create-cluster', outputs: { a: 1 }, durationMs: 5 });
    expect(j.dir).toBe(`${s.root}/d-001`);
    const reopened = (await s.open('d-001')).snapshot();
    expect(reopened).toEqual(j.snapshot());
    expect(reopened.clusters[0]?.steps[0]).toMatchObject({ state: 'succeeded', attempts: 1, outputs: { a: 1 } });
    expect(reopened.seq).toBe(4);
    expect((await s.list()).map((d) => d.id)).toEqual(['d-001']);
    await s.close();
  });

  it('keeps concurrent appends of one journal in call order, as parallel cluster steps make them', async () => {
    const url = await fx.freshDatabase();
    const s = await store(url);
    const j = await s.create('d-001');
    await j.append(created);
    const records = await Promise.all(Array.from({ length: 20 }, (_, i) => j.append({ type: 'event', level: 'info', code: 'tool.line', message: `line ${i}` })));
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
    const stored = await fx.query<{ seq: string; message: string }>(url, `SELECT seq, record->>'message' AS message FROM ws_deployment_events WHERE seq > 1 ORDER BY seq`);
    expect(stored.map((r) => r.message)).toEqual(records.map((r) => (r.type === 'event' ? r.message : '')));
    await s.close();
  });

  it('rewrites the snapshot row for deployment-level records, not for every step record; reopening replays the rest', async () => {
    // The clock stands still, so only the record rules decide (not how fast this machine is).
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const url = await fx.freshDatabase();
      const s = await store(url);
      const j = await s.create('d-001');
      await j.append(created);
      await j.append(started);
      await j.append({ type: 'step.succeeded', cluster: CLUSTER, step: 'create-cluster', outputs: { a: 1 }, durationMs: 5 });
      const row = async () => (await fx.query<{ head_seq: string; snapshot_seq: string }>(url, 'SELECT head_seq, snapshot_seq FROM ws_deployment_snapshots'))[0];
      expect(await row()).toEqual({ head_seq: '3', snapshot_seq: '1' });
      expect((await s.open('d-001')).snapshot()).toEqual(j.snapshot());
      await j.append({ type: 'deployment.finished', state: 'succeeded' });
      expect(await row()).toEqual({ head_seq: '4', snapshot_seq: '4' });
      expect((await s.list()).map((d) => [d.id, d.state])).toEqual([['d-001', 'succeeded']]);
      await s.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('rebuilds state from the journal when the snapshot lags behind', async () => {
    const url = await fx.freshDatabase();
    const s = await store(url);
    const j = await s.create('d-001');
    await j.append(created);
    const [before] = await fx.query<{ snapshot: unknown }>(url, 'SELECT snapshot FROM ws_deployment_snapshots');
    await j.append(started);
    // A snapshot written by an older version, or restored from a backup, that misses a record.
    await fx.query(url, 'UPDATE ws_deployment_snapshots SET snapshot = $1::jsonb, snapshot_seq = 1', [JSON.stringify(before?.snapshot)]);
    const reopened = await s.open('d-001');
    expect(reopened.snapshot().clusters[0]?.steps[0]?.state).toBe('running');
    expect(reopened.snapshot().seq).toBe(2);
    // The reopened journal continues right after the last record.
    expect((await reopened.append({ type: 'deployment.resumed', pid: 1 })).seq).toBe(3);
    await s.close();
  });

  it('refuses to create an id that has records, and to open an unknown one', async () => {
    const s = await store();
    const j = await s.create('d-001');
    await j.append(created);
    await expect(s.create('d-001')).rejects.toMatchObject({ code: 'Internal', message: 'deployment d-001 already exists' });
    await expect(s.open('d-404')).rejects.toMatchObject({ code: 'DeploymentNotFound' });
    await expect(s.open('../etc')).rejects.toMatchObject({ code: 'DeploymentNotFound' });
    await expect(s.create('Bad Id')).rejects.toMatchObject({ code: 'UsageError' });
    await s.close();
  });

  it('lets another machine resume: a different store instance and work dir see the same snapshot', async () => {
    const url = await fx.freshDatabase();
    const podA = await store(url);
    const j = await podA.create('d-001');
    await j.append(created);
    await j.append(started);
    await j.append({ type: 'step.failed', cluster: CLUSTER, step: 'create-cluster', error: { code: 'ToolFailed', message: 'boom' } });
    await j.append({ type: 'deployment.finished', state: 'failed', error: { code: 'DeploymentFailed', message: 'boom' } });
    await podA.close(); // the pod is gone

    const podB = await store(url);
    expect(podB.root).not.toBe(podA.root);
    const resumed = await podB.open('d-001');
    expect(resumed.snapshot()).toEqual(j.snapshot());
    expect(resumed.dir).toBe(`${podB.root}/d-001`);
    await resumed.append({ type: 'deployment.resumed', pid: 2 });
    expect(resumed.snapshot()).toMatchObject({ state: 'running', seq: 5 });
    expect(await podB.list()).toEqual([expect.objectContaining({ id: 'd-001', state: 'running', project: 'p', environment: 'development' })]);
    await podB.close();
  });

  it('lists deployments newest first and skips ids without records', async () => {
    const s = await store();
    for (const id of ['d-001', 'd-002', 'd-003']) {
      await (await s.create(id)).append({ ...created, id });
      await new Promise((r) => setTimeout(r, 5)); // distinct createdAt
    }
    await s.create('d-004'); // created, never written
    expect((await s.list()).map((d) => d.id)).toEqual(['d-003', 'd-002', 'd-001']);
    await s.close();
  });

  it('queues traffic-shift commands and hands each out once, oldest first', async () => {
    const s = await store();
    await (await s.create('d-001')).append(created);
    expect(await s.takeControl('d-001')).toBeUndefined();
    await s.sendControl('d-001', 'pause');
    await s.sendControl('d-001', 'promote');
    // Two pollers at once never get the same command.
    const [a, b] = await Promise.all([s.takeControl('d-001'), s.takeControl('d-001')]);
    expect([a?.command, b?.command].sort()).toEqual(['pause', 'promote']);
    expect(await s.takeControl('d-001')).toBeUndefined();
    await expect(s.sendControl('d-404', 'abort')).rejects.toMatchObject({ code: 'DeploymentNotFound' });
    await expect(s.sendControl('d-001', 'explode' as 'abort')).rejects.toMatchObject({ code: 'UsageError' });
    await s.close();
  });

  it('never shows the connection password, and refuses a wrong one with advice', async () => {
    const url = await fx.freshDatabase();
    const redactor = new Redactor();
    const s = await openPostgresStore({ url, workDir: await fx.workDir(), redactor });
    expect(s.displayUrl).not.toContain(fx.server.password);
    expect(s.displayUrl).toContain('[REDACTED]');
    expect(redactor.redact(`connecting to ${url}`)).not.toContain(fx.server.password);
    await s.close();
    const wrong = url.replace(fx.server.password, 'not-the-password');
    const error = await openPostgresStore({ url: wrong, workDir: await fx.workDir() }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'StateIo', message: expect.stringMatching(/28P01.*check the user and password/) });
    expect((error as Error).message).not.toContain('not-the-password');
  });
});
