/**
 * Records lost from a journal (cut after a torn line, truncated, put back from an older copy) are told
 * apart from a crash's torn last line by the snapshot cache: it is written only from records already on
 * disk, so after a crash it never shows more than the journal holds, and one that does proves a loss.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FileStateStore, journalDisk, readJournal } from '../../../src/state/file-store.js';
import { CLUSTER, created, started } from '../../helpers/journal-fixture.js';

const succeeded = { type: 'step.succeeded' as const, cluster: CLUSTER, step: 'create-cluster' as const, outputs: {}, durationMs: 1 };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wsd-lost-records-'));
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const journalOf = (id: string) => join(dir, id, 'journal.ndjson');
const snapshotSeq = (id: string) => (JSON.parse(readFileSync(join(dir, id, 'snapshot.json'), 'utf8')) as { seq: number }).seq;

/** Keeps the journal's first `keep` lines and half of the next one, as a cut mid-line leaves it. */
function cut(id: string, keep: number): void {
  const lines = readFileSync(journalOf(id), 'utf8').split('\n');
  const torn = lines[keep] ?? '';
  writeFileSync(journalOf(id), `${lines.slice(0, keep).join('\n')}\n${torn.slice(0, torn.length >> 1)}`);
}

/** A finished deployment of five records, its snapshot showing the last. */
async function finished(): Promise<void> {
  const j = await new FileStateStore(dir).create('d-001');
  await j.append(created);
  await j.append({ type: 'deployment.resumed', pid: 1 });
  await j.append(started);
  await j.append(succeeded);
  await j.append({ type: 'deployment.finished', state: 'succeeded' });
  expect(snapshotSeq('d-001')).toBe(5);
}

/** The state dir of an older ws-deployment killed while a journal write was slow: its snapshot shows record 4, its journal ends at 3 (see its README). */
function olderWritersCrash(): void {
  cpSync(join(__dirname, '../../fixtures/state/older-writer-slow-write/d-001'), join(dir, 'd-001'), { recursive: true });
  expect(snapshotSeq('d-001')).toBe(4);
  expect(readJournal(journalOf('d-001')).map((r) => r.seq)).toEqual([1, 2, 3]);
}

describe('records lost from a journal', () => {
  it('the snapshot never shows a record whose write is still under way (a crash then loses it, and no loss is claimed)', async () => {
    const clock = vi.spyOn(journalDisk, 'now').mockReturnValue(0);
    const store = new FileStateStore(dir);
    const j = await store.create('d-001');
    await j.append(created);
    // This write looks slow: the next ones go to the thread pool, where the test holds them.
    const onLoop = journalDisk.append;
    vi.spyOn(journalDisk, 'append').mockImplementation((path, text) => {
      onLoop(path, text);
      clock.mockReturnValue(10);
    });
    await j.append(started);
    const releases: Array<() => void> = [];
    const offLoopCalled: Array<() => void> = [];
    vi.spyOn(journalDisk, 'appendOffLoop').mockImplementation(
      (path, text) =>
        new Promise<void>((resolve) => {
          releases.push(() => {
            onLoop(path, text);
            resolve();
          });
          offLoopCalled.shift()?.();
        }),
    );
    const writing = new Promise<void>((resolve) => offLoopCalled.push(resolve));
    const resumed = j.append({ type: 'deployment.resumed', pid: 2 });
    await writing;
    // Appended while record 3's write runs: its own write (the next batch) never ends, as in a crash.
    void j.append(succeeded);
    const next = new Promise<void>((resolve) => offLoopCalled.push(resolve));
    releases.shift()?.();
    await resumed; // a deployment-level record: resolves once the snapshot shows it
    await next;
    expect(readJournal(journalOf('d-001')).map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(snapshotSeq('d-001')).toBe(3);
    const reopened = await new FileStateStore(dir).open('d-001');
    expect(reopened.snapshot().seq).toBe(3);
  });

  it('a journal cut after a torn line, losing whole records the snapshot shows, is refused by writers and listed as damaged, with the way out; nothing is changed', async () => {
    await finished();
    cut('d-001', 2); // records 1 and 2 whole, 3 torn, 4 and 5 gone
    const before = readFileSync(journalOf('d-001'), 'utf8');
    const store = new FileStateStore(dir);
    for (const options of [{}, { readOnly: true }]) {
      const error = await store.open('d-001', options).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'StateCorrupt' });
      const message = (error as Error).message;
      expect(message).toContain(`${journalOf('d-001')} lost records 3 to 5: it ends at record 2`);
      expect(message).toContain(`restore ${journalOf('d-001')} from a backup`);
      expect(message).toContain(`mv ${join(dir, 'd-001', 'snapshot.json')} ${join(dir, 'd-001', 'snapshot.json')}.lost-records`);
    }
    const [listed] = await store.list();
    expect(listed).toMatchObject({ id: 'd-001', state: 'damaged', project: 'p', environment: 'development', damaged: { file: journalOf('d-001'), clusterId: 101 } });
    expect(listed?.damaged?.problem).toMatch(/^lost records 3 to 5/);
    expect(readFileSync(journalOf('d-001'), 'utf8')).toBe(before);

    // The loss accepted explicitly: the snapshot moved aside, the torn line is a torn line again.
    renameSync(join(dir, 'd-001', 'snapshot.json'), join(dir, 'd-001', 'snapshot.json.lost-records'));
    const j = await store.open('d-001');
    expect(j.snapshot().seq).toBe(2);
    expect(readJournal(journalOf('d-001')).at(-1)).toMatchObject({ type: 'event', code: 'journal.recovered' });
  });

  it('a journal cut at a line end (no torn line) that lost records is refused as well, its records however close in time to the snapshot', async () => {
    await finished();
    const lines = readFileSync(journalOf('d-001'), 'utf8').split('\n');
    writeFileSync(journalOf('d-001'), `${lines.slice(0, 4).join('\n')}\n`);
    await expect(new FileStateStore(dir).open('d-001')).rejects.toThrow(/lost record 5: it ends at record 4/);
  });

  it('a torn last line with no evidence of lost records (the snapshot not ahead, or none) is repaired as before', async () => {
    await finished();
    const store = new FileStateStore(dir);
    // A crash tears at most the record being written, which no snapshot shows yet.
    cut('d-001', 4);
    writeFileSync(join(dir, 'd-001', 'snapshot.json'), readFileSync(join(dir, 'd-001', 'snapshot.json'), 'utf8').replace('"seq":5', '"seq":4'));
    expect((await store.list())[0]?.state).not.toBe('damaged');
    expect((await store.open('d-001')).snapshot().seq).toBe(4);
    // No snapshot at all: nothing shows a loss either.
    cut('d-001', 2);
    rmSync(join(dir, 'd-001', 'snapshot.json'));
    expect((await store.list())[0]?.state).toBe('running');
    expect((await store.open('d-001')).snapshot().seq).toBe(2);
    expect(existsSync(journalOf('d-001'))).toBe(true);
  });

  it("an older ws-deployment's snapshot, ahead of a journal that lost nothing (killed while a write was slow), is a crash's: listed, opened, written on", async () => {
    olderWritersCrash();
    const store = new FileStateStore(dir);
    expect((await store.list())[0]).toMatchObject({ id: 'd-001', state: 'running' });
    const j = await store.open('d-001');
    expect(j.snapshot().seq).toBe(3);
    await j.append({ type: 'deployment.finished', state: 'succeeded' });
    // Written by this version, the snapshot is marked: ahead of its journal again, it would be a loss.
    expect(JSON.parse(readFileSync(join(dir, 'd-001', 'snapshot.json'), 'utf8'))).toMatchObject({ seq: 4, writtenFrom: 'journal-on-disk' });
  });

  it("an older ws-deployment's snapshot ahead of a torn journal tail (the kill cut record 3 as well) is a crash's, repaired", async () => {
    olderWritersCrash();
    cut('d-001', 2);
    const store = new FileStateStore(dir);
    expect((await store.list())[0]?.state).toBe('running');
    expect((await store.open('d-001')).snapshot().seq).toBe(2);
    expect(readJournal(journalOf('d-001')).at(-1)).toMatchObject({ type: 'event', code: 'journal.recovered' });
  });

  it("an older ws-deployment's snapshot ahead of a journal put back from an older copy (its records long before the snapshot's) is a loss", async () => {
    olderWritersCrash();
    const hourEarlier = (time: string) => new Date(Date.parse(time) - 3_600_000).toISOString();
    const lines = readJournal(journalOf('d-001')).map((r) => `${JSON.stringify({ ...r, time: hourEarlier(r.time) })}\n`);
    writeFileSync(journalOf('d-001'), lines.join(''));
    const store = new FileStateStore(dir);
    await expect(store.open('d-001', { readOnly: true })).rejects.toThrow(/lost record 4: it ends at record 3/);
    expect((await store.list())[0]?.state).toBe('damaged');
  });
});
