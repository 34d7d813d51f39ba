/**
 * An exclusive lock per (project, environment) on the file system, as Atlantis
 * users expect: the refusal names the holder (pid, host, deployment, since).
 *
 * The lock file appears complete or not at all: the holder is written to a
 * temp file which is then hard-linked into place (`link` fails if the lock
 * exists), so a contender never reads a half-written lock and mistakes it for
 * a stale one. A lock whose holder was a process on this host that no longer
 * exists is stale; it is removed only under a short-lived takeover mutex,
 * after re-reading it, so two contenders can never both remove a lock and both win.
 *
 * The lock records the folder it was taken in (real path, device, inode). A state dir
 * copied (`cp -a`, a backup restored) while a run held its lock carries the lock file
 * along, naming a process that is alive but works in the original: in the copy such a
 * lock does not mean the deployment runs here (`status` says where it came from), but while
 * that process lives a run in the copy is refused, since both would act on the same
 * clusters; once it is gone the lock is stale here like any other. A lock without that record
 * (written by an older version) is judged by its holder alone, as before.
 */
import { randomBytes } from 'node:crypto';
import { assertUsableStateDir } from './state-dir-check.js';
import { linkSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { WsdError } from '../core/errors.js';
import { shellQuote } from '../core/next-command.js';
import { identify, pidExists, processStartMs, stillRunning } from '../core/process-identity.js';
import type { LockHandle, LockHolder, LockPlace } from './store.js';

/** A takeover mutex older than this was left by a process that died mid-takeover. */
const TAKEOVER_STALE_MS = 30_000;
const ATTEMPTS = 100;
const RETRY_MS = 10;

export function lockFileName(key: { project: string; environment: string }): string {
  return `${key.project}--${key.environment}.lock`.replace(/[^A-Za-z0-9._-]/g, '_');
}

/**
 * Whether the lock's holder still runs: a holder on another host is assumed to (we cannot
 * see it); on this host its pid must exist and be the very process that took the lock (a pid
 * the kernel reused for an unrelated process after a `kill -9` holds nothing). The holder
 * records its start in clock ticks since boot and the boot it ran in, which no clock
 * adjustment changes: comparing a start time in wall-clock terms with the time the lock was
 * taken is only as good as the wall clock, and a VM whose clock is stepped forward (resumed
 * from a snapshot, synced by NTP) moves every process' computed start by the step, so a run
 * holding its lock read as gone to `status` (interrupted) and to a contender (taken over).
 * That comparison stays only for locks written before the start was recorded.
 */
function holderAlive(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true;
  if (Number.isInteger(holder.startTicks)) return stillRunning({ pid: holder.pid, host: holder.host, startTicks: holder.startTicks, bootId: holder.bootId }) !== 'gone';
  if (!pidExists(holder.pid)) return false;
  const started = processStartMs(holder.pid);
  const since = Date.parse(holder.since);
  // 2 s of slack: btime is rounded to the second and the lock is taken after the process starts.
  return started === undefined || !Number.isFinite(since) || started <= since + 2_000;
}

/** The lock folder `dir` by real path and identity; undefined when it cannot be read. */
function placeOf(dir: string): LockPlace | undefined {
  try {
    const stat = statSync(dir);
    return { path: realpathSync(dir), dev: stat.dev, ino: stat.ino };
  } catch {
    return undefined;
  }
}

/**
 * The folder a lock read in `dir` was taken in, when that is another folder (this one is a copy):
 * undefined when it was taken here or does not say. On this host the device and inode decide (a
 * state dir moved while it runs is still the same folder); a holder on another host sees the
 * share under its own device number, so there both its inode and its path must differ.
 */
function takenElsewhere(holder: LockHolder, dir: string): string | undefined {
  const recorded = holder.dir;
  if (!recorded || typeof recorded.path !== 'string') return undefined;
  const here = placeOf(dir);
  if (!here) return undefined;
  const other = holder.host === hostname() ? recorded.dev !== here.dev || recorded.ino !== here.ino : recorded.ino !== here.ino && recorded.path !== here.path;
  return other ? recorded.path : undefined;
}

/** Whether `holder`, read from the lock file in `dir`, holds the lock: taken in this very folder by a process that still runs. */
function holds(holder: LockHolder, dir: string): boolean {
  return takenElsewhere(holder, dir) === undefined && holderAlive(holder);
}

/**
 * The live holder of the lock, read without taking it (so it works on a read-only
 * state dir): undefined when nobody holds it here, its holder is gone, or the lock
 * was copied from another state dir.
 */
export function readLiveHolder(dir: string, key: { project: string; environment: string }): LockHolder | undefined {
  const raw = readRaw(join(dir, lockFileName(key)));
  if (raw === undefined) return undefined;
  const holder = parseHolder(raw);
  return holder && holds(holder, dir) ? holder : undefined;
}

/**
 * What to tell the operator when the lock file in `dir` names a live run that works in another
 * folder (this state dir was copied while it ran there): undefined for any other lock.
 */
export function copiedLockNote(dir: string, key: { project: string; environment: string }): string | undefined {
  const holder = parseHolder(readRaw(join(dir, lockFileName(key))) ?? '');
  const from = holder && takenElsewhere(holder, dir);
  if (!holder || !from || !holderAlive(holder)) return undefined;
  return `its lock was copied from ${from} while ${describeHolder(holder)} ran there; not running here`;
}

/**
 * The refusal for a lock copied along with this state dir while its run lives in the original: that run still works
 * on the clusters this copy's journal names, and a second run here would act on them at the same time (and could
 * retire what it deploys). Undefined for any other lock.
 */
function copiedHolderError(current: LockHolder, dir: string, path: string): WsdError | undefined {
  const from = takenElsewhere(current, dir);
  if (!from || !holderAlive(current)) return undefined;
  return new WsdError(
    'LockHeld',
    `this state dir is a copy: its lock was copied from ${from} while ${describeHolder(current)} ran there, and that run still works on the same clusters; wait for it to finish (\`ws-deployment status --state-dir ${shellQuote(dirname(from))} ${current.deploymentId}\`), then run this again here`,
    { details: { holder: current, lockFile: path, copiedFrom: from } },
  );
}

/** What taking the lock in `dir` would be refused with because this state dir is a copy (see {@link copiedHolderError}), read without taking it. */
export function copiedLockRefusal(dir: string, key: { project: string; environment: string }): WsdError | undefined {
  const path = join(dir, lockFileName(key));
  const holder = parseHolder(readRaw(path) ?? '');
  return holder && copiedHolderError(holder, dir, path);
}

export function describeHolder(h: LockHolder): string {
  return `pid ${h.pid} on ${h.host}, deployment ${h.deploymentId} (${h.command}), since ${h.since}`;
}

/**
 * What to do when a lock's file or folder cannot be written. A full disk is not a read-only one: "pass --state-dir DIR"
 * told an operator whose disk had filled up mid-shift (the sandbox registry's lock) to start over elsewhere.
 */
function lockWriteHint(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOSPC' || code === 'EDQUOT' ? 'the disk holding the state dir is full: free space, then run again' : 'the state dir is not writable: pass --state-dir DIR with a writable folder';
}

/** Creates `path` holding `content`, atomically and only if it does not exist. */
function createExclusive(path: string, content: string): boolean {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temp, content, { mode: 0o600 });
  } catch (error) {
    // A write the full disk cut leaves the temp file: each retry would leave one more.
    try {
      rmSync(temp, { force: true });
    } catch {
      // a name too long to create is too long to remove: nothing was left
    }
    throw new WsdError('StateIo', `cannot create lock file ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); ${lockWriteHint(error)}`, { cause: error });
  }
  try {
    linkSync(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new WsdError('StateIo', `cannot create lock file ${path}: ${(error as Error).message}; check that the state dir is writable`, { cause: error });
  } finally {
    unlinkSync(temp);
  }
}

function readRaw(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // released meanwhile
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function parseHolder(raw: string): LockHolder | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined; // damaged by hand: nobody can hold it
  }
  // Valid JSON that names no process (`{}`, `42`, a string) is damaged too: read as a holder it would
  // be "on another host" (host undefined), held forever and shown as "pid undefined on undefined".
  const holder = parsed as Partial<LockHolder> | null;
  const named = typeof holder === 'object' && holder !== null && Number.isInteger(holder.pid) && typeof holder.host === 'string' && holder.host !== '';
  return named ? (holder as LockHolder) : undefined;
}

/** Blocks for `ms` (the lock API is synchronous; contention lasts milliseconds). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Removes the lock if it still holds exactly `seen`, under the takeover mutex; false if another contender is at it. */
function removeStale(path: string, seen: string): boolean {
  const mutex = `${path}.takeover`;
  if (!createExclusive(mutex, String(process.pid))) {
    try {
      if (Date.now() - statSync(mutex).mtimeMs > TAKEOVER_STALE_MS) unlinkSync(mutex);
    } catch {
      // gone meanwhile
    }
    return false;
  }
  try {
    if (readRaw(path) === seen) unlinkSync(path);
    return true;
  } finally {
    unlinkSync(mutex);
  }
}

/**
 * `<state-dir>/locks` that exists but is no folder (a stray file): name it and the fix. The state
 * dir check below would call the lock folder the state dir and send the operator to --state-dir.
 */
function assertLockFolder(dir: string): void {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch {
    return; // absent (created below) or unreadable (the checks below say why)
  }
  if (!isDirectory) {
    throw new WsdError('StateIo', `the lock folder ${dir} is a file, not a folder (ws-deployment keeps its environment locks there); remove it or move it aside and run again`, {
      details: { lockFolder: dir },
    });
  }
}

export function acquireFileLock(dir: string, key: { project: string; environment: string }, who: Omit<LockHolder, 'since' | 'pid' | 'host'>): LockHandle {
  const taken = tryFileLock(dir, lockFileName(key), who, { copied: 'refuse' });
  if ('release' in taken) return taken;
  throw new WsdError(
    'LockHeld',
    `environment ${key.environment} of project ${key.project} is locked by ${describeHolder(taken.holder)}; wait for it to finish, or if that process is gone on another host, remove ${taken.path}`,
    { details: { holder: taken.holder, lockFile: taken.path } },
  );
}

/**
 * One try at the lock file `name` in the lock folder `dir`: the handle, or the live holder that has it. A stale
 * lock (its process gone, or damaged) is taken over. `copied`: what a lock copied along with this state dir from a
 * run still alive in the original means: `refuse` (the environment lock: that run works on the same clusters) or
 * `stale` (a lock guarding only this folder's files, which that run does not touch).
 */
export function tryFileLock(dir: string, name: string, who: Omit<LockHolder, 'since' | 'pid' | 'host'>, options: { copied: 'refuse' | 'stale' }): LockHandle | { holder: LockHolder; path: string } {
  assertLockFolder(dir);
  assertUsableStateDir(dir);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new WsdError('StateIo', `cannot create the lock folder ${dir} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); ${lockWriteHint(error)}`, { cause: error });
  }
  const path = join(dir, name);
  const { startTicks, bootId } = identify(process.pid);
  const holder: LockHolder = { ...who, pid: process.pid, host: hostname(), since: new Date().toISOString(), dir: placeOf(dir), ...(startTicks !== undefined ? { startTicks } : {}), ...(bootId ? { bootId } : {}) };
  const content = JSON.stringify(holder);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (createExclusive(path, content)) return handle(path, holder);
    const raw = readRaw(path);
    if (raw === undefined) {
      // A folder in its place cannot be read nor replaced: retrying would only end in "try again".
      if (isFolder(path)) throw new WsdError('StateIo', `the lock file ${path} is a folder, which no run of ws-deployment makes; remove it and run again`, { details: { lockFile: path } });
      continue; // released between our attempt and the read
    }
    const current = parseHolder(raw);
    const copied = options.copied === 'refuse' && current && copiedHolderError(current, dir, path);
    if (copied) throw copied;
    // A lock copied along with the state dir from a run that is over holds nothing here: taken over like a stale one.
    const stale = !current || !holds(current, dir);
    if (!stale) return { holder: current, path };
    if (!removeStale(path, raw)) pause(RETRY_MS);
  }
  throw new WsdError('LockHeld', `could not take the lock ${path}: other runs keep starting at the same time; try again`);
}

function handle(path: string, holder: LockHolder): LockHandle {
  let released = false;
  return {
    holder,
    release: async () => {
      if (released) return;
      released = true;
      const current = parseHolder(readRaw(path) ?? '');
      if (current?.pid === holder.pid && current.deploymentId === holder.deploymentId) {
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      }
    },
  };
}
