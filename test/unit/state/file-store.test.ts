import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventSink } from '../../../src/core/events.js';
import { FileStateStore } from '../../../src/state/file-store.js';
import { lockFileName } from '../../../src/state/file-lock.js';
import { created, started } from '../../helpers/journal-fixture.js';

const dirs: string[] = [];
function tempStore(): FileStateStore {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-store-'));
  dirs.push(dir);
  return new FileStateStore(dir);
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('file state store', () => {
  it('journals records and reduces them into a snapshot that survives reopening', async () => {
    const store = tempStore();
    const j = await store.create('d-001');
    await j.append(created);
    await j.append(started);
    await j.append({ type: 'step.succeeded', cluster: 'gp-dev-ws-eu101-eu-west1', step: 'create-cluster', outputs: { a: 1 }, durationMs: 5 });
    const reopened = (await store.open('d-001')).snapshot();
    expect(reopened.clusters[0]?.steps[0]).toMatchObject({ state: 'succeeded', attempts: 1, outputs: { a: 1 } });
    expect(reopened.seq).toBe(3);
    expect((await store.list()).map((d) => d.id)).toEqual(['d-001']);
  });

  it('probes the state dir (create, write, rename, list) and leaves nothing of the probe behind', async () => {
    const store = tempStore();
    const lock = await store.lock({ project: 'p', environment: 'development' }, { deploymentId: 'd-001', command: 'deploy' });
    await (await store.create('d-001')).append(created);
    await lock.release();
    expect(readdirSync(store.root).filter((n) => n.includes('probe'))).toEqual([]);
  });

  it('recovers a journal whose last line was cut by a crash', async () => {
    const store = tempStore();
    const j = await store.create('d-001');
    await j.append(created);
    appendFileSync(join(j.dir, 'journal.ndjson'), '{"seq":2,"type":"step.sta');
    const reopened = await store.open('d-001');
    expect(reopened.snapshot().clusters[0]?.steps[0]?.state).toBe('pending');
    const lines = readFileSync(join(j.dir, 'journal.ndjson'), 'utf8').trim().split('\n');
    expect(lines.every((l) => JSON.parse(l))).toBeTruthy();
    expect(lines.at(-1)).toContain('journal.recovered');
  });

  it('ends a whole last record that lost its newline before appending, so the next record gets its own line', async () => {
    const store = tempStore();
    const j = await store.create('d-001');
    await j.append(created);
    const path = join(j.dir, 'journal.ndjson');
    writeFileSync(path, readFileSync(path, 'utf8').replace(/\n$/, ''));
    const reopened = await store.open('d-001');
    await reopened.append({ type: 'deployment.resumed', pid: 1 });
    expect((await store.readRecords('d-001')).map((r) => r.type)).toEqual(['deployment.created', 'deployment.resumed']);
    expect((await store.open('d-001')).snapshot().seq).toBe(2);
  });

  it('sending a shift command never rewrites the journal, whose last line its running process may be writing', async () => {
    const store = tempStore();
    const j = await store.create('d-001');
    await j.append(created);
    // What a reader can see while the running deployment's append is half done.
    appendFileSync(join(j.dir, 'journal.ndjson'), '{"seq":2,"type":"step.sta');
    const before = readFileSync(join(j.dir, 'journal.ndjson'), 'utf8');
    await store.sendControl('d-001', 'pause');
    expect(readFileSync(join(j.dir, 'journal.ndjson'), 'utf8')).toBe(before);
    expect(await store.pendingControl('d-001')).toMatchObject([{ command: 'pause' }]);
  });

  it('rebuilds state from the journal when the snapshot lags behind', async () => {
    const store = tempStore();
    const j = await store.create('d-001');
    await j.append(created);
    const snapshotBefore = readFileSync(join(j.dir, 'snapshot.json'), 'utf8');
    await j.append(started);
    writeFileSync(join(j.dir, 'snapshot.json'), snapshotBefore); // crash between journal append and snapshot write
    expect((await store.open('d-001')).snapshot().clusters[0]?.steps[0]?.state).toBe('running');
  });

  it('carries on when the snapshot cannot be written: the record is in the journal, one warning says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wsd-store-'));
    dirs.push(dir);
    const events: Array<{ code: string; message: string }> = [];
    const store = new FileStateStore(dir, { emit: (e) => events.push(e) } as EventSink);
    const j = await store.create('d-001');
    await j.append(created);
    // A folder where the snapshot goes: every rename onto it fails, as on a full disk.
    rmSync(join(j.dir, 'snapshot.json'));
    mkdirSync(join(j.dir, 'snapshot.json', 'in-the-way'), { recursive: true });
    await j.append(started);
    await j.append({ type: 'deployment.finished', state: 'failed' });
    await j.append({ type: 'deployment.resumed', pid: 1 });
    expect(events.filter((e) => e.code === 'snapshot.unwritten')).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/cannot write .*snapshot\.json .*snapshot\.json is only a cache, the journal holds every record/) }),
    ]);
    // Readers rebuild from the journal.
    expect((await store.list()).map((d) => d.state)).toEqual(['running']);
    expect((await new FileStateStore(dir).open('d-001', { readOnly: true })).snapshot().clusters[0]?.steps[0]?.state).toBe('running');
  });

  it('refuses a damaged journal line that is not the last', async () => {
    const store = tempStore();
    const j = await store.create('d-001');
    await j.append(created);
    appendFileSync(join(j.dir, 'journal.ndjson'), 'garbage\n{"seq":3,"time":"t","type":"deployment.resumed","pid":1}\n');
    await expect(store.open('d-001')).rejects.toMatchObject({ code: 'StateCorrupt' });
  });

  it('names the lock holder and refuses a second holder', async () => {
    const store = tempStore();
    const key = { project: 'p', environment: 'development' };
    const first = await store.lock(key, { deploymentId: 'd-001', command: 'deploy' });
    await expect(store.lock(key, { deploymentId: 'd-002', command: 'deploy' })).rejects.toMatchObject({
      code: 'LockHeld',
      message: expect.stringMatching(new RegExp(`pid ${process.pid} on .*deployment d-001 \\(deploy\\), since`)),
    });
    await first.release();
    const second = await store.lock(key, { deploymentId: 'd-002', command: 'deploy' });
    await second.release();
  });

  it('takes over a stale lock of a dead process on this host', async () => {
    const store = tempStore();
    const key = { project: 'p', environment: 'development' };
    const { hostname } = await import('node:os');
    const lockPath = join(store.root, 'locks', lockFileName(key));
    (await store.lock(key, { deploymentId: 'd-000', command: 'deploy' })).release();
    writeFileSync(lockPath, JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), deploymentId: 'd-000', since: 'then', command: 'deploy' }));
    const lock = await store.lock(key, { deploymentId: 'd-001', command: 'deploy' });
    expect(lock.holder.deploymentId).toBe('d-001');
    await lock.release();
  });
  it('never takes over a lock whose holder is on another host, whatever its age', async () => {
    // On a shared (NFS) state dir the pid says nothing about a process on another host:
    // taking that lock over would run two deploys of one environment at once.
    const store = tempStore();
    const key = { project: 'p', environment: 'development' };
    const lockPath = join(store.root, 'locks', lockFileName(key));
    (await store.lock(key, { deploymentId: 'd-000', command: 'deploy' })).release();
    const holder = { pid: 2 ** 22 + 12345, host: 'other-host.example', deploymentId: 'd-000', since: '2001-01-01T00:00:00.000Z', command: 'deploy' };
    writeFileSync(lockPath, JSON.stringify(holder));
    const ancient = new Date('2001-01-01T00:00:00Z');
    utimesSync(lockPath, ancient, ancient);
    await expect(store.lock(key, { deploymentId: 'd-001', command: 'deploy' })).rejects.toMatchObject({
      code: 'LockHeld',
      message: expect.stringMatching(/locked by pid 4206649 on other-host\.example, deployment d-000.*if that process is gone on another host, remove /),
    });
    expect(JSON.parse(readFileSync(lockPath, 'utf8'))).toEqual(holder);
  });

  // A read-only state dir: test/e2e/faults/torn-journal.test.ts (as user nobody, since root ignores modes).
});
