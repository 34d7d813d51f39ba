/**
 * The ways the state-dir damage tests break an entry of a state dir (test/e2e/faults/state-dir-damage*.test.ts): each
 * what a disk, an operator or a copy can leave behind (another one's copy: a file of another deployment or cluster
 * copied over it).
 */
import { createHash } from 'node:crypto';
import { appendFileSync, chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';

export type Damage = 'deleted' | 'truncated to 0' | 'truncated mid-line' | 'garbage appended' | 'replaced by a folder' | 'chmod 000' | 'symlink outside' | "another one's copy";
export const DAMAGES: Damage[] = ['deleted', 'truncated to 0', 'truncated mid-line', 'garbage appended', 'replaced by a folder', 'chmod 000', 'symlink outside', "another one's copy"];

/**
 * A whole, valid file of the same kind that belongs to another deployment or cluster: the file of that name in a
 * sibling folder (another deployment's journal or snapshot, another cluster's log), else another file of the same
 * extension in the same folder (another cluster's Terraform state). Undefined when the dir holds none.
 */
function anotherOnes(path: string): string | undefined {
  const dir = dirname(path);
  const name = basename(path);
  const parent = dirname(dir);
  for (const cousin of readdirSync(parent, { withFileTypes: true })) {
    if (!cousin.isDirectory() || cousin.name === basename(dir)) continue;
    const candidate = join(parent, cousin.name, name);
    if (existsSync(candidate) && lstatSync(candidate).isFile()) return candidate;
  }
  const sibling = readdirSync(dir).find((n) => n !== name && extname(n) === extname(name) && extname(n) !== '' && lstatSync(join(dir, n)).isFile());
  return sibling === undefined ? undefined : join(dir, sibling);
}

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
    case "another one's copy": {
      // Copied in by hand or from a backup of the wrong folder: whole and well-formed, but not this entry's.
      const source = isDir ? undefined : anotherOnes(path);
      if (!source) return false;
      copyFileSync(source, path);
      return true;
    }
    case 'symlink outside': {
      const target = join(outside, createHash('sha256').update(path).digest('hex').slice(0, 12));
      renameSync(path, target);
      symlinkSync(target, path);
      return true;
    }
  }
}
