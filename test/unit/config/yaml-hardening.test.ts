import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, configDir, edit, problems, valid, withModule, type ConfigDir } from './helpers.js';

let ctx: ConfigDir;
beforeAll(async () => {
  ctx = await configDir();
});
afterAll(() => ctx.cleanup());

const check = (text: string) => problems(text, ctx.file);

describe('config yaml reading and hardening', () => {
  it('reports yaml syntax errors positioned, without a stack', () => {
    const lines = check(edit(BASE, 'dnsZone: gitpod.io', 'dnsZone: [gitpod.io'));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]).toMatch(/^\d+:\d+: \(yaml\): yaml /);
    expect(lines.join('\n')).not.toMatch(/\n\s+at /);
  });

  it('refuses duplicate keys', () => {
    expect(check(edit(BASE, '  bucket: gitpod', '  network: other\n  bucket: gitpod'))).toEqual(['7:3: (yaml): yaml map keys must be unique']);
  });

  it('refuses more than one document', () => {
    expect(check(`${BASE}---\nversion: v1\n`)).toEqual(['15:1: (yaml): a config holds exactly one yaml document; remove the extra "---" document']);
  });

  it('refuses an empty document and a non-mapping', () => {
    expect(check('# nothing here\n')).toEqual(['1:1: (root): config is empty; start with "version: v1"']);
    expect(check('- v1\n')).toEqual(['1:1: (root): expected a mapping, got a list']);
  });

  it('refuses files over 1 MiB', () => {
    const big = `${BASE}# ${'x'.repeat(1024 * 1024)}\n`;
    expect(check(big)).toEqual([`1:1: (yaml): config is ${Buffer.byteLength(withModule(big))} bytes; the limit is 1048576 bytes (1 MiB)`]);
  });

  // The timeout is the hang guard for the hostile depth below, with room for a loaded CI machine (7 s alone; 72 s
  // was seen with many test files at once, against vitest's 60 s).
  it('refuses nesting deeper than 64 levels, in flow and block style', { timeout: 240_000 }, () => {
    expect(check(`${BASE}x: ${'['.repeat(65)}${']'.repeat(65)}\n`)).toEqual(['15:67: (yaml): nesting deeper than 64 levels is not allowed']);
    const block = Array.from({ length: 70 }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n');
    expect(check(block)).toEqual(['65:129: (yaml): nesting deeper than 64 levels is not allowed']);
    // A hostile depth is refused without a stack overflow (100 000 levels: ten times what recursion survives);
    // the test's timeout is the hang guard (a wall-clock bound here failed under a loaded machine without any defect).
    expect(check(`a: ${'['.repeat(100_000)}`)).toHaveLength(1);
  });

  it('refuses nesting that aliases push past the limit', () => {
    const deep = `${'['.repeat(40)}1${']'.repeat(40)}`;
    expect(check(`a: &d ${deep}\nb: ${'['.repeat(30)}*d${']'.repeat(30)}\n`)).toEqual([
      '2:34: (yaml): alias *d nests the document deeper than 64 levels',
    ]);
  });

  it('refuses a billion-laughs document quickly', () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    // A hang guard, not a speed target: expanded, this document is 10^9 nodes.
    const started = Date.now();
    const result = check(`${lines.join('\n')}\n`);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(result).toHaveLength(1);
    expect(result[0]).toMatch(/^\d+:\d+: \(yaml\): (yaml excessive alias count|aliases expand the document)/);
  });

  it('refuses unknown and self-referencing aliases', () => {
    expect(check('a: *nope\n')).toEqual(['1:4: (yaml): unknown alias *nope: no anchor &nope comes before it']);
    expect(check('a: &x [1, *x]\n')).toEqual(['1:11: (yaml): alias *x refers to a node that contains it; recursive structures are not allowed']);
  });

  it('refuses keys that are mappings, lists or aliases, positioned and without a process warning', () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      expect(check('version: v1\n? {region: europe-west1}\n: x\n')).toEqual([
        '2:3: (yaml): a key must be a plain word, not a mapping, list or alias; write the key as text',
      ]);
      expect(check('a: &k key\n*k : x\n')).toEqual(['2:1: (yaml): a key must be a plain word, not a mapping, list or alias; write the key as text']);
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  });

  it('accepts ordinary anchors and aliases', () => {
    const text =
      edit(BASE, '  - region: europe-west1\n    prefix', '  - region: &r europe-west1\n    prefix') +
      '  - region: *r\n    prefix: ab\n    governedBy: prod-meta-eu01\n';
    expect(valid(text, ctx.file).config.workspaceClusters.map((c) => c.region)).toEqual(['europe-west1', 'europe-west1']);
  });

  it('never lets yaml tags through as other types', () => {
    expect(check(edit(BASE, 'network: gitpod-prod', 'network: !!binary aGVsbG8='))).toEqual([
      '5:21: project.network: expected a string, got binary data',
    ]);
    expect(check(edit(BASE, 'network: gitpod-prod', 'network: !custom gitpod-prod'))).toEqual(['5:12: (yaml): yaml unresolved tag: !custom']);
  });
});

describe('config yaml: tabs, BOM and CRLF', () => {
  it('a tab used to indent is reported once per line, with the fix, and without the cascade it sets off', () => {
    const text = edit(edit(BASE, '  id: gitpod-191109', '\tid: gitpod-191109'), '    prefix: eu', '\t  prefix: eu');
    expect(check(text)).toEqual([
      '4:1: (yaml): a tab indents this line; yaml indents with spaces only: replace the tab with spaces',
      '13:1: (yaml): a tab indents this line; yaml indents with spaces only: replace the tab with spaces',
    ]);
  });

  it('a tab inside a value or after a key is not indentation and is fine', () => {
    expect(valid(edit(BASE, 'network: gitpod-prod', 'network:\tgitpod-prod'), ctx.file).config.project.network).toBe('gitpod-prod');
  });

  it('a UTF-8 BOM and CRLF line ends read like the plain file, with the same positions', () => {
    expect(valid(`\ufeff${BASE}`, ctx.file).config.environment).toBe('production');
    expect(valid(BASE.replaceAll('\n', '\r\n'), ctx.file).config.environment).toBe('production');
    expect(check(`\ufeff${edit(BASE, 'environment: production', 'environment: prod')}`.replaceAll('\n', '\r\n'))).toEqual([
      '2:14: environment: the string "prod" is not allowed; use one of: production, staging, development',
    ]);
  });
});
