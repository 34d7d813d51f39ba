/**
 * A journal line that parses is not yet a record of this deployment. Found by damaging a real sandbox
 * state dir (two generations): another deployment's journal copied into a folder was listed, shown and
 * resumed as that folder's (the other deployment twice in `status --all`, the folder's own clusters known to
 * no journal); a `{}` line or a repeated record was read as a record (the next append's seq restarted at 1,
 * a checkpoint went back); an unknown record type was ignored; and a second deployment.created made
 * `status --all` fail for every deployment. Each is now damage at its line: listed as `damaged` beside the
 * others, refused by readers and writers with the file, the line and the fix, and the journal left as it was.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WsdError } from '../../../src/core/errors.js';
import { FileStateStore } from '../../../src/state/file-store.js';
import { applyRecord, type JournalRecord } from '../../../src/state/model.js';
import { createdFor } from '../../helpers/journal-fixture.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const OTHER = 'd-101';
const OWN = 'd-102';

/** A state dir with a finished deployment (d-101, cluster id 101) and an open one (d-102, id 102) whose journal `change` edits. */
async function stateDir(change: (lines: string[], other: string[]) => string[]): Promise<{ store: FileStateStore; journal: string; text: string }> {
  const root = mkdtempSync(join(tmpdir(), 'wsd-records-'));
  dirs.push(root);
  const store = new FileStateStore(root);
  const other = await store.create(OTHER);
  await other.append(createdFor(OTHER, 101));
  await other.append({ type: 'deployment.finished', state: 'succeeded' });
  const own = await store.create(OWN);
  await own.append(createdFor(OWN, 102));
  await own.append({ type: 'step.started', cluster: 'gp-dev-ws-eu102-eu-west1', step: 'create-cluster', attempt: 1 });
  await own.append({ type: 'step.checkpoint', cluster: 'gp-dev-ws-eu102-eu-west1', step: 'create-cluster', outputs: { phase: 'planned' } });
  await own.append({ type: 'step.checkpoint', cluster: 'gp-dev-ws-eu102-eu-west1', step: 'create-cluster', outputs: { phase: 'applied' } });
  const journal = join(own.dir, 'journal.ndjson');
  const lines = readFileSync(journal, 'utf8').split('\n').filter(Boolean);
  const otherLines = readFileSync(join(other.dir, 'journal.ndjson'), 'utf8').split('\n').filter(Boolean);
  const text = `${change(lines, otherLines).join('\n')}\n`;
  writeFileSync(journal, text);
  // The cache must not decide (it would catch some of these by luck): every reader goes by the journal.
  rmSync(join(own.dir, 'snapshot.json'));
  return { store, journal, text };
}

async function refusal(run: () => Promise<unknown>): Promise<WsdError> {
  const error = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WsdError);
  return error as WsdError;
}

const CASES: Array<{ name: string; change: (lines: string[], other: string[]) => string[]; line: number; said: RegExp; fix: RegExp; clusterId?: number }> = [
  {
    name: "another deployment's journal copied into the folder",
    change: (_lines, other) => other,
    line: 1,
    said: /holds the journal of deployment d-101 \(its first record names it\), not of d-102: it was copied in from that deployment's folder/,
    fix: /restore .*d-102\/journal\.ndjson from a backup/,
  },
  { name: 'a {} line mid-file', change: (l) => [...l.slice(0, 2), '{}', ...l.slice(2)], line: 3, said: /line 3 is JSON but no journal record/, fix: /repair line 3 by hand/, clusterId: 102 },
  { name: 'a {} last line', change: (l) => [...l, '{"a":1}'], line: 5, said: /line 5 is JSON but no journal record/, fix: /repair line 5 by hand/, clusterId: 102 },
  { name: 'an earlier record repeated', change: (l) => [...l, l[2] as string], line: 5, said: /line 5 repeats or goes back to record 3 after record 4: a line was copied/, fix: /repair line 5 by hand/, clusterId: 102 },
  {
    name: 'a record type of a newer ws-deployment',
    change: (l) => [...l, JSON.stringify({ type: 'step.paused', cluster: 'gp-dev-ws-eu102-eu-west1', step: 'create-cluster', seq: 5, time: new Date().toISOString() })],
    line: 5,
    said: /line 5 holds a record of type "step\.paused", which this ws-deployment does not know: a newer ws-deployment wrote it/,
    fix: /upgrade ws-deployment .*nothing was changed/,
    clusterId: 102,
  },
  { name: 'a second deployment.created (two journals joined)', change: (l, other) => [...l, (other[0] as string).replace('"seq":1,', '"seq":9,')], line: 5, said: /line 5 is a second deployment\.created/, fix: /repair line 5/, clusterId: 102 },
  { name: "a journal whose beginning was cut", change: (l) => l.slice(1), line: 1, said: /line 1 is a step\.started record \(seq 2\), but a journal begins with deployment\.created: its beginning was cut/, fix: /repair line 1/ },
];

describe('a journal line that parses but is no record of this deployment in order', () => {
  for (const c of CASES) {
    it(`${c.name}: listed as damaged beside the others, refused by readers and writers, left as it was`, async () => {
      const { store, journal, text } = await stateDir(c.change);
      const list = await store.list();
      // Each once (a copied journal listed the other deployment twice), whatever the order (a damage at line 1 hides the start time).
      expect(list.map((d) => [d.id, d.state]).sort()).toEqual([
        [OTHER, 'succeeded'],
        [OWN, 'damaged'],
      ]);
      const damaged = list.find((d) => d.id === OWN)?.damaged;
      expect(damaged).toMatchObject({ file: journal, line: c.line });
      expect(damaged?.problem).toMatch(c.said);
      expect(damaged?.fix).toMatch(c.fix);
      // The cluster id the intact part shows stays taken; a foreign journal's is not this folder's.
      expect(damaged?.clusterId).toBe(c.clusterId);
      for (const readOnly of [true, false]) {
        const error = await refusal(() => store.open(OWN, { readOnly }));
        expect(error.code).toBe('StateCorrupt');
        expect(error.message).toContain(`deployment ${OWN}: ${journal}`);
        expect(error.message).toMatch(c.said);
        expect(error.message).toMatch(c.fix);
      }
      await refusal(() => store.readRecords(OWN));
      expect(readFileSync(journal, 'utf8')).toBe(text);
    });
  }
});

describe('the reducer', () => {
  it('refuses a record type it does not know (the PostgreSQL store reads through it alone)', () => {
    const created = { ...createdFor('d-1', 101), seq: 1, time: '2026-01-01T00:00:00Z' } as JournalRecord;
    const snap = applyRecord(undefined, created);
    expect(() => applyRecord(snap, { type: 'step.paused', seq: 2, time: '2026-01-01T00:00:01Z' } as unknown as JournalRecord)).toThrow(/type "step\.paused", which this ws-deployment does not know: a newer ws-deployment wrote it; upgrade/);
  });
});
