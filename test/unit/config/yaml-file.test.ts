import { execFileSync } from 'node:child_process';
/**
 * The reader of referenced YAML files: parsed once per process per content
 * (validation and the install steps share it), copies handed out, positioned
 * errors for the steps that read the files after validation.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readValuesFile } from '../../../src/config/files/values-file.js';
import { readVersionsManifest } from '../../../src/config/files/versions-manifest.js';
import { readYamlFile, type YamlFileKind } from '../../../src/config/files/yaml-file.js';

const dir = mkdtempSync(path.join(tmpdir(), 'wsd-yaml-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const absolute = path.join(dir, name);
  writeFileSync(absolute, text);
  return absolute;
};

function countingKind(): YamlFileKind<unknown> & { calls: number } {
  const kind = {
    subject: 'test file',
    calls: 0,
    interpret({ value }: { value: unknown }) {
      kind.calls++;
      return { ok: true as const, value };
    },
  };
  return kind;
}

describe('readYamlFile', () => {
  it('interprets a file once per content, and again when it changes', () => {
    const kind = countingKind();
    const f = file('once.yaml', 'a: 1\n');
    expect(readYamlFile(f, kind)).toEqual({ ok: true, value: { a: 1 } });
    expect(readYamlFile(f, kind)).toEqual({ ok: true, value: { a: 1 } });
    expect(kind.calls).toBe(1);
    writeFileSync(f, 'a: 2\n');
    expect(readYamlFile(f, kind)).toEqual({ ok: true, value: { a: 2 } });
    expect(kind.calls).toBe(2);
  });

  it('never serves a remembered text once the file changed: same-size rewrite, replace by rename, removal', () => {
    const kind = countingKind();
    const f = file('remembered.yaml', 'a: 1\n');
    expect(readYamlFile(f, kind)).toEqual({ ok: true, value: { a: 1 } });
    // Same length, same second: only ctime (and the content) tells.
    writeFileSync(f, 'a: 3\n');
    expect(readYamlFile(f, kind)).toEqual({ ok: true, value: { a: 3 } });
    // An atomic replace (write a temp file, rename over) gives the path a new inode.
    const replacement = file('remembered.yaml.tmp', 'a: 4\n');
    renameSync(replacement, f);
    expect(readYamlFile(f, kind)).toEqual({ ok: true, value: { a: 4 } });
    rmSync(f);
    expect(readYamlFile(f, kind)).toEqual({ ok: false, problems: [{ kind: 'file', line: 0, col: 0, message: 'does not exist' }] });
    writeFileSync(f, 'a: 5\n');
    expect(readYamlFile(f, kind)).toEqual({ ok: true, value: { a: 5 } });
  });

  it('hands out copies: a caller changing its values does not change the next reader’s', () => {
    const kind = countingKind();
    const f = file('copy.yaml', 'a: { b: 1 }\n');
    const first = readYamlFile(f, kind);
    if (!first.ok) throw new Error('expected ok');
    (first.value as { a: { b: number } }).a.b = 99;
    expect(readYamlFile(f, kind)).toEqual({ ok: true, value: { a: { b: 1 } } });
  });

  it('refuses a folder and a file that is not utf-8 as whole-file problems', () => {
    const kind = countingKind();
    expect(readYamlFile(dir, kind)).toEqual({ ok: false, problems: [{ kind: 'file', line: 0, col: 0, message: 'is not a regular file' }] });
    const latin1 = path.join(dir, 'latin1.yaml');
    writeFileSync(latin1, Buffer.from('a: caf\xe9\n', 'latin1'));
    expect(readYamlFile(latin1, kind)).toEqual({ ok: false, problems: [{ kind: 'file', line: 0, col: 0, message: 'is not valid utf-8; save it as utf-8 text' }] });
    expect(kind.calls).toBe(0);
  });

  it('refuses a FIFO without waiting for a writer', () => {
    const fifo = path.join(dir, 'values.fifo');
    execFileSync('mkfifo', [fifo]);
    expect(readYamlFile(fifo, countingKind())).toEqual({ ok: false, problems: [{ kind: 'file', line: 0, col: 0, message: 'is not a regular file' }] });
  });

  it('keeps the hardened limits and names the file kind in their messages', () => {
    const f = file('two-docs.yaml', 'a: 1\n---\nb: 2\n');
    expect(readYamlFile(f, countingKind())).toEqual({
      ok: false,
      problems: [{ kind: 'yaml', line: 2, col: 1, message: 'a test file holds exactly one yaml document; remove the extra "---" document' }],
    });
  });
});

describe('the readers the install steps use', () => {
  it('readValuesFile: empty is no values, a broken file names its position', () => {
    expect(readValuesFile(file('empty.yaml', ''))).toEqual({});
    const broken = file('broken.yaml', 'a: 1\nfoo: [unclosed\n');
    expect(() => readValuesFile(broken)).toThrow(`values file ${broken} is not valid YAML: ${broken}:3:1: yaml flow sequence`);
    const list = file('list.yaml', '- a\n');
    expect(() => readValuesFile(list)).toThrow(`values file ${list}:1:1: holds a list at the top level; a values file is a mapping (key: value) or empty; fix the file`);
    const missing = path.join(dir, 'nope.yaml');
    expect(() => readValuesFile(missing)).toThrow(`values file ${missing} does not exist; fix the path in the config`);
  });

  it('readVersionsManifest: the pins, or the first problem positioned', () => {
    expect(readVersionsManifest(file('v.yaml', 'version: "1.0"\ncomponents: { server: 2.0.0 }\n'))).toEqual({ version: '1.0', components: { server: '2.0.0' } });
    const empty = file('v-empty.yaml', '');
    expect(() => readVersionsManifest(empty)).toThrow(`versions manifest ${empty}:1:1: is empty; a versions manifest is a mapping with "version" and/or "components"`);
  });
});
