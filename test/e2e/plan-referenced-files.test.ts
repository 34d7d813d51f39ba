/**
 * A broken YAML file the config references (a values file, the versions
 * manifest) makes `validate`, `plan` and `deploy` refuse the config with exit 2
 * before anything runs, positioned at the key AND inside the file.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, sandboxWorkspace } from '../helpers/cli.js';

describe('broken referenced files', () => {
  const ws = sandboxWorkspace();
  afterAll(() => ws.cleanup());
  const sandboxDir = join(ws.dir, 'examples', 'sandbox');
  writeFileSync(join(sandboxDir, 'values-us.yaml'), 'a: 1\nfoo: [unclosed\n');
  writeFileSync(join(sandboxDir, 'versions.yaml'), '- not a manifest\n');
  const lines = readFileSync(ws.config, 'utf8').split('\n');
  const at = (text: string) => {
    const line = lines.findIndex((l) => l.includes(text));
    return `${ws.config}:${line + 1}:${(lines[line] ?? '').indexOf(text) + 1}`;
  };

  it('validate reports every broken file at once and exits 2', async () => {
    const result = await runCli(['validate', '--config', ws.config]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `${at('./sandbox/values-us.yaml')}: workspaceClusters[1].valuesFiles[0]: ${join(sandboxDir, 'values-us.yaml')}:3:1: yaml flow sequence in block collection must be sufficiently indented and end with a ]; fix the file or remove it from the list`,
    );
    expect(result.stderr).toContain(
      `${at('./sandbox/versions.yaml')}: gitpod.versionsManifest: ${join(sandboxDir, 'versions.yaml')}:1:1: holds a list at the top level; a versions manifest is a mapping with "version" and/or "components"; fix the file or point gitpod.versionsManifest at another one`,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('plan and deploy refuse the same config with exit 2, creating nothing', async () => {
    for (const command of ['plan', 'deploy']) {
      const result = await runCli([command, '--config', ws.config, '--state-dir', ws.stateDir, '--cluster-id', '150']);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`${at('./sandbox/values-us.yaml')}: workspaceClusters[1].valuesFiles[0]:`);
    }
    const journaled = (() => {
      try {
        return readdirSync(ws.stateDir).filter((d) => /^\d{8}-/.test(d));
      } catch {
        return [];
      }
    })();
    expect(journaled).toEqual([]);
  });

  it('checks a manifest given with --versions-manifest the same way, in every command', async () => {
    const manifest = join(ws.dir, 'flag-versions.yaml');
    writeFileSync(manifest, 'version: [x\n');
    for (const command of ['validate', 'plan', 'deploy']) {
      const result = await runCli([command, '--config', ws.config, '--state-dir', ws.stateDir, '--cluster-id', '150', '--versions-manifest', manifest]);
      expect(result.code, command).toBe(2);
      expect(result.stderr, command).toMatch(new RegExp(`${manifest.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: --versions-manifest: yaml .*; fix the file or pass another --versions-manifest`));
    }
  });
});
