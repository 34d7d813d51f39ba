import { execFileSync, spawn } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeOutputFile } from '../../../src/core/output-file.js';

describe('writeOutputFile (report --output)', () => {
  const dirs: string[] = [];
  const scratch = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'wsd-output-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('replaces a regular file whole and leaves no temp file', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'r.html'), 'old');
    writeOutputFile(join(dir, 'r.html'), 'new');
    expect(readFileSync(join(dir, 'r.html'), 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['r.html']);
  });

  it('writes into a named pipe (like /dev/null or /dev/stdout) instead of replacing it with a file', async () => {
    const dir = scratch();
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const reader = spawn('cat', [fifo]);
    let read = '';
    reader.stdout.on('data', (chunk: Buffer) => (read += chunk.toString()));
    const closed = new Promise((done) => reader.on('close', done));
    writeOutputFile(fifo, '<html>report</html>');
    await closed;
    expect(read).toBe('<html>report</html>');
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('follows a symlink to its file and keeps the link, also when the file does not exist yet', () => {
    const dir = scratch();
    mkdirSync(join(dir, 'site'));
    writeFileSync(join(dir, 'site', 'a.html'), 'old');
    symlinkSync(join(dir, 'site', 'a.html'), join(dir, 'a-link'));
    symlinkSync('site/b.html', join(dir, 'b-link'));
    writeOutputFile(join(dir, 'a-link'), 'A');
    writeOutputFile(join(dir, 'b-link'), 'B');
    expect(lstatSync(join(dir, 'a-link')).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(dir, 'b-link')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'site', 'a.html'), 'utf8')).toBe('A');
    expect(readFileSync(join(dir, 'site', 'b.html'), 'utf8')).toBe('B');
  });

  it('refuses a folder with a message naming a file to write instead', () => {
    const dir = scratch();
    expect(() => writeOutputFile(dir, 'x')).toThrow(/is a folder; name a file to write, e.g. .*\/report\.html/);
  });
});
