/**
 * A write that fails leaves nothing behind: no temp file next to the target (each one kept its size, filling a
 * full disk further), the target as it was, and the error thrown is the one that made the write fail. The write
 * failure is real: a process under a file size limit (what a full disk gives: a short write, then an error), or an
 * fsync the kernel fails (strace's fault injection: the EIO a failing disk gives).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../../src/core/atomic-write.js';

const FIXTURE = join(import.meta.dirname, '..', '..', 'fixtures', 'faults', 'atomic-write-limited.mjs');
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wsd-atomic-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the compiled writeFileAtomic with a file size limit of `blocks` 512-byte blocks (SIGXFSZ ignored: EFBIG). */
function writeLimited(target: string, bytes: number, blocks: number): { ok: boolean; code?: string } {
  const out = execFileSync('sh', ['-c', `ulimit -f ${blocks} && trap '' XFSZ && exec "$0" "$@"`, process.execPath, FIXTURE, target, String(bytes)], { encoding: 'utf8' });
  return JSON.parse(out) as { ok: boolean; code?: string };
}

/** Runs the compiled writeFileAtomic with the process' first fsync failing with EIO (strace injects it). */
function writeWithFailingFsync(target: string, bytes: number): { ok: boolean; code?: string; injected: boolean } {
  const { stdout, stderr } = spawnSyncChecked('strace', ['-f', '-qq', '-e', 'trace=fsync', '-e', 'inject=fsync:error=EIO:when=1', process.execPath, FIXTURE, target, String(bytes)]);
  return { ...(JSON.parse(stdout) as { ok: boolean; code?: string }), injected: /fsync\(\d+\)\s+= -1 EIO .*\(INJECTED\)/.test(stderr) };
}

function spawnSyncChecked(command: string, args: string[]): { stdout: string; stderr: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} exited ${String(result.status)}: ${result.stderr}`);
  return { stdout: result.stdout, stderr: result.stderr };
}

describe('writeFileAtomic when the write fails', () => {
  it('a full write (short, then EFBIG): throws that error, no temp file, the target unchanged', () => {
    const target = join(dir, 'state.json');
    writeFileSync(target, 'old content\n');
    expect(writeLimited(target, 1024 * 1024, 4)).toEqual({ ok: false, code: 'EFBIG' });
    expect(readdirSync(dir)).toEqual(['state.json']);
    expect(readFileSync(target, 'utf8')).toBe('old content\n');
    // The same process writes what fits under the limit: the failure above is the size, not the setup.
    expect(writeLimited(target, 100, 4)).toEqual({ ok: true });
    expect(readFileSync(target, 'utf8')).toBe('x'.repeat(100));
  });

  it('an fsync that fails (EIO): throws it, no temp file, the target unchanged (the new content never renamed over it)', () => {
    const target = join(dir, 'state.json');
    writeFileSync(target, 'old content\n');
    expect(writeWithFailingFsync(target, 100)).toEqual({ ok: false, code: 'EIO', injected: true });
    expect(readdirSync(dir)).toEqual(['state.json']);
    expect(readFileSync(target, 'utf8')).toBe('old content\n');
  });

  it('a rename that fails (a folder where the file goes): throws that error, no temp file, the folder untouched', () => {
    const target = join(dir, 'report.html');
    mkdirSync(target);
    writeFileSync(join(target, 'inside'), 'kept');
    expect(() => writeFileAtomic(target, 'new')).toThrow(expect.objectContaining({ code: 'EISDIR' }));
    expect(readdirSync(dir)).toEqual(['report.html']);
    expect(readFileSync(join(target, 'inside'), 'utf8')).toBe('kept');
  });
});
