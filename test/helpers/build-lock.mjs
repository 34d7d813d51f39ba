/**
 * A lock for the test run's one-time build (global-setup.ts): a directory, since mkdir is atomic,
 * holding the holder's pid so a lock left by a killed run is taken over instead of waited on.
 */
import { mkdirSync, readFileSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function ageMs(path) {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/**
 * Removes a dead holder's lock unless it changed hands meanwhile (another waiter took it over
 * first): only the pid file read a moment ago goes, and the directory only while it is empty.
 */
function removeIfStill(lock, pid) {
  try {
    const now = readFileSync(join(lock, 'pid'), 'utf8');
    if (now !== pid) return;
    rmSync(join(lock, 'pid'));
  } catch {
    if (pid !== undefined) return;
  }
  try {
    rmdirSync(lock);
  } catch {
    // Taken over by another waiter (its pid file is in it) or already gone: the loop looks again.
  }
}

/**
 * Takes `lock` (a directory: mkdir is atomic), waiting while its holder lives, taking over a
 * dead holder's, or one whose pid never got written (killed between the two) after 30 s.
 */
export function takeLock(lock) {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      return;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    } catch {
      // Taken a moment ago, its pid not written yet: wait like for a live holder.
    }
    const named = Number.isInteger(holder) && holder > 0;
    const dead = named ? !alive(holder) : ageMs(lock) > 30_000;
    if (dead) removeIfStill(lock, named ? String(holder) : undefined);
    else Atomics.wait(sleeper, 0, 0, 200);
  }
}
