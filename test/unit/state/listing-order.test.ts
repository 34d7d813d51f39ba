/**
 * The listing is newest first also where damage hides when a deployment began (its journal lost, or
 * damaged at its first line): it sorts by the time in its generated id then. Found on a real
 * two-generation sandbox state dir with the newest journal deleted: those entries sorted last, so a
 * bare `status` showed generation 1 (its clusters long retired) as the current deployment, `succeeded`,
 * exit 0, and said nothing of generation 2, whose clusters were the live ones.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStateStore } from '../../../src/state/file-store.js';
import { runInProcess } from '../../helpers/in-process-cli.js';
import { createdFor } from '../../helpers/journal-fixture.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A deployment id as `deploy` makes it (engine/deployment.ts), for time `at`. */
function idAt(at: Date, tail: string): string {
  const iso = at.toISOString().replace(/[-:]/g, '');
  return `${iso.slice(0, 8)}-${iso.slice(9, 15)}-${tail}`;
}

describe('a newest deployment whose damage hides its start', () => {
  for (const [name, damage] of [
    ['journal deleted', (journal: string) => rmSync(journal)],
    ["another deployment's journal copied in", (journal: string, other: string) => writeFileSync(journal, other)],
  ] as const) {
    it(`${name}: listed first, and a bare status refuses it with the path rather than showing the one before`, async () => {
      const root = mkdtempSync(join(tmpdir(), 'wsd-listing-order-'));
      dirs.push(root);
      const store = new FileStateStore(root);
      const now = Date.now();
      const older = idAt(new Date(now - 120_000), 'aaaa');
      const newer = idAt(new Date(now + 60_000), 'bbbb');
      for (const [id, clusterId] of [[older, 101], [newer, 102]] as const) {
        const j = await store.create(id);
        await j.append(createdFor(id, clusterId));
        await j.append({ type: 'deployment.finished', state: 'succeeded' });
      }
      const journal = join(root, newer, 'journal.ndjson');
      damage(journal, readFileSync(join(root, older, 'journal.ndjson'), 'utf8'));

      expect((await store.list()).map((d) => [d.id, d.state])).toEqual([
        [newer, 'damaged'],
        [older, 'succeeded'],
      ]);
      const status = await runInProcess(['status', '--state-dir', root]);
      expect(status.code, status.stdout).toBe(1);
      expect(status.stdout).not.toContain(`deployment ${older}`);
      expect(status.stderr).toContain(`deployment ${newer}: ${journal}`);
      expect(status.stderr).toMatch(/restore .*journal\.ndjson from a backup/);
    });
  }
});
