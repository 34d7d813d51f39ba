/**
 * An exclusive lock per (project, environment) on the file system, as Atlantis
 * users expect: the refusal names the holder (pid, host, deployment, since).
 *
 * `open(O_EXCL)` is atomic on local file systems. A lock whose holder was a
 * process on this host that no longer exists is stale and is taken over.
 */
import { mkdirSync, openSync, closeSync, writeSync, readFileSync, unlinkSync, renameSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { WsdError } from '../core/errors.js';
import type { LockHandle, LockHolder } from './store.js';

export function lockFileName(key: { project: string; environment: string }): string {
  return `${key.project}--${key.environment}.lock`.replace(/[^A-Za-z0-9._-]/g, '_');
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function describeHolder(h: LockHolder): string {
  return `pid ${h.pid} on ${h.host}, deployment ${h.deploymentId} (${h.command}), since ${h.since}`;
}

export function acquireFileLock(dir: string, key: { project: string; environment: string }, who: Omit<LockHolder, 'since' | 'pid' | 'host'>): LockHandle {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, lockFileName(key));
  const holder: LockHolder = { ...who, pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      try {
        writeSync(fd, JSON.stringify(holder));
      } finally {
        closeSync(fd);
      }
      let released = false;
      return {
        holder,
        release: async () => {
          if (released) return;
          released = true;
          try {
            const current = JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
            if (current.pid === holder.pid && current.deploymentId === holder.deploymentId) unlinkSync(path);
          } catch {
            // already gone
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new WsdError('StateIo', `cannot create lock file ${path}: ${(error as Error).message}; check that the state dir is writable`);
      }
    }
    let current: LockHolder | undefined;
    try {
      current = JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
    } catch {
      current = undefined; // half-written by a process killed mid-write: treat as stale
    }
    const stale = !current || (current.host === hostname() && !processAlive(current.pid));
    if (!stale && current) {
      throw new WsdError(
        'LockHeld',
        `environment ${key.environment} of project ${key.project} is locked by ${describeHolder(current)}; wait for it to finish, or if that process is gone on another host, remove ${path}`,
        { details: { holder: current, lockFile: path } },
      );
    }
    // Move the stale lock aside atomically; only one contender wins the rename.
    try {
      renameSync(path, `${path}.stale-${process.pid}`);
      unlinkSync(`${path}.stale-${process.pid}`);
    } catch {
      // someone else took it over first; try again
    }
  }
  throw new WsdError('LockHeld', `could not take the lock ${path} after 3 attempts; another run is starting at the same time`);
}
