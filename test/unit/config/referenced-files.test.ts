/**
 * YAML files the config references (values files, the versions manifest) must
 * parse: each problem is reported at the referencing key AND inside the file,
 * all of them in one run, through the same loader validate/plan/deploy use.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../../../src/config/issues.js';
import { loadConfig, parseConfig } from '../../../src/config/load.js';
import { BASE, configDir, problems, valid, withModule, type ConfigDir } from './helpers.js';

let ctx: ConfigDir;
beforeAll(async () => {
  ctx = await configDir();
  const write = (name: string, text: string) => writeFileSync(path.join(ctx.dir, name), text);
  write('values/broken.yaml', 'a: 1\nb: 2\nfoo: [unclosed\n');
  write('values/list.yaml', '# a list, not a mapping\n- a\n- b\n');
  write('values/scalar.yaml', 'just text\n');
  write('values/empty.yaml', '');
  write('values/comments.yaml', '# nothing set yet\n');
  write('values/dup.yaml', 'a: 1\na: 2\n');
  write('versions.yaml', 'version: 2022.11.0\ncomponents:\n  server: { version: 1.2.3 }\n  proxy: 1.0.0\n');
  write('versions-broken.yaml', 'version: [unclosed\n');
  write('versions-shape.yaml', 'components:\n  server: 5\n  proxy: { image: x }\n');
  write('versions-nothing.yaml', 'other: 1\n');
});
afterAll(() => ctx.cleanup());

const check = (text: string) => problems(text, ctx.file);
const abs = (name: string) => path.join(ctx.dir, name);

/** BASE (14 lines) plus a gitpod section from line 15; `cluster` adds valuesFiles to the workspace cluster (line 15, pushing gitpod down). */
function config(gitpod: { valuesFiles?: string; versionsManifest?: string; cluster?: string; jaeger?: string; monitoring?: string }): string {
  let text = BASE;
  if (gitpod.cluster) text += `    valuesFiles: ${gitpod.cluster}\n`;
  text += 'gitpod:\n  chart: { repository: https://charts.gitpod.io, name: gitpod, version: 2022.11.0 }\n';
  text += `  versionsManifest: ${gitpod.versionsManifest ?? './versions.yaml'}\n`;
  if (gitpod.valuesFiles) text += `  valuesFiles: ${gitpod.valuesFiles}\n`;
  if (gitpod.jaeger) text += `jaeger:\n  valuesFiles: ${gitpod.jaeger}\n`;
  if (gitpod.monitoring) text += `monitoring:\n  chart: { repository: https://charts.gitpod.io, name: monitoring-satellite, version: 0.1.0 }\n  valuesFiles: ${gitpod.monitoring}\n`;
  return text;
}

describe('referenced values files', () => {
  it('positions a broken values file at its list item and inside the file', () => {
    expect(check(config({ valuesFiles: '[./values/eu.yaml, ./values/broken.yaml]' }))).toEqual([
      `18:35: gitpod.valuesFiles[1]: ${abs('values/broken.yaml')}:4:1: yaml flow sequence in block collection must be sufficiently indented and end with a ]; fix the file or remove it from the list`,
    ]);
  });

  it('reports every broken file at once: global per release, per cluster and the versions manifest', () => {
    const text = config({
      cluster: '[./values/list.yaml]',
      versionsManifest: './versions-broken.yaml',
      valuesFiles: '[./values/dup.yaml]',
      jaeger: '[./values/scalar.yaml]',
      monitoring: '[./values/broken.yaml]',
    });
    expect(check(text)).toEqual([
      `15:19: workspaceClusters[0].valuesFiles[0]: ${abs('values/list.yaml')}:2:1: holds a list at the top level; a values file is a mapping (key: value) or empty; fix the file or remove it from the list`,
      `18:21: gitpod.versionsManifest: ${abs('versions-broken.yaml')}:2:1: yaml flow sequence in block collection must be sufficiently indented and end with a ]; fix the file or point gitpod.versionsManifest at another one`,
      `19:17: gitpod.valuesFiles[0]: ${abs('values/dup.yaml')}:2:1: yaml map keys must be unique; fix the file or remove it from the list`,
      `21:17: jaeger.valuesFiles[0]: ${abs('values/scalar.yaml')}:1:1: holds the string "just text" at the top level; a values file is a mapping (key: value) or empty; fix the file or remove it from the list`,
      `24:17: monitoring.valuesFiles[0]: ${abs('values/broken.yaml')}:4:1: yaml flow sequence in block collection must be sufficiently indented and end with a ]; fix the file or remove it from the list`,
    ]);
  });

  it('accepts empty and comment-only values files (helm reads them as no values)', () => {
    const { config: parsed } = valid(config({ valuesFiles: '[./values/empty.yaml, ./values/comments.yaml, ./values/eu.yaml]' }), ctx.file);
    expect(parsed.gitpod?.valuesFiles).toEqual([abs('values/empty.yaml'), abs('values/comments.yaml'), abs('values/eu.yaml')]);
  });

  it('reports a missing file once, as missing, not also as unparsable', () => {
    expect(check(config({ valuesFiles: '[./values/nope.yaml]' }))).toEqual([
      `18:17: gitpod.valuesFiles[0]: values file "./values/nope.yaml" does not exist (resolved to ${abs('values/nope.yaml')}); create it or fix the path`,
    ]);
  });

  it('refuses an oversize values file without reading it whole', () => {
    writeFileSync(abs('values/big.yaml'), Buffer.alloc(1024 * 1024 + 1, 0x23));
    expect(check(config({ valuesFiles: '[./values/big.yaml]' }))).toEqual([
      `18:17: gitpod.valuesFiles[0]: values file ${abs('values/big.yaml')} is 1048577 bytes; the limit is 1048576 bytes (1 MiB); fix the file or remove it from the list`,
    ]);
  });

  it('still reports broken files when other parts of the config are invalid', () => {
    const text = config({ valuesFiles: '[./values/list.yaml]' }).replace('environment: production', 'environment: prod');
    const found = check(text);
    expect(found[0]).toMatch(/^2:14: environment:/);
    expect(found[1]).toMatch(/^18:17: gitpod\.valuesFiles\[0\]: .*list\.yaml:2:1: holds a list/);
  });
});

describe('the versions manifest', () => {
  it('positions shape problems inside the manifest', () => {
    expect(check(config({ versionsManifest: './versions-shape.yaml' }))).toEqual([
      `17:21: gitpod.versionsManifest: ${abs('versions-shape.yaml')}:2:11: components.server: expected a version string or a mapping with "version", got number 5; fix the file or point gitpod.versionsManifest at another one`,
      `17:21: gitpod.versionsManifest: ${abs('versions-shape.yaml')}:3:10: components.proxy.version: expected a version string such as "2022.11.0", got nothing; fix the file or point gitpod.versionsManifest at another one`,
    ]);
  });

  it('requires it to pin something', () => {
    expect(check(config({ versionsManifest: './versions-nothing.yaml' }))).toEqual([
      `17:21: gitpod.versionsManifest: ${abs('versions-nothing.yaml')}:1:1: pins nothing; set "version" and/or "components.<name>.version"; fix the file or point gitpod.versionsManifest at another one`,
    ]);
  });

  it('accepts a manifest pinning a version and components', () => {
    expect(valid(config({}), ctx.file).config.gitpod?.versionsManifest).toBe(abs('versions.yaml'));
  });
});

describe('--versions-manifest (LoadOptions.versionsManifest)', () => {
  async function loadError(options: { versionsManifest: string }, text = config({})): Promise<ConfigInvalidError> {
    writeFileSync(ctx.file, withModule(text));
    const error = await loadConfig(ctx.file, options).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigInvalidError);
    return error as ConfigInvalidError;
  }

  it('wins over gitpod.versionsManifest once it parses', async () => {
    writeFileSync(ctx.file, withModule(config({})));
    writeFileSync(abs('versions-other.yaml'), 'version: 2023.1.0\n');
    // Relative to the working directory, like any command-line path.
    const loaded = await loadConfig(ctx.file, { versionsManifest: path.relative(process.cwd(), abs('versions-other.yaml')) });
    expect(loaded.config.gitpod?.versionsManifest).toBe(abs('versions-other.yaml'));
  });

  it('positions a broken manifest inside it, after the config problems', async () => {
    const error = await loadError({ versionsManifest: abs('versions-broken.yaml') }, config({ valuesFiles: '[./values/list.yaml]' }));
    expect(error.message.split('\n')).toEqual([
      `${ctx.file}:18:17: gitpod.valuesFiles[0]: ${abs('values/list.yaml')}:2:1: holds a list at the top level; a values file is a mapping (key: value) or empty; fix the file or remove it from the list`,
      `${abs('versions-broken.yaml')}:2:1: --versions-manifest: yaml flow sequence in block collection must be sufficiently indented and end with a ]; fix the file or pass another --versions-manifest`,
    ]);
  });

  it('names a missing manifest and how to fix it', async () => {
    const error = await loadError({ versionsManifest: abs('nope.yaml') });
    expect(error.message).toBe(`--versions-manifest "${abs('nope.yaml')}" does not exist (resolved to ${abs('nope.yaml')}); create it or fix the path`);
  });

  it('is checked by parseConfig too (the synchronous path)', () => {
    expect(() => parseConfig(config({}), ctx.file, { versionsManifest: abs('versions-nothing.yaml') })).toThrow(
      `${abs('versions-nothing.yaml')}:1:1: --versions-manifest: pins nothing`,
    );
  });
});
