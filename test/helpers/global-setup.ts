/**
 * End-to-end tests run the compiled CLI. `npm test` builds first; a direct
 * `npx vitest run` builds here when the bundle is missing or older than src/.
 * Two runs started together in one clone (a developer's watch beside a full
 * run) would otherwise both rebuild, and one would load a bundle the other is
 * half-way through writing; the build is taken under a lock directory, and the
 * bundle's age is checked again once the lock is held.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { takeLock } from './build-lock.mjs';

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

export default function setup(): void {
  const root = resolve(import.meta.dirname, '..', '..');
  const main = join(root, 'dist', 'bundle', 'main.js');
  const fresh = (): boolean => existsSync(main) && statSync(main).mtimeMs >= newest(join(root, 'src'));
  if (fresh()) return;
  const lock = join(root, '.build-lock');
  takeLock(lock);
  try {
    if (fresh()) return;
    execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
    execFileSync(process.execPath, [join(root, 'scripts', 'bundle.mjs')], { stdio: 'inherit' });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
