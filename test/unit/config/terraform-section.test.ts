import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, configDir, problems, valid, type ConfigDir } from './helpers.js';

let ctx: ConfigDir;
beforeAll(async () => {
  ctx = await configDir();
});
afterAll(() => ctx.cleanup());

// BASE has 14 lines, so the terraform section starts on line 15.
// Without a module of their own, sections get one after the body (positions unchanged):
// a created gke cluster needs it (deploy-rules.test.ts).
const tf = (body: string) => `${BASE}terraform:\n${body}${body.includes('  module:') ? '' : '  module: { source: gitpod-io/ws-cluster/google }\n'}`;
const check = (text: string) => problems(text, ctx.file);

describe('config terraform section', () => {
  it('resolves local module sources and keeps registry and git sources', () => {
    expect(valid(tf('  module: { source: ./modules/ws-cluster }\n'), ctx.file).config.terraform.module.source).toBe(`${ctx.dir}/modules/ws-cluster`);
    const registry = valid(tf('  module: { source: gitpod-io/ws-cluster/google, version: "~> 1.2" }\n'), ctx.file);
    expect(registry.config.terraform.module).toEqual({ source: 'gitpod-io/ws-cluster/google', version: '~> 1.2' });
    const git = 'git::https://github.com/gitpod-io/modules.git//ws-cluster?ref=v1.0.0';
    expect(valid(tf(`  module: { source: "${git}" }\n`), ctx.file).config.terraform.module.source).toBe(git);
  });

  it('checks module sources: local folders exist, no interpolation, version only for registry sources', () => {
    expect(check(tf('  module: { source: ./modules/nope, version: "1.0" }\n'))).toEqual([
      `16:21: terraform.module.source: module folder "./modules/nope" does not exist (resolved to ${ctx.dir}/modules/nope); create it or fix the path`,
      '16:46: terraform.module.version: a version applies only to registry module sources (namespace/name/provider), not to local folders; remove it',
    ]);
    expect(check(tf('  module: { source: "x/${var.a}/y" }\n'))).toEqual([
      '16:21: terraform.module.source: "x/${var.a}/y" is not a valid module source; whitespace, quotes, backslashes and ${…} are not allowed',
    ]);
    expect(check(tf('  module: { source: ./modules/ws-cluster, version: "1.0" }\n'))).toEqual([
      '16:52: terraform.module.version: a version applies only to registry module sources (namespace/name/provider), not to local folders; remove it',
    ]);
    expect(check(tf('  module: { source: "github.com/gitpod-io/ws-cluster", version: "1.0" }\n'))).toEqual([
      '16:65: terraform.module.version: a version applies only to registry module sources (namespace/name/provider), not "github.com/gitpod-io/ws-cluster"; remove it or pin the git ref in the source',
    ]);
  });

  it('passes variables through and checks their names and values', () => {
    const ok = valid(tf('  variables:\n    n: 3\n    pem: "a\\nb"\n    l: [a, {b: true}]\n'), ctx.file);
    expect(ok.config.terraform.variables).toEqual({ n: 3, pem: 'a\nb', l: ['a', { b: true }] });
    expect(check(tf('  variables:\n    "bad name": 1\n    empty:\n    deep: {a: [1, null]}\n    ctl: "x\\u0001"\n'))).toEqual([
      '17:5: terraform.variables["bad name"]: "bad name" is not a terraform variable name; use letters, digits, underscores and dashes, starting with a letter or underscore; e.g. "machine_type"',
      '18:5: terraform.variables.empty: expected a string, a number, true or false, a list or a mapping, got an empty value (null)',
      '19:19: terraform.variables.deep.a[1]: expected a string, a number, true or false, a list or a mapping, got an empty value (null)',
      '20:10: terraform.variables.ctl: contains the control character U+0001 at position 2; remove it',
    ]);
  });

  it('resolves the provider mirror folder and checks it exists', () => {
    expect(valid(tf('  providerMirror: ./modules\n'), ctx.file).config.terraform.providerMirror).toBe(`${ctx.dir}/modules`);
    expect(check(tf('  providerMirror: ./mirror\n'))).toEqual([
      `16:19: terraform.providerMirror: provider mirror folder "./mirror" does not exist (resolved to ${ctx.dir}/mirror); create it or fix the path`,
    ]);
  });

  it('checks backend fields against the backend type', () => {
    expect(valid(tf('  backend: { type: pg, connStrEnv: PG_CONN_STR, schemaName: ws_state }\n'), ctx.file).config.terraform.backend).toEqual({
      type: 'pg',
      connStrEnv: 'PG_CONN_STR',
      schemaName: 'ws_state',
    });
    expect(check(tf('  backend: { type: local, prefix: x, connStrEnv: "pg conn" }\n'))).toEqual([
      '16:35: terraform.backend.prefix: applies only to backend type gcs, not "local"; remove it',
      '16:50: terraform.backend.connStrEnv: "pg conn" is not an environment variable name; use uppercase letters, digits and underscores, not starting with a digit; e.g. "PG_CONN_STR"',
      '16:50: terraform.backend.connStrEnv: applies only to backend type pg, not "local"; remove it',
    ]);
    expect(check(tf('  backend: { type: gcs, prefix: ../state }\n'))).toEqual([
      '16:33: terraform.backend.prefix: "../state" is not a valid state prefix; use letters, digits, dots, dashes, underscores and single slashes, no "." or ".." segments; e.g. "ws-clusters/prod"',
    ]);
    expect(check(tf('  backend: { type: s3 }\n'))).toEqual(['16:20: terraform.backend.type: the string "s3" is not allowed; use one of: gcs, local, pg']);
  });

  it('requires script and cwd for an external generator, and resolves them', () => {
    expect(check(tf('  generator: { mode: external, cwd: ./nope }\n'))).toEqual([
      '16:14: terraform.generator.script: missing required key "script": mode external needs script and cwd',
      `16:37: terraform.generator.cwd: generator folder "./nope" does not exist (resolved to ${ctx.dir}/nope); create it or fix the path`,
    ]);
    expect(check(tf('  generator: { script: ./gen.sh }\n'))).toEqual([
      '16:24: terraform.generator.script: applies only to mode external; remove it or set mode: external',
    ]);
    const ok = valid(tf('  generator: { mode: external, script: ./gen.sh, cwd: ./modules }\n'), ctx.file);
    expect(ok.config.terraform.generator).toEqual({ mode: 'external', script: `${ctx.dir}/gen.sh`, cwd: `${ctx.dir}/modules` });
  });
});
