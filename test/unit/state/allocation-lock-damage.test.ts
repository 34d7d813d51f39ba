/**
 * The cluster id allocation lock (state/allocation-lock.ts) damaged in the state dir: garbage is a stale lock, taken
 * over; a symlink (maybe pointing outside the state dir) is refused before anything is written, under its own name
 * (it was called "an environment lock"), and the file it points at is left alone.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { FileStateStore } from '../../../src/state/file-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function stateDir(): { root: string; lock: string } {
  const root = mkdtempSync(join(tmpdir(), 'wsd-alloc-damage-'));
  dirs.push(root);
  mkdirSync(join(root, 'locks'));
  return { root, lock: join(root, 'locks', 'cluster-id-allocation.lock') };
}

it('takes over a lock file of garbage, and releases it', async () => {
  const { root, lock } = stateDir();
  writeFileSync(lock, '\u0000\u00ffnot json');
  const handle = await new FileStateStore(root).allocationLock({ deploymentId: 'd-1', command: 'deploy' }, {});
  expect(JSON.parse(readFileSync(lock, 'utf8'))).toMatchObject({ deploymentId: 'd-1', pid: process.pid });
  await handle.release();
});

it('refuses a symlink in its place by its own name, leaving the target alone', async () => {
  const { root, lock } = stateDir();
  const outside = join(mkdtempSync(join(tmpdir(), 'wsd-outside-')), 'target');
  dirs.push(join(outside, '..'));
  writeFileSync(outside, 'someone else\'s file');
  symlinkSync(outside, lock);
  await expect(new FileStateStore(root).lock({ project: 'p', environment: 'staging' }, { deploymentId: 'd-1', command: 'deploy' })).rejects.toThrow(
    `${lock} is a symlink, not an environment lock or the cluster id allocation lock`,
  );
  expect(readFileSync(outside, 'utf8')).toBe('someone else\'s file');
});
