/**
 * A deployment folder whose journal cannot be read at all — deleted while the snapshot, logs and
 * cluster files stay, emptied, a folder in its place, unreadable, or the deployment folder itself a
 * symlink out of the state dir or a file — holds a deployment whose clusters may exist. It used to
 * vanish from the listing ("no deployments … start one with deploy"), or an unreadable journal took
 * the whole listing down with a raw EISDIR. Now it is listed as `damaged` beside the others, with
 * what is wrong and the fix, and `open` (status ID, resume ID) refuses with the same words.
 */
import { mkdirSync, mkdtempSync, rmSync, renameSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStateStore } from '../../../src/state/file-store.js';
import { damageWords } from '../../../src/state/journal-damage.js';
import { createdFor } from '../../helpers/journal-fixture.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const OLD = '20260101-000000-aaaa';
const LOST = '20260102-000000-bbbb';

async function stateDir(): Promise<{ root: string; store: FileStateStore; outside: string }> {
  const base = mkdtempSync(join(tmpdir(), 'wsd-lost-journal-'));
  dirs.push(base);
  const root = join(base, 'state');
  const store = new FileStateStore(root);
  for (const [id, clusterId] of [[OLD, 101], [LOST, 102]] as const) {
    const j = await store.create(id);
    await j.append(createdFor(id, clusterId));
    await j.append({ type: 'deployment.finished', state: 'succeeded' });
  }
  return { root, store, outside: join(base, 'outside') };
}

const CASES: Array<{ name: string; damage: (folder: string, outside: string) => void; says: RegExp }> = [
  { name: 'journal deleted', damage: (f) => rmSync(join(f, 'journal.ndjson')), says: /journal\.ndjson is missing while its folder holds snapshot\.json/ },
  { name: 'journal emptied', damage: (f) => truncateSync(join(f, 'journal.ndjson'), 0), says: /journal\.ndjson holds no record while its folder holds snapshot\.json/ },
  { name: 'journal torn to no record', damage: (f) => truncateSync(join(f, 'journal.ndjson'), 20), says: /journal\.ndjson holds no record/ },
  { name: 'journal a folder', damage: (f) => (rmSync(join(f, 'journal.ndjson')), mkdirSync(join(f, 'journal.ndjson'))), says: /journal\.ndjson is a folder, not the journal file/ },
  { name: 'folder a symlink out of the state dir', damage: (f, o) => (renameSync(f, o), symlinkSync(o, f)), says: /bbbb is a symlink \(to .*outside\), not a folder of the state dir/ },
  { name: 'folder a file', damage: (f) => (rmSync(f, { recursive: true }), writeFileSync(f, 'x')), says: /bbbb is a file, not a deployment folder/ },
];

describe('a deployment folder whose journal cannot be read', () => {
  for (const c of CASES) {
    it(`${c.name}: listed as damaged beside the others, and open says the same`, async () => {
      const { root, store, outside } = await stateDir();
      c.damage(join(root, LOST), outside);
      const list = await store.list();
      expect(list.map((d) => [d.id, d.state])).toEqual([[OLD, 'succeeded'], [LOST, 'damaged']]);
      const damaged = list[1]!.damaged!;
      expect(damageWords(damaged)).toMatch(c.says);
      expect(damaged.fix).toContain(`restore ${join(root, LOST, 'journal.ndjson')} from a backup`);
      await expect(store.open(LOST, { readOnly: true })).rejects.toThrow(c.says);
    });
  }

  it('a folder a crash left before the first record, or a store folder of another name, is no deployment', async () => {
    const { root, store } = await stateDir();
    mkdirSync(join(root, '20260103-000000-cccc'));
    writeFileSync(join(root, '20260104-000000-dddd.tmp'), 'x');
    expect((await store.list()).map((d) => d.state)).toEqual(['succeeded', 'succeeded']);
  });
});
