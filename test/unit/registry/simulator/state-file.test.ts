/** The sandbox registry's file: damaged content is refused with the fix, never a TypeError. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readState } from '../../../../src/registry/simulator/state-file.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function stateFile(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-sim-state-'));
  dirs.push(dir);
  const file = join(dir, 'meta.json');
  writeFileSync(file, content);
  return file;
}

describe('readState', () => {
  it.each(['null', '42', '"x"', '[]', '{"version":1,"clusters":[null]}', '{"version":1,"clusters":[{}]}'])('refuses %s with StateCorrupt and the fix', (content) => {
    const file = stateFile(content);
    expect(() => readState(file)).toThrow(expect.objectContaining({ code: 'StateCorrupt', message: expect.stringContaining(`${file} has`) }));
    expect(() => readState(file)).toThrow(/delete it to start with an empty registry/);
  });

  // In words with the fix, not Node's "EISDIR: illegal operation on a directory, read".
  it.each([
    ['a folder in its place', (file: string) => (rmSync(file), mkdirSync(file)), 'it is a folder, not a file'],
    ['a file where its folder should be', (file: string) => `${file}/meta.json`, 'a folder on its path is a file'],
  ])('refuses %s with what is wrong and the fix', (_name, damage, says) => {
    const file = stateFile('{"version":1,"clusters":[]}');
    const read = damage(file) ?? file;
    expect(() => readState(read)).toThrow(`cannot read registry simulator state ${read} (${says}); move what is in its place out of the state dir to start with an empty registry`);
    expect(() => readState(read)).not.toThrow(/EISDIR|ENOTDIR|illegal operation/);
  });

  it('reads a sound file', () => {
    expect(readState(stateFile('{"version":1,"clusters":[]}')).clusters).toEqual([]);
  });
});
