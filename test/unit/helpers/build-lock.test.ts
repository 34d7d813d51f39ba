/**
 * The test run's build lock (test/helpers/build-lock.mjs): runs that start together build one at a
 * time, and a lock left by a killed run does not stop the next one.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const lockModule = resolve(import.meta.dirname, '../../helpers/build-lock.mjs');
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A child that takes the lock, holds it `holdMs`, and logs when it entered and left. */
function holder(lock: string, log: string, holdMs: number): Promise<number> {
  const script = `
    import { appendFileSync, rmSync } from 'node:fs';
    const { takeLock } = await import(${JSON.stringify(lockModule)});
    takeLock(${JSON.stringify(lock)});
    appendFileSync(${JSON.stringify(log)}, 'in ' + process.pid + '\\n');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${holdMs});
    appendFileSync(${JSON.stringify(log)}, 'out ' + process.pid + '\\n');
    rmSync(${JSON.stringify(lock)}, { recursive: true, force: true });
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
  return new Promise((done) => child.on('exit', (code) => done(code ?? -1)));
}

describe('build lock', () => {
  it('lets one run build at a time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wsd-build-lock-'));
    dirs.push(dir);
    const log = join(dir, 'log');
    writeFileSync(log, '');
    const codes = await Promise.all([0, 1, 2].map(() => holder(join(dir, 'lock'), log, 300)));
    expect(codes).toEqual([0, 0, 0]);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    // Entered and left in pairs: nobody entered while another held the lock.
    expect(lines).toHaveLength(6);
    for (let i = 0; i < 6; i += 2) {
      expect(lines[i]).toMatch(/^in /);
      expect(lines[i + 1]).toBe(String(lines[i]).replace('in', 'out'));
    }
  }, 60_000);

  it("takes over a lock whose holder is gone", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wsd-build-lock-'));
    dirs.push(dir);
    const lock = join(dir, 'lock');
    mkdirSync(lock);
    // A pid that is surely not running: a child that has exited.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(join(lock, 'pid'), gone);
    const log = join(dir, 'log');
    writeFileSync(log, '');
    expect(await holder(lock, log, 0)).toBe(0);
    expect(readFileSync(log, 'utf8')).toMatch(/^in \d+\nout \d+\n$/);
  }, 60_000);
});
