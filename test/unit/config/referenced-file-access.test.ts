/**
 * Every file the run will need is checked when the config is: it exists, is the
 * right kind and is readable, named at its key with the resolved path and the
 * fix, all problems at once; relative paths resolve from the config's folder;
 * credential files others may read get a warning (not an error).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { BASE, configDir, edit, problems, valid, type ConfigDir } from './helpers.js';

let ctx: ConfigDir;
beforeAll(async () => {
  ctx = await configDir();
  mkdirSync(path.join(ctx.dir, 'tls'));
  mkdirSync(path.join(ctx.dir, 'chart'));
  for (const name of ['ca.crt', 'tls.crt', 'tls.key', 'token']) writeFileSync(path.join(ctx.dir, 'tls', name), `${name}\n`, { mode: 0o600 });
  writeFileSync(path.join(ctx.dir, 'not-executable.sh'), '#!/bin/sh\n', { mode: 0o644 });
});
afterAll(() => ctx.cleanup());

const abs = (name: string) => path.join(ctx.dir, name);

/** BASE with a direct bridge (line 11), a local gitpod chart (line 17), an external generator (line 19) and a prometheus token (line 23). */
function config(files: { ca?: string; cert?: string; key?: string; chart?: string; script?: string; token?: string }): string {
  const tls = `{ ca: ${files.ca ?? './tls/ca.crt'}, cert: ${files.cert ?? './tls/tls.crt'}, key: ${files.key ?? './tls/tls.key'} }`;
  return `${edit(BASE, '    region: europe-west1\n', `    region: europe-west1\n    bridge: { address: "127.0.0.1:8080", tls: ${tls} }\n`)}gitpod:
  chart: { path: ${files.chart ?? './chart'}, name: gitpod }
terraform:
  generator: { mode: external, script: ${files.script ?? './gen.sh'}, cwd: . }
trafficShift:
  steps: [50, 100]
  analysis:
    provider: { type: prometheus, url: "http://127.0.0.1:9090", bearerTokenFile: ${files.token ?? './tls/token'} }
    metrics:
      - name: up
        query: 'up{cluster="{{cluster}}"}'
        threshold: { max: 1 }
`;
}

describe('files the config references', () => {
  it('resolve from the config folder, whatever the working directory', () => {
    const loaded = valid(config({}), ctx.file).config;
    expect(loaded.metaClusters[0]?.bridge?.tls).toEqual({ ca: abs('tls/ca.crt'), cert: abs('tls/tls.crt'), key: abs('tls/tls.key') });
    expect(loaded.gitpod?.chart.path).toBe(abs('chart'));
    expect(loaded.terraform.generator).toEqual({ mode: 'external', script: abs('gen.sh'), cwd: ctx.dir });
    expect((loaded.trafficShift?.analysis?.provider as { bearerTokenFile?: string }).bearerTokenFile).toBe(abs('tls/token'));
  });

  it('are each reported when missing, all at once, at the key, with the resolved path and the fix', () => {
    const text = config({ ca: './tls/nope-ca.crt', cert: './tls/nope.crt', key: './tls/nope.key', chart: './charts/gitpod', script: './not-executable.sh', token: './run/token' });
    expect(problems(text, ctx.file)).toEqual([
      `11:53: metaClusters[0].bridge.tls.ca: bridge CA file "./tls/nope-ca.crt" does not exist (resolved to ${abs('tls/nope-ca.crt')}); create it or fix the path`,
      `11:78: metaClusters[0].bridge.tls.cert: bridge client certificate "./tls/nope.crt" does not exist (resolved to ${abs('tls/nope.crt')}); create it or fix the path`,
      `11:99: metaClusters[0].bridge.tls.key: bridge client key "./tls/nope.key" does not exist (resolved to ${abs('tls/nope.key')}); create it or fix the path`,
      `17:18: gitpod.chart.path: chart "./charts/gitpod" does not exist (resolved to ${abs('charts/gitpod')}); create it or fix the path`,
      `19:40: terraform.generator.script: generator script "./not-executable.sh" is not executable (resolved to ${abs('not-executable.sh')}); run chmod +x on it`,
      `23:82: trafficShift.analysis.provider.bearerTokenFile: bearer token file "./run/token" does not exist (resolved to ${abs('run/token')}); create it or fix the path`,
    ]);
  });

  it('warn, without failing, when a credential file is readable by group or others', () => {
    expect(valid(config({}), ctx.file).warnings).toEqual([]);
    chmodSync(abs('tls/tls.key'), 0o644);
    chmodSync(abs('tls/token'), 0o640);
    try {
      const { warnings } = valid(config({}), ctx.file);
      expect(warnings.map((w) => `${w.line}:${w.col}: ${w.path}: ${w.message}`)).toEqual([
        `11:93: metaClusters[0].bridge.tls.key: the bridge client key ${abs('tls/tls.key')} has permissions 0644: group or others may read or change it; run chmod 600 ${abs('tls/tls.key')}`,
        `23:82: trafficShift.analysis.provider.bearerTokenFile: the bearer token file ${abs('tls/token')} has permissions 0640: group or others may read or change it; run chmod 600 ${abs('tls/token')}`,
      ]);
    } finally {
      chmodSync(abs('tls/tls.key'), 0o600);
      chmodSync(abs('tls/token'), 0o600);
    }
  });

  it('are refused when this user cannot read them (validate run as an unprivileged user)', () => {
    // Root reads any file, so the check runs as nobody (uid 65534) when the tests run as root.
    const dir = `${ctx.dir}-unreadable`;
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    cpSync(ctx.dir, dir, { recursive: true });
    writeFileSync(path.join(dir, 'ws.yaml'), config({}).replace('terraform:\n', 'terraform:\n  module: { source: gitpod-io/ws-cluster/google }\n'));
    chmodSync(path.join(dir, 'tls', 'tls.key'), 0o000);
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    chmodSync(dir, 0o755);
    const bin = path.join(import.meta.dirname, '..', '..', '..', 'bin', 'ws-deployment');
    const result = spawnSync(process.execPath, [bin, 'validate', '--config', path.join(dir, 'ws.yaml')], { encoding: 'utf8', ...asNobody });
    expect(result.stderr).toContain(
      `metaClusters[0].bridge.tls.key: bridge client key "./tls/tls.key" is not readable by this user (EACCES, resolved to ${path.join(dir, 'tls', 'tls.key')}); fix its permissions (chmod/chown) or run as a user that can read it`,
    );
    expect(result.status).toBe(2);
  });
});
