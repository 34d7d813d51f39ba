/**
 * Which helm runs: WSD_HELM, then PATH, then the packaged one; and the flags
 * that differ between helm 3 and 4, checked against the real binaries' own help.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isWsdError } from '../../../src/core/errors.js';
import { PACKAGED_HELM, extractPackagedHelm, resolveHelmBinary } from '../../../src/tools/helm-binary.js';
import { Helm } from '../../../src/tools/helm.js';
import { atomicFlags, lintArgv, templateArgv, upgradeArgv } from '../../../src/tools/helm-argv.js';
import { realHelms } from '../../fixtures/install/real-helm.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'wsd-helm-bin-'));
});
afterEach(() => {
  delete process.env.WSD_HELM;
  rmSync(root, { recursive: true, force: true });
});

describe('packaged helm', () => {
  it('unpacks helm 4.1 and helm 3.18 from the layer packages, executable and cached', () => {
    const [four, three] = realHelms();
    expect(four?.version).toMatch(/^v4\.1\.\d+$/);
    expect(three?.version).toMatch(/^v3\.(1[89]|[2-9]\d)\.\d+$/);
    // A second call reuses the unpacked file.
    expect(extractPackagedHelm(PACKAGED_HELM)).toBe(four?.path);
  });

  it.each([3, 4] as const)('passes only flags helm %i knows to upgrade --install', (major) => {
    const helm = realHelms().find((h) => h.major === major)!;
    const help = execFileSync(helm.path, ['upgrade', '--help'], { encoding: 'utf8', env: { PATH: '', HOME: root } });
    const flags = upgradeArgv({ release: 'r', namespace: 'n', chart: { name: 'c', path: '/c' }, valuesFiles: [], set: {}, timeoutSeconds: 5, description: 'd' }, '/k', major)
      .filter((a) => a.startsWith('--'))
      .map((a) => a.split('=')[0]!);
    for (const flag of flags) expect(help, `${flag} in helm ${major} upgrade --help`).toMatch(new RegExp(`\\s${flag}[\\s=]`));
    // helm 4 deprecates --atomic: it prints a warning, so it must not be sent.
    expect(atomicFlags(major).includes('--atomic')).toBe(major === 3);
  });

  it.each([3, 4] as const)('passes only flags helm %i knows to lint and template, with every kind of set value', (major) => {
    const helm = realHelms().find((h) => h.major === major)!;
    const spec = { release: 'r', namespace: 'n', chart: { name: 'c', path: '/c' }, valuesFiles: ['/v.yaml'], set: { s: 'x', i: 1, f: 0.5, b: true }, timeoutSeconds: 5, description: 'd' };
    for (const [command, argv] of [['lint', lintArgv(spec)], ['template', templateArgv(spec)], ['upgrade', upgradeArgv(spec, '/k', major)]] as const) {
      const help = execFileSync(helm.path, [command, '--help'], { encoding: 'utf8', env: { PATH: '', HOME: root } });
      const flags = argv.filter((a) => a.startsWith('--'));
      expect(flags).toEqual(expect.arrayContaining(['--set', '--set-string', '--set-json', '--values']));
      for (const flag of flags) expect(help, `${flag} in helm ${major} ${command} --help`).toMatch(new RegExp(`\\s${flag}[\\s=]`));
    }
  });

  it.each([3, 4] as const)('detects the major version of helm %i through WSD_HELM', async (major) => {
    process.env.WSD_HELM = realHelms().find((h) => h.major === major)!.path;
    const helm = new Helm({ homeDir: join(root, 'home') });
    expect(await helm.ensureVersion()).toMatch(new RegExp(`^v${major}\\.`));
    expect(helm.major).toBe(major);
    expect(helm.source).toBe('WSD_HELM');
  });
});

describe('resolveHelmBinary', () => {
  it('prefers helm on PATH over the packaged one', () => {
    const bin = join(root, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'helm'), '#!/bin/sh\n');
    chmodSync(join(bin, 'helm'), 0o755);
    expect(resolveHelmBinary({ PATH: bin })).toEqual({ path: join(bin, 'helm'), source: 'PATH' });
  });

  it('falls back to the packaged helm when PATH has none', () => {
    expect(resolveHelmBinary({ PATH: join(root, 'empty') })).toEqual({ path: extractPackagedHelm(PACKAGED_HELM), source: 'package' });
  });

  it('names the fix when there is no helm at all', () => {
    const error = (() => {
      try {
        return resolveHelmBinary({ PATH: join(root, 'empty'), WSD_NO_PACKAGED_HELM: '1' });
      } catch (e) {
        return e;
      }
    })();
    expect(isWsdError(error) && error.code).toBe('ToolMissing');
    expect((error as Error).message).toContain('install helm >= 3.12 from https://helm.sh/docs/intro/install/ and put it on PATH, or run `npm ci`');
  });

  it('refuses a WSD_HELM that is not an absolute path to an executable', () => {
    expect(() => resolveHelmBinary({ WSD_HELM: 'helm' })).toThrow('WSD_HELM=helm is not an executable file given by its absolute path');
  });
});
