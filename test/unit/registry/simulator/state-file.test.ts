/** The sandbox registry's file: damaged content is refused with the fix, never a TypeError. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

  it('reads a sound file', () => {
    expect(readState(stateFile('{"version":1,"clusters":[]}')).clusters).toEqual([]);
  });
});
