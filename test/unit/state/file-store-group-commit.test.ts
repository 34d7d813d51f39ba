/**
 * The file journal's group commit: every record appended in one event-loop turn,
 * also from different callbacks of that turn (the children that exited together),
 * goes to disk in one durable write, in append order; the appends resolve only
 * after it, and a failed write rejects every append of its batch with the path
 * and the fix, while the next batch is written again. Ordering is by the loop's
 * phases (timers, then check), not by time, so nothing here races.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FileStateStore, journalDisk, readJournal, SLOW_WRITE_MS } from '../../../src/state/file-store.js';
import type { JournalInput } from '../../../src/state/model.js';

const CLUSTERS = ['gp-dev-ws-eu101-eu-west1', 'gp-dev-ws-us101-us-west1'];
const created = {
  type: 'deployment.created' as const,
  id: 'd-001',
  inputs: { configFile: '/c.yaml', configHash: 'h', project: 'p', environment: 'development' },
  clusterId: 101,
  clusters: CLUSTERS.map((name, index) => ({ index, name, shortName: name.slice(10, 15), id: 101, region: 'europe-west1', prefix: 'eu', governedBy: 'meta', type: 'sandbox' as const })),
  steps: CLUSTERS.map(() => ['create-cluster' as const]),
};
const started = (cluster: string): JournalInput => ({ type: 'step.started', cluster, step: 'create-cluster', attempt: 1 });
const types = (text: string | undefined) => (text ?? '').trimEnd().split('\n').map((l) => (JSON.parse(l) as { cluster?: string }).cluster);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wsd-groupcommit-'));
  // The journal times its writes to choose where the next runs; a frozen clock makes every write
  // look fast, so they stay on the loop however busy this machine's disk is.
  vi.spyOn(journalDisk, 'now').mockReturnValue(0);
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

describe('file journal group commit', () => {
  it('records appended from separate callbacks of one loop turn share one durable write, in append order', async () => {
    const j = await new FileStateStore(dir).create('d-001');
    await j.append(created);
    const spy = vi.spyOn(journalDisk, 'append');
    // Two timers created together expire in the same timers phase: two callbacks of one turn,
    // as two children's exits are. Each appends; neither waits for the other.
    const appends = await new Promise<Array<Promise<unknown>>>((resolve) => {
      const out: Array<Promise<unknown>> = [];
      setTimeout(() => out.push(j.append(started(CLUSTERS[0] as string))), 1);
      setTimeout(() => {
        out.push(j.append(started(CLUSTERS[1] as string)));
        resolve(out);
      }, 1);
    });
    await Promise.all(appends);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(types(spy.mock.calls[0]?.[1])).toEqual(CLUSTERS);
    expect(readJournal(join(j.dir, 'journal.ndjson')).map((r) => r.type)).toEqual(['deployment.created', 'step.started', 'step.started']);
  });

  it('an append resolves only once its write has returned', async () => {
    const j = await new FileStateStore(dir).create('d-001');
    await j.append(created);
    const order: string[] = [];
    const real = journalDisk.append;
    vi.spyOn(journalDisk, 'append').mockImplementation((path, text) => {
      order.push('write');
      real(path, text);
      order.push('written');
    });
    await j.append(started(CLUSTERS[0] as string)).then(() => order.push('resolved'));
    expect(order).toEqual(['write', 'written', 'resolved']);
  });

  it('a failed write rejects every append of its batch with the path and the fix; the next batch is written', async () => {
    const j = await new FileStateStore(dir).create('d-001');
    await j.append(created);
    const full = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    vi.spyOn(journalDisk, 'append').mockImplementationOnce(() => {
      throw full;
    });
    const results = await Promise.allSettled(CLUSTERS.map((c) => j.append(started(c))));
    for (const r of results) {
      expect(r.status).toBe('rejected');
      const reason = (r as PromiseRejectedResult).reason as Error & { code: string };
      expect(reason.code).toBe('StateIo');
      expect(reason.message).toContain(join(j.dir, 'journal.ndjson'));
      expect(reason.message).toContain('the disk holding the state dir is full');
    }
    // Nothing of the failed batch reached the file; a later append is written as usual.
    await j.append({ type: 'step.failed', cluster: CLUSTERS[0] as string, step: 'create-cluster', error: { code: 'StateIo', message: 'journal write failed' } });
    expect(readJournal(join(j.dir, 'journal.ndjson')).map((r) => r.type)).toEqual(['deployment.created', 'step.failed']);
  });

  it('a slow write on the loop sends the next writes to the thread pool for a while, then they come back', async () => {
    const j = await new FileStateStore(dir).create('d-001');
    await j.append(created);
    // The disk's latency, as the journal measures it: a clock moved by the stubbed writes only.
    let clock = 0;
    let latency = SLOW_WRITE_MS + 1;
    vi.mocked(journalDisk.now).mockImplementation(() => clock);
    const real = journalDisk.append;
    const onLoop = vi.spyOn(journalDisk, 'append').mockImplementation((path, text) => {
      clock += latency;
      real(path, text);
    });
    const offLoop = vi.spyOn(journalDisk, 'appendOffLoop');
    await j.append(started(CLUSTERS[0] as string)); // slow, on the loop
    latency = 0;
    expect([onLoop.mock.calls.length, offLoop.mock.calls.length]).toEqual([1, 0]);
    // Within the next second: off the loop; what arrives while a write is under way waits for it, then goes in one write.
    const first = j.append({ type: 'step.succeeded', cluster: CLUSTERS[0] as string, step: 'create-cluster', outputs: {}, durationMs: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(offLoop).toHaveBeenCalledTimes(1);
    const later = [j.append(started(CLUSTERS[1] as string)), j.append({ type: 'step.checkpoint', cluster: CLUSTERS[1] as string, step: 'create-cluster', outputs: { phase: 1 } })];
    await Promise.all([first, ...later]);
    expect(offLoop).toHaveBeenCalledTimes(2);
    expect(offLoop.mock.calls[1]?.[1].trimEnd().split('\n')).toHaveLength(2);
    expect(onLoop).toHaveBeenCalledTimes(1);
    // A second later the loop writes again.
    clock += 1_000;
    await j.append({ type: 'step.succeeded', cluster: CLUSTERS[1] as string, step: 'create-cluster', outputs: {}, durationMs: 1 });
    expect([onLoop.mock.calls.length, offLoop.mock.calls.length]).toEqual([2, 2]);
    expect(readJournal(join(j.dir, 'journal.ndjson')).map((r) => `${r.type} ${'cluster' in r ? r.cluster : ''}`.trim())).toEqual([
      'deployment.created',
      `step.started ${CLUSTERS[0]}`,
      `step.succeeded ${CLUSTERS[0]}`,
      `step.started ${CLUSTERS[1]}`,
      `step.checkpoint ${CLUSTERS[1]}`,
      `step.succeeded ${CLUSTERS[1]}`,
    ]);
  });
});
