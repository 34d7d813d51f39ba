/**
 * A journal append on a disk that fills up mid-write: the kernel takes what fits in the journal's last block and
 * then says ENOSPC, leaving part of a line at the journal's end. Found with a sandbox deploy on a small tmpfs (the
 * journal ended `…"error":{"code":"Sta`). The next append that succeeded once space was freed (terraform removes
 * its plan file after an apply) went on that same line: the append resolved as durable, and every reader then
 * dropped the line as one a crash cut, that record with it (or, with more records after it, refused the journal
 * as damaged mid-file). Now a failed append takes its part-line back, and the error says to resume.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireFileLock } from '../../../src/state/file-lock.js';
import { fillDisk, tinyTmpfs } from '../../helpers/full-disk.js';
import { requireBinary, requireCapability } from '../../helpers/require-binary.js';

const FIXTURE = join(import.meta.dirname, '..', '..', 'fixtures', 'faults', 'journal-full-disk.mjs');
const probe = tinyTmpfs('64k');
probe?.unmount();
const canMount = requireCapability(probe !== undefined, 'mount a tmpfs', 'the full-disk journal test needs root with CAP_SYS_ADMIN');
const hasStrace = requireBinary('strace', 'a failing ftruncate is injected with strace');

interface Outcome {
  long: string;
  next: string;
  reopened: string;
  reopenedSeq?: number;
}

const disks: Array<{ unmount(): void }> = [];
afterEach(() => disks.splice(0).forEach((d) => d.unmount()));

function run(prefix: string[] = []): Outcome {
  const disk = tinyTmpfs('64k')!;
  disks.push(disk);
  const [state, filler] = [join(disk.dir, 'state'), join(disk.dir, 'filler')];
  mkdirSync(state);
  mkdirSync(filler);
  const argv = [...prefix, process.execPath, FIXTURE, state, filler];
  const out = execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'ignore'] });
  return JSON.parse(out) as Outcome;
}

describe.skipIf(!canMount)('a journal append the full disk cut', () => {
  it('takes the part-line back: the next append, once there is room, is a record every reader keeps', () => {
    const outcome = run();
    expect(outcome.long).toMatch(/^StateIo: cannot append to .*journal\.ndjson \(ENOSPC\): the disk holding the state dir is full; free space, then continue the deployment with `ws-deployment resume d-001`$/);
    expect(outcome).toMatchObject({ next: 'ok', reopened: 'ok', reopenedSeq: 3 });
  });

  it.skipIf(!hasStrace)('when the part-line cannot be taken back (ftruncate fails), nothing more is written after it', () => {
    // The state dir's probe truncates once when the store is created (it must work); the cut's is the next one.
    const outcome = run(['strace', '-f', '-qq', '-o', '/dev/null', '-e', 'trace=ftruncate', '-e', 'inject=ftruncate:error=EIO:when=2+']);
    expect(outcome.long).toMatch(/\(ENOSPC\): the disk holding the state dir is full; free space, then continue/);
    // The same error again: the record is not put after the part-line, where a reader would drop it.
    expect(outcome.next).toBe(outcome.long);
    // A reader drops the part-line at the end as a crash's, and finds every record that was said durable.
    expect(outcome).toMatchObject({ reopened: 'ok', reopenedSeq: 1 });
  });

  // Seen as the sandbox registry's lock in a shift on a full disk: it said "the state dir is not writable: pass
  // --state-dir DIR", and each attempt left its empty temp file behind.
  it('a lock that cannot be written on the full disk says so, and leaves no temp file', () => {
    const disk = tinyTmpfs('64k')!;
    disks.push(disk);
    const locks = join(disk.dir, 'locks');
    mkdirSync(locks);
    fillDisk(disk.dir);
    const take = () => acquireFileLock(locks, { project: 'p', environment: 'development' }, { deploymentId: 'd-001', command: 'deploy' });
    expect(take).toThrow(/cannot create lock file .* \(ENOSPC\); the disk holding the state dir is full: free space, then run again$/);
    expect(readdirSync(locks)).toEqual([]);
  });
});
