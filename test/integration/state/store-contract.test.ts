/**
 * The same scenarios against both stores: whatever the engine sees from the
 * file store, it must see from the PostgreSQL store.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStateStore } from '../../../src/state/file-store.js';
import type { Snapshot } from '../../../src/state/model.js';
import { openPostgresStore } from '../../../src/state/postgres/postgres-store.js';
import type { StateStore } from '../../../src/state/store.js';
import { hasPostgres } from '../../helpers/postgres.js';
import { CLUSTER, created, started } from '../../helpers/journal-fixture.js';
import { startPgFixture, type PgFixture } from './pg-fixture.js';

const withPostgres = hasPostgres('the store contract runs against a real PostgreSQL');
let fx: PgFixture | undefined;
const dirs: string[] = [];

beforeAll(async () => {
  if (withPostgres) fx = await startPgFixture();
});
afterAll(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  await fx?.cleanup();
});

const kinds: Array<{ kind: string; open: () => Promise<StateStore>; skip: boolean }> = [
  {
    kind: 'file',
    skip: false,
    open: async () => {
      const dir = await mkdtemp(join(tmpdir(), 'wsd-contract-'));
      dirs.push(dir);
      return new FileStateStore(dir);
    },
  },
  {
    kind: 'postgres',
    skip: !withPostgres,
    open: async () => openPostgresStore({ url: await fx!.freshDatabase(), workDir: await fx!.workDir() }),
  },
];

/** Times differ between runs; everything else must not. */
function timeless(s: Snapshot): unknown {
  return JSON.parse(JSON.stringify(s, (k, v: unknown) => (k === 'createdAt' || k === 'updatedAt' || k === 'startedAt' || k === 'endedAt' ? 'T' : v)));
}

const script = [
  started,
  { type: 'event', level: 'info', code: 'tool.line', message: 'terraform apply' },
  { type: 'step.checkpoint', cluster: CLUSTER, step: 'create-cluster', outputs: { half: true } },
  { type: 'step.failed', cluster: CLUSTER, step: 'create-cluster', error: { code: 'ToolFailed', message: 'quota' }, durationMs: 3 },
  { type: 'deployment.finished', state: 'failed', error: { code: 'DeploymentFailed', message: 'quota' } },
  { type: 'deployment.resumed', pid: 42 },
  { type: 'step.succeeded', cluster: CLUSTER, step: 'create-cluster', outputs: { endpoint: '10.0.0.1' }, durationMs: 9 },
  { type: 'event', level: 'info', code: 'tool.line', message: 'done' },
] as const;

/** The snapshots and seqs each store produced for {@link script}, keyed by kind. */
const observed = new Map<string, unknown>();

describe.each(kinds)('state store contract: $kind', ({ kind, open, skip }) => {
  it.skipIf(skip)('numbers records 1, 2, 3… and reduces them the same way, live and after reopening', async () => {
    const store = await open();
    const j = await store.create('d-001');
    const seqs = [(await j.append(created)).seq];
    const live: unknown[] = [];
    for (const record of script) {
      seqs.push((await j.append(record)).seq);
      live.push(timeless(j.snapshot()));
    }
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Event records leave the live snapshot alone.
    expect(j.snapshot().seq).toBe(8);
    const reopened = await store.open('d-001');
    expect(timeless(reopened.snapshot())).toEqual({ ...(timeless(j.snapshot()) as object), seq: 9 });
    expect((await reopened.append({ type: 'deployment.resumed', pid: 1 })).seq).toBe(10);
    observed.set(kind, { live, reopened: timeless(reopened.snapshot()) });
    await store.close();
  });

  it.skipIf(skip)('numbers appends made at the same time (parallel cluster steps) in call order', async () => {
    const store = await open();
    const j = await store.create('d-001');
    await j.append(created);
    const records = await Promise.all(Array.from({ length: 10 }, (_, i) => j.append({ type: 'step.started', cluster: CLUSTER, step: 'create-cluster', attempt: i + 1 })));
    expect(records.map((r) => r.seq)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(j.snapshot().clusters[0]?.steps[0]?.attempts).toBe(10);
    expect((await store.open('d-001')).snapshot().clusters[0]?.steps[0]?.attempts).toBe(10);
    await store.close();
  });

  it.skipIf(skip)('hands back the journal records (all, or after a seq) for report and watch, without the lock', async () => {
    const store = await open();
    const j = await store.create('d-001');
    await j.append(created);
    for (const record of script) await j.append(record);
    const all = await store.readRecords('d-001');
    expect(all.map((r) => [r.seq, r.type])).toEqual([[1, 'deployment.created'], ...script.map((r, i) => [i + 2, r.type])]);
    expect(all[2]).toMatchObject({ type: 'event', code: 'tool.line', message: 'terraform apply', time: expect.any(String) });
    expect((await store.readRecords('d-001', 7)).map((r) => r.seq)).toEqual([8, 9]);
    await expect(store.readRecords('d-404')).rejects.toMatchObject({ code: 'DeploymentNotFound' });
    await store.close();
  });

  it.skipIf(skip)('hands back the records with their paths as open() has them: under this state dir, not `<state-dir>/…`', async () => {
    const store = await open();
    // The config and a kubeconfig inside the state dir: journaled as `<state-dir>/…` (state-paths.ts).
    const config = join(store.root, 'configs', 'staging.yaml');
    const kubeconfig = join(store.root, 'd-001', CLUSTER, 'kubeconfig');
    const j = await store.create('d-001');
    await j.append({ ...created, inputs: { ...created.inputs, configFile: config } });
    await j.append(started);
    await j.append({ type: 'step.succeeded', cluster: CLUSTER, step: 'create-cluster', outputs: { kubeconfig }, durationMs: 1 });
    const opened = (await store.open('d-001', { readOnly: true })).snapshot();
    expect(opened.inputs.configFile).toBe(config);
    const records = await store.readRecords('d-001');
    expect(JSON.stringify(records)).not.toContain('<state-dir>');
    expect(records[0]).toMatchObject({ type: 'deployment.created', inputs: { configFile: config } });
    expect(records[2]).toMatchObject({ type: 'step.succeeded', outputs: { kubeconfig } });
    // After a seq too (`status --watch` polls so).
    expect(await store.readRecords('d-001', 2)).toEqual([records[2]]);
    await store.close();
  });

  it.skipIf(skip)('refuses duplicate and invalid ids, finds no unknown ones, lists newest first', async () => {
    const store = await open();
    await (await store.create('d-001')).append(created);
    await expect(store.create('d-001')).rejects.toMatchObject({ code: 'Internal', message: 'deployment d-001 already exists' });
    await expect(store.create('NOT valid')).rejects.toMatchObject({ code: 'UsageError' });
    await expect(store.open('d-404')).rejects.toMatchObject({ code: 'DeploymentNotFound' });
    // The fix names the command that lists every id (plain `status` shows only the newest).
    await expect(store.open('..')).rejects.toMatchObject({ code: 'DeploymentNotFound', message: '".." is not a deployment id; list them with `ws-deployment status --all`' });
    // An id created but never written (crash before the first record) is neither listed nor refused.
    await store.create('d-002');
    await expect(store.open('d-002')).rejects.toMatchObject({ code: 'DeploymentNotFound' });
    await new Promise((r) => setTimeout(r, 5));
    await (await store.create('d-002')).append({ ...created, id: 'd-002' });
    const list = await store.list();
    expect(list.map((d) => d.id)).toEqual(['d-002', 'd-001']);
    expect(list[0]).toEqual({ id: 'd-002', state: 'running', createdAt: expect.any(String), updatedAt: expect.any(String), project: 'p', environment: 'development' });
    await store.close();
  });

  it.skipIf(skip)('queues shift commands visibly: pending until taken, oldest first, each taken once', async () => {
    const store = await open();
    await (await store.create('d-001')).append(created);
    expect(await store.pendingControl('d-001')).toEqual([]);
    await store.sendControl('d-001', 'pause', 'alice@box (shift pause)');
    await new Promise((r) => setTimeout(r, 5));
    await store.sendControl('d-001', 'abort');
    const pending = await store.pendingControl('d-001');
    expect(pending.map((p) => p.command)).toEqual(['pause', 'abort']);
    // Who sent it travels with it: the journal names who approved a gate.
    expect(pending.map((p) => p.by)).toEqual(['alice@box (shift pause)', undefined]);
    for (const p of pending) expect(Date.parse(p.sentAt)).toBeGreaterThan(Date.now() - 60_000);
    // Looking does not take.
    expect((await store.pendingControl('d-001')).length).toBe(2);
    expect(await store.takeControl('d-001')).toEqual({ command: 'pause', sentAt: pending[0]!.sentAt, by: 'alice@box (shift pause)' });
    expect((await store.pendingControl('d-001')).map((p) => p.command)).toEqual(['abort']);
    expect((await store.takeControl('d-001'))?.command).toBe('abort');
    expect(await store.pendingControl('d-001')).toEqual([]);
    expect(await store.takeControl('d-001')).toBeUndefined();
    await store.close();
  });

  it.skipIf(skip)('locks an environment, names the holder on refusal, and frees it on release', async () => {
    const store = await open();
    const key = { project: 'p', environment: 'production' };
    const held = await store.lock(key, { deploymentId: 'd-001', command: 'deploy' });
    // The file store also records the lock folder (a copied state dir's lock then holds nothing there), and the
    // holder's start in clock ticks and the boot id (file-lock.ts: how a later process given its pid is told apart).
    const { dir: _dir, startTicks: _ticks, bootId: _boot, ...holder } = held.holder;
    expect(holder).toEqual({ deploymentId: 'd-001', command: 'deploy', pid: process.pid, host: hostname(), since: expect.any(String) });
    await expect(store.lock(key, { deploymentId: 'd-002', command: 'resume' })).rejects.toMatchObject({
      code: 'LockHeld',
      message: expect.stringContaining(`environment production of project p is locked by pid ${process.pid} on ${hostname()}, deployment d-001 (deploy), since ${held.holder.since}; wait for it to finish`),
    });
    await held.release();
    await held.release();
    const next = await store.lock(key, { deploymentId: 'd-002', command: 'resume' });
    await next.release();
    await store.close();
  });

  it.skipIf(skip)('lets one run at a time allocate a cluster id, across environments: a second waits until the first releases', async () => {
    const store = await open();
    const first = await store.allocationLock!({ deploymentId: 'd-001', command: 'deploy' });
    const order: string[] = [];
    const second = store.allocationLock!({ deploymentId: 'd-002', command: 'deploy' }).then((h) => (order.push('second'), h));
    // Long enough for a waiting second run to have taken a free lock several times over (it polls every 10-200 ms).
    await new Promise((resolve) => setTimeout(resolve, 600));
    order.push('released');
    await first.release();
    await (await second).release();
    expect(order).toEqual(['released', 'second']);
    await store.close();
  });
});

describe.skipIf(!withPostgres)('state store contract: both stores agree', () => {
  it('produced identical snapshots for the same journal', () => {
    expect(observed.get('postgres')).toBeDefined();
    expect(observed.get('postgres')).toEqual(observed.get('file'));
  });
});
