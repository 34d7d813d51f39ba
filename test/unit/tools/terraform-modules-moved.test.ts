/**
 * A Terraform working dir copied with its state dir names its module folders by the original's absolute
 * paths (`.terraform/modules/modules.json`); before `init` they are moved onto the copy's own folders.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { rebaseMovedModules } from '../../../src/tools/terraform/moved-modules.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function workDir(modules: Array<{ Key: string; Source: string; Dir: string }>, installed: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-tf-modules-'));
  dirs.push(dir);
  mkdirSync(join(dir, '.terraform', 'modules'), { recursive: true });
  for (const key of installed) mkdirSync(join(dir, '.terraform', 'modules', key));
  writeFileSync(join(dir, '.terraform', 'modules', 'modules.json'), JSON.stringify({ Modules: modules }));
  return dir;
}
const read = (dir: string) => (JSON.parse(readFileSync(join(dir, '.terraform', 'modules', 'modules.json'), 'utf8')) as { Modules: Array<{ Key: string; Dir: string }> }).Modules;

describe('rebaseMovedModules', () => {
  it("moves the original's module folders onto the copy's own, and leaves out one the copy lacks", () => {
    const root = { Key: '', Source: '', Dir: '.' };
    const ops = { Key: 'ops', Source: '/ops-repo/modules/net', Dir: '/ops-repo/modules/net' };
    const dir = workDir(
      [root, { Key: 'cluster', Source: 'file:///repo/terraform/modules/c', Dir: '/orig/d-1/c/terraform/.terraform/modules/cluster' }, { Key: 'gone', Source: 'registry', Dir: '/orig/d-1/c/terraform/.terraform/modules/gone' }, ops],
      ['cluster'],
    );
    expect(rebaseMovedModules(dir)).toBe(2);
    expect(read(dir)).toEqual([root, { Key: 'cluster', Source: 'file:///repo/terraform/modules/c', Dir: join(dir, '.terraform', 'modules', 'cluster') }, ops]);
  });

  it('changes nothing in a working dir initialised where it is, or not initialised', () => {
    const here = workDir([], ['cluster']);
    const modules = [{ Key: 'cluster', Source: 'file:///m', Dir: join(here, '.terraform', 'modules', 'cluster') }];
    writeFileSync(join(here, '.terraform', 'modules', 'modules.json'), JSON.stringify({ Modules: modules }));
    expect(rebaseMovedModules(here)).toBe(0);
    expect(read(here)).toEqual(modules);
    expect(rebaseMovedModules(join(here, 'nowhere'))).toBe(0);
  });
});
