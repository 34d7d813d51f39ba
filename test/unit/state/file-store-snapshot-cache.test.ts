/**
 * The file store's snapshot cache is rewritten in the background: a step's
 * record is durable (and its append resolves) without waiting for the cache,
 * rewrites are coalesced, a failing rewrite never fails a step's record, and
 * deployment-level records wait until the cache shows them. Time is moved with
 * a fake Date only (the interval between rewrites), so nothing here races.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventSink } from '../../../src/core/events.js';
import { FileStateStore, journalDisk, readJournal } from '../../../src/state/file-store.js';
import { CLUSTER, created, started } from '../../helpers/journal-fixture.js';


let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wsd-snapcache-'));
  vi.useFakeTimers({ toFake: ['Date'] });
});
afterEach(() => {
  vi.useRealTimers();
  rmSync(dir, { recursive: true, force: true });
});

const snapshotSeq = (journalDir: string) => (JSON.parse(readFileSync(join(journalDir, 'snapshot.json'), 'utf8')) as { seq: number }).seq;

describe('file store snapshot cache', () => {
  it('a failing rewrite fails no record, periodic or deployment-level: the journal has it; one warning says so', async () => {
    const warnings: string[] = [];
    const store = new FileStateStore(dir, { emit: (e) => warnings.push(e.code) } as EventSink);
    const j = await store.create('d-001');
    await j.append(created);
    // The cache path becomes a folder: every rewrite of it fails from now on.
    rmSync(join(j.dir, 'snapshot.json'));
    mkdirSync(join(j.dir, 'snapshot.json'));
    vi.setSystemTime(Date.now() + 5_000);
    await j.append(started);
    vi.setSystemTime(Date.now() + 5_000);
    await j.append({ type: 'step.succeeded', cluster: CLUSTER, step: 'create-cluster', outputs: {}, durationMs: 1 });
    expect(readJournal(join(j.dir, 'journal.ndjson')).map((r) => r.type)).toEqual(['deployment.created', 'step.started', 'step.succeeded']);
    await j.append({ type: 'deployment.finished', state: 'succeeded' });
    expect(readJournal(join(j.dir, 'journal.ndjson')).at(-1)?.type).toBe('deployment.finished');
    expect(warnings).toEqual(['snapshot.unwritten']);
    expect((await store.list()).map((d) => [d.id, d.state])).toEqual([['d-001', 'succeeded']]);
  });

  it('rewrites coalesce: records appended while a rewrite runs go into the next one, and a deployment-level record waits for it', async () => {
    const store = new FileStateStore(dir);
    const j = await store.create('d-001');
    await j.append(created);
    vi.setSystemTime(Date.now() + 5_000);
    // Issued together: the first starts a background rewrite, the others land while it runs.
    await Promise.all([
      j.append(started),
      j.append({ type: 'step.checkpoint', cluster: CLUSTER, step: 'create-cluster', outputs: { phase: 1 } }),
    ]);
    await j.append({ type: 'deployment.finished', state: 'succeeded' });
    expect(snapshotSeq(j.dir)).toBe(4);
    expect((await store.list()).map((d) => [d.id, d.state])).toEqual([['d-001', 'succeeded']]);
  });
});

describe('file store group commit', () => {
  it('a record appended a few promise hops after another (a success and the start it releases) shares its durable write', async () => {
    // Every write looks fast, so it stays on the loop (where the spy counts it) on a busy disk too.
    const clock = vi.spyOn(journalDisk, 'now').mockReturnValue(0);
    const store = new FileStateStore(dir);
    const j = await store.create('d-001');
    await j.append(created);
    const spy = vi.spyOn(journalDisk, 'append');
    try {
      const first = j.append(started);
      // As the engine does: the dependent's record comes after several awaits, within the same turn.
      let hops = Promise.resolve();
      for (let i = 0; i < 20; i++) hops = hops.then(() => undefined);
      await hops;
      const second = j.append({ type: 'step.checkpoint', cluster: CLUSTER, step: 'create-cluster', outputs: { phase: 1 } });
      await Promise.all([first, second]);
      expect(spy).toHaveBeenCalledTimes(1);
      expect(spy.mock.calls[0]?.[1].trimEnd().split('\n').map((l) => (JSON.parse(l) as { type: string }).type)).toEqual(['step.started', 'step.checkpoint']);
    } finally {
      spy.mockRestore();
      clock.mockRestore();
    }
    expect(readJournal(join(j.dir, 'journal.ndjson')).map((r) => r.type)).toEqual(['deployment.created', 'step.started', 'step.checkpoint']);
  });
});
