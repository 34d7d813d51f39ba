/**
 * The ways the state-dir damage tests break an entry of a state dir (test/e2e/faults/state-dir-damage*.test.ts): each
 * what a disk, an operator or a copy can leave behind.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, chmodSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type Damage = 'deleted' | 'truncated to 0' | 'truncated mid-line' | 'garbage appended' | 'replaced by a folder' | 'chmod 000' | 'symlink outside';
export const DAMAGES: Damage[] = ['deleted', 'truncated to 0', 'truncated mid-line', 'garbage appended', 'replaced by a folder', 'chmod 000', 'symlink outside'];

/** Applies `damage` to `path`; false when it does not apply to what is there (truncating a folder). */
export function damage(path: string, how: Damage, outside: string): boolean {
  const isDir = lstatSync(path).isDirectory();
  switch (how) {
    case 'deleted':
      rmSync(path, { recursive: true, force: true });
      return true;
    case 'truncated to 0':
      if (isDir) return false;
      truncateSync(path, 0);
      return true;
    case 'truncated mid-line': {
      if (isDir) return false;
      const text = readFileSync(path);
      if (text.length < 2) return false;
      let at = Math.floor(text.length / 2);
      while (at > 1 && text[at - 1] === 0x0a) at--;
      truncateSync(path, at);
      return true;
    }
    case 'garbage appended':
      if (isDir) return false;
      appendFileSync(path, 'garbage{{\u0000\u00ff');
      return true;
    case 'replaced by a folder':
      rmSync(path, { recursive: true, force: true });
      if (isDir) writeFileSync(path, 'not a folder\n');
      else mkdirSync(path);
      return true;
    case 'chmod 000':
      chmodSync(path, 0);
      return true;
    case 'symlink outside': {
      const target = join(outside, createHash('sha256').update(path).digest('hex').slice(0, 12));
      renameSync(path, target);
      symlinkSync(target, path);
      return true;
    }
  }
}
