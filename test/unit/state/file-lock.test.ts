/**
 * The file lock's rules, one by one: who may take a lock over, who may release
 * it, what a contender sees. (Cross-process contention: test/integration/state/store-contract.test.ts.)
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { acquireFileLock, copiedLockNote, lockFileName, readLiveHolder } from '../../../src/state/file-lock.js';

const KEY = { project: 'p', environment: 'development' };
const DEAD_PID = 2 ** 22 + 12345;
const dirs: string[] = [];
function lockDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-lock-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** `kill(pid, 0)` answers as for a live process of another user (EPERM), or a gone one (ESRCH), for `pid` only. */
function killAnswers(pid: number, answer: 'EPERM' | 'ESRCH' | 'alive'): void {
  const real = process.kill.bind(process);
  vi.spyOn(process, 'kill').mockImplementation((target: number, signal?: string | number) => {
    if (target !== pid) return real(target, signal);
    if (answer === 'alive') return true;
    throw Object.assign(new Error(`kill ${answer}`), { code: answer });
  });
}

/**
 * When process `pid` started (ms since the epoch), read here from /proc by hand: btime (boot, whole
 * seconds, /proc/stat) plus field 22 of /proc/PID/stat (start, in clock ticks of 10 ms since boot).
 */
function startedMs(pid: number): number {
  const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
  const afterName = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').at(-1) ?? '';
  // Fields from 3 on; field 22 (starttime) is the 20th of them.
  return btime * 1000 + Number(afterName.split(' ')[19]) * 10;
}
const holderOf = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

describe('file lock', () => {
  it('names the lock file after project and environment, with anything unsafe for a file name replaced', () => {
    expect(lockFileName({ project: 'gitpod-prod.123', environment: 'production' })).toBe('gitpod-prod.123--production.lock');
    expect(lockFileName({ project: 'a b/../c', environment: 'dev$' })).toBe('a_b_.._c--dev_.lock');
  });

  it('writes the holder (pid, host, deployment, command, since) readable by the owner only', () => {
    const dir = lockDir();
    const lock = acquireFileLock(dir, KEY, { deploymentId: 'd-001', command: 'deploy' });
    const path = join(dir, lockFileName(KEY));
    expect(holderOf(path)).toMatchObject({ pid: process.pid, host: hostname(), deploymentId: 'd-001', command: 'deploy' });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(lock.holder).toEqual(holderOf(path));
    // The holder is written to a temp file first and linked into place; the temp file is gone.
    expect(readdirSync(dir)).toEqual([lockFileName(KEY)]);
  });

  it('takes over a lock file damaged by hand (nobody can hold it)', () => {
    const dir = lockDir();
    writeFileSync(join(dir, lockFileName(KEY)), '{not json');
    expect(acquireFileLock(dir, KEY, { deploymentId: 'd-002', command: 'deploy' }).holder.deploymentId).toBe('d-002');
  });

  it('takes over a lock file that is valid JSON but names no holder (damaged: nobody can hold it)', () => {
    for (const damaged of ['{}', '42', '"x"', '[]', '{"pid":"1","host":7}']) {
      const dir = lockDir();
      writeFileSync(join(dir, lockFileName(KEY)), damaged);
      expect(readLiveHolder(dir, KEY)).toBeUndefined();
      expect(acquireFileLock(dir, KEY, { deploymentId: 'd-002', command: 'deploy' }).holder.deploymentId).toBe('d-002');
    }
  });

  it('names a folder where the lock file belongs, rather than blaming runs that keep starting', () => {
    const dir = lockDir();
    const path = join(dir, lockFileName(KEY));
    mkdirSync(join(path, 'sub'), { recursive: true });
    expect(() => acquireFileLock(dir, KEY, { deploymentId: 'd-002', command: 'deploy' })).toThrow(expect.objectContaining({ code: 'StateIo', message: expect.stringContaining(`the lock file ${path} is a folder`) }));
  });

  it('names a file where the lock folder belongs and says to move it, rather than blaming the state dir', () => {
    const dir = join(lockDir(), 'locks');
    writeFileSync(dir, 'stray');
    let error: unknown;
    try {
      acquireFileLock(dir, KEY, { deploymentId: 'd-002', command: 'deploy' });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'StateIo', message: expect.stringContaining(`the lock folder ${dir} is a file, not a folder`) });
    expect((error as Error).message).toMatch(/remove it or move it aside/);
    expect((error as Error).message).not.toMatch(/as the state dir|--state-dir/);
    expect(readFileSync(dir, 'utf8')).toBe('stray'); // nothing lost
  });

  it('refuses a lock held by a live process on this host, naming it', () => {
    const dir = lockDir();
    const path = join(dir, lockFileName(KEY));
    writeFileSync(path, JSON.stringify({ pid: process.pid, host: hostname(), deploymentId: 'd-000', command: 'retire', since: 'then' }));
    expect(() => acquireFileLock(dir, KEY, { deploymentId: 'd-001', command: 'deploy' })).toThrow(
      expect.objectContaining({ code: 'LockHeld', details: { holder: expect.objectContaining({ deploymentId: 'd-000' }), lockFile: path } }),
    );
  });

  it('release removes only its own lock, and only once', async () => {
    const dir = lockDir();
    const path = join(dir, lockFileName(KEY));
    const first = acquireFileLock(dir, KEY, { deploymentId: 'd-001', command: 'deploy' });
    await first.release();
    expect(existsSync(path)).toBe(false);
    // Another run takes the lock; the first handle's release (again) must leave it alone.
    const second = acquireFileLock(dir, KEY, { deploymentId: 'd-002', command: 'deploy' });
    await first.release();
    expect(holderOf(path)).toMatchObject({ deploymentId: 'd-002' });
    // Same pid, other deployment (one process, two deployments): not ours either.
    writeFileSync(path, JSON.stringify({ ...second.holder, deploymentId: 'd-003' }));
    await second.release();
    expect(holderOf(path)).toMatchObject({ deploymentId: 'd-003' });
    // Other pid, same deployment id (a resumed run elsewhere): not ours.
    writeFileSync(path, JSON.stringify({ ...second.holder, pid: DEAD_PID }));
    const third = acquireFileLock(dir, KEY, { deploymentId: 'd-004', command: 'deploy' });
    writeFileSync(path, JSON.stringify({ ...third.holder, pid: DEAD_PID }));
    await third.release();
    expect(holderOf(path)).toMatchObject({ pid: DEAD_PID, deploymentId: 'd-004' });
  });

  it('takes over a stale lock only through the takeover mutex: a fresh mutex means another contender is at it', () => {
    const dir = lockDir();
    const path = join(dir, lockFileName(KEY));
    writeFileSync(path, JSON.stringify({ pid: DEAD_PID, host: hostname(), deploymentId: 'd-000', command: 'deploy', since: 'then' }));
    writeFileSync(`${path}.takeover`, '999999');
    expect(() => acquireFileLock(dir, KEY, { deploymentId: 'd-001', command: 'deploy' })).toThrow(
      expect.objectContaining({ code: 'LockHeld', message: expect.stringMatching(/could not take the lock .*other runs keep starting at the same time; try again/) }),
    );
    expect(holderOf(path)).toMatchObject({ deploymentId: 'd-000' });
  });

  it('clears a takeover mutex left by a contender that died mid-takeover (older than 30 s), then takes the stale lock', () => {
    const dir = lockDir();
    const path = join(dir, lockFileName(KEY));
    writeFileSync(path, JSON.stringify({ pid: DEAD_PID, host: hostname(), deploymentId: 'd-000', command: 'deploy', since: 'then' }));
    writeFileSync(`${path}.takeover`, '999999');
    const old = new Date(Date.now() - 120_000);
    utimesSync(`${path}.takeover`, old, old);
    expect(acquireFileLock(dir, KEY, { deploymentId: 'd-001', command: 'deploy' }).holder.deploymentId).toBe('d-001');
    expect(existsSync(`${path}.takeover`)).toBe(false);
  });

  it('a second release of an old handle never removes a newer lock of the same deployment', async () => {
    const dir = lockDir();
    const path = join(dir, lockFileName(KEY));
    const old = acquireFileLock(dir, KEY, { deploymentId: 'd-001', command: 'deploy' });
    await old.release();
    acquireFileLock(dir, KEY, { deploymentId: 'd-001', command: 'resume' });
    await old.release();
    expect(holderOf(path)).toMatchObject({ deploymentId: 'd-001', command: 'resume' });
  });

  it('release does not fail when the lock file was removed by hand', async () => {
    const dir = lockDir();
    const lock = acquireFileLock(dir, KEY, { deploymentId: 'd-001', command: 'deploy' });
    unlinkSync(join(dir, lockFileName(KEY)));
    await expect(lock.release()).resolves.toBeUndefined();
  });

  it('a lock file the filesystem cannot create is a StateIo error naming the file and the errno, never a hang', () => {
    const dir = lockDir();
    // 300 characters: longer than any file name the filesystem takes (255), also as root.
    const key = { project: 'p', environment: 'e'.repeat(300) };
    let error: (Error & { code?: string; cause?: unknown }) | undefined;
    try {
      acquireFileLock(dir, key, { deploymentId: 'd-001', command: 'deploy' });
    } catch (e) {
      error = e as Error & { code?: string; cause?: unknown };
    }
    expect(error?.code).toBe('StateIo');
    expect(error?.message).toContain(`cannot create lock file ${join(dir, lockFileName(key))} (ENAMETOOLONG)`);
    expect((error?.cause as { code?: string } | undefined)?.code).toBe('ENAMETOOLONG');
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('the lock holder, read without taking the lock (status on a read-only state dir)', () => {
  const write = (dir: string, holder: Record<string, unknown>) => writeFileSync(join(dir, lockFileName(KEY)), JSON.stringify({ host: hostname(), deploymentId: 'd-000', command: 'deploy', ...holder }));
  /** When this test process started: a lock taken before it cannot be held by it (its pid was reused). */
  const startedAt = Date.now() - process.uptime() * 1000;

  it('is nobody when there is no lock file', () => {
    expect(readLiveHolder(lockDir(), KEY)).toBeUndefined();
  });

  it('is the holder while its process runs, and nobody once it is gone', () => {
    const dir = lockDir();
    write(dir, { pid: process.pid, since: new Date().toISOString() });
    expect(readLiveHolder(dir, KEY)).toMatchObject({ pid: process.pid, deploymentId: 'd-000' });
    write(dir, { pid: DEAD_PID, since: new Date().toISOString() });
    expect(readLiveHolder(dir, KEY)).toBeUndefined();
  });

  it.skipIf(!existsSync('/proc/self/stat'))('is nobody when its pid now belongs to a process that started after the lock was taken (pid reused after kill -9)', () => {
    const dir = lockDir();
    write(dir, { pid: process.pid, since: new Date(startedAt - 60_000).toISOString() });
    expect(readLiveHolder(dir, KEY)).toBeUndefined();
    // … and a deploy takes such a lock over.
    expect(acquireFileLock(dir, KEY, { deploymentId: 'd-001', command: 'deploy' }).holder.deploymentId).toBe('d-001');
  });

  it('is the holder while its pid belongs to another user (kill answers EPERM: the process exists), and nobody when kill answers ESRCH', () => {
    const dir = lockDir();
    write(dir, { pid: DEAD_PID, since: new Date().toISOString() });
    killAnswers(DEAD_PID, 'EPERM');
    expect(readLiveHolder(dir, KEY)).toMatchObject({ pid: DEAD_PID });
    expect(() => acquireFileLock(dir, KEY, { deploymentId: 'd-001', command: 'deploy' })).toThrow(expect.objectContaining({ code: 'LockHeld' }));
    vi.restoreAllMocks();
    killAnswers(DEAD_PID, 'ESRCH');
    expect(readLiveHolder(dir, KEY)).toBeUndefined();
  });

  it('is the holder while its pid runs even when its start time cannot be read (no /proc entry, as on macOS)', () => {
    const dir = lockDir();
    // kill(pid, 0) succeeds, but /proc has no such pid: the start time is unknown, so the pid is trusted.
    killAnswers(DEAD_PID, 'alive');
    expect(existsSync(`/proc/${DEAD_PID}`)).toBe(false);
    write(dir, { pid: DEAD_PID, since: new Date().toISOString() });
    expect(readLiveHolder(dir, KEY)).toMatchObject({ pid: DEAD_PID });
    expect(() => acquireFileLock(dir, KEY, { deploymentId: 'd-001', command: 'deploy' })).toThrow(expect.objectContaining({ code: 'LockHeld' }));
  });

  it.skipIf(!existsSync('/proc/self/stat'))('allows 2 s between the holder process starting and the lock being taken, and not a tick more', () => {
    const dir = lockDir();
    // btime may step by a second when the wall clock is adjusted: retry until the start time is read the same around the check.
    for (let attempt = 0; ; attempt++) {
      const started = startedMs(process.pid);
      write(dir, { pid: process.pid, since: new Date(started - 2_000).toISOString() });
      const atLimit = readLiveHolder(dir, KEY);
      write(dir, { pid: process.pid, since: new Date(started - 2_010).toISOString() });
      const beyond = readLiveHolder(dir, KEY);
      write(dir, { pid: process.pid, since: new Date(started).toISOString() });
      const atStart = readLiveHolder(dir, KEY);
      if (startedMs(process.pid) !== started && attempt < 3) continue;
      expect(atLimit).toMatchObject({ pid: process.pid });
      expect(beyond).toBeUndefined();
      expect(atStart).toMatchObject({ pid: process.pid });
      break;
    }
  });

  it.skipIf(!existsSync('/proc/self/stat'))('is the holder it was when the wall clock is stepped forward after the lock was taken (a VM resumed from a snapshot, NTP), and nobody once its pid is another process or the machine rebooted', () => {
    const dir = lockDir();
    acquireFileLock(dir, KEY, { deploymentId: 'd-001', command: 'deploy' });
    const path = join(dir, lockFileName(KEY));
    const taken = holderOf(path);
    // The lock records who took it in terms no clock adjustment changes: its start in ticks since boot, and the boot.
    expect(taken.startTicks).toBe(Number((readFileSync('/proc/self/stat', 'utf8').split(') ').at(-1) ?? '').split(' ')[19]));
    expect(taken.bootId).toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
    // A step of 10 minutes forward: btime moves with it, so this process' start computed in wall-clock terms is
    // 10 minutes after the time the lock says it was taken (as if the lock had been taken 10 minutes earlier).
    const stepped = { ...taken, since: new Date(Date.parse(String(taken.since)) - 600_000).toISOString() };
    writeFileSync(path, JSON.stringify(stepped));
    expect(readLiveHolder(dir, KEY)).toMatchObject({ pid: process.pid, deploymentId: 'd-001' });
    expect(() => acquireFileLock(dir, KEY, { deploymentId: 'd-002', command: 'deploy' })).toThrow(expect.objectContaining({ code: 'LockHeld' }));
    // The same pid started at another tick is a later process given it (kill -9, then reused): it holds nothing.
    writeFileSync(path, JSON.stringify({ ...taken, startTicks: Number(taken.startTicks) - 1 }));
    expect(readLiveHolder(dir, KEY)).toBeUndefined();
    writeFileSync(path, JSON.stringify({ ...taken, bootId: 'a-boot-before-this-one' }));
    expect(readLiveHolder(dir, KEY)).toBeUndefined();
    expect(acquireFileLock(dir, KEY, { deploymentId: 'd-002', command: 'deploy' }).holder.deploymentId).toBe('d-002');
  });

  it('is the holder when it runs on another host (its process cannot be checked from here)', () => {
    const dir = lockDir();
    write(dir, { pid: DEAD_PID, host: `not-${hostname()}`, since: new Date().toISOString() });
    expect(readLiveHolder(dir, KEY)).toMatchObject({ host: `not-${hostname()}` });
  });

  it('is nobody when the lock file was damaged by hand', () => {
    const dir = lockDir();
    writeFileSync(join(dir, lockFileName(KEY)), '{not json');
    expect(readLiveHolder(dir, KEY)).toBeUndefined();
  });

  it('is the holder in the same folder moved elsewhere (same inode), and nobody in a copy of it', () => {
    const parent = lockDir();
    const dir = join(parent, 'locks');
    const lock = acquireFileLock(dir, KEY, { deploymentId: 'd-001', command: 'deploy' });
    const moved = join(parent, 'moved');
    renameSync(dir, moved);
    expect(readLiveHolder(moved, KEY)).toMatchObject({ deploymentId: 'd-001' });
    const copy = join(parent, 'copy');
    cpSync(moved, copy, { recursive: true });
    expect(readLiveHolder(copy, KEY)).toBeUndefined();
    expect(copiedLockNote(copy, KEY)).toContain(`copied from ${join(realpathSync(parent), 'locks')} while pid ${process.pid}`);
    expect(copiedLockNote(moved, KEY)).toBeUndefined();
    expect(lock.holder.dir?.path).toBe(join(realpathSync(parent), 'locks'));
  });

  it('on another host, a lock whose folder has another inode but the same path is the same share (device numbers differ between hosts)', () => {
    const dir = lockDir();
    const here = { path: realpathSync(dir), dev: statSync(dir).dev, ino: statSync(dir).ino };
    const write = (place: Record<string, unknown>) =>
      writeFileSync(join(dir, lockFileName(KEY)), JSON.stringify({ pid: DEAD_PID, host: `not-${hostname()}`, deploymentId: 'd-000', command: 'deploy', since: new Date().toISOString(), dir: place }));
    write({ ...here, dev: here.dev + 1 });
    expect(readLiveHolder(dir, KEY)).toMatchObject({ pid: DEAD_PID });
    write({ ...here, dev: here.dev + 1, ino: here.ino + 1 });
    expect(readLiveHolder(dir, KEY)).toMatchObject({ pid: DEAD_PID });
    write({ path: '/elsewhere/locks', dev: here.dev + 1, ino: here.ino + 1 });
    expect(readLiveHolder(dir, KEY)).toBeUndefined();
    expect(copiedLockNote(dir, KEY)).toContain('copied from /elsewhere/locks');
  });
});
