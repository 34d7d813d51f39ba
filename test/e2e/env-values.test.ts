/**
 * A bad value in WS_DEPLOYMENT_CONFIG or WS_DEPLOYMENT_STATE: the message names the variable (the operator
 * looks for a bad value on the command line first), says how to fix it, and never prints a password.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'wsd-env-values-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bad values from the environment', () => {
  it('WS_DEPLOYMENT_CONFIG: a missing file, a folder and an empty value name the variable', async () => {
    const missing = join(dir, 'nope.yaml');
    const cases: Array<[string, string]> = [
      [missing, `error: config file ${missing} (from WS_DEPLOYMENT_CONFIG) does not exist; fix WS_DEPLOYMENT_CONFIG or pass --config FILE\n`],
      [dir, `error: config file ${dir} (from WS_DEPLOYMENT_CONFIG) is not a regular file; pass the path of a yaml file\n`],
      ['', 'error: the config path is empty (WS_DEPLOYMENT_CONFIG is set but empty); set WS_DEPLOYMENT_CONFIG to the path of a yaml file\n'],
    ];
    for (const [value, stderr] of cases) {
      for (const command of ['validate', 'plan']) {
        const result = await runCli([command, '--state-dir', join(dir, 'state')], { env: { WS_DEPLOYMENT_CONFIG: value } });
        expect([result.code, result.stderr], `${command} ${value}`).toEqual([2, stderr]);
      }
    }
  });

  it('--config wins over WS_DEPLOYMENT_CONFIG, and then the message does not name the variable', async () => {
    const result = await runCli(['validate', '--config', join(dir, 'flag.yaml')], { env: { WS_DEPLOYMENT_CONFIG: join(dir, 'env.yaml') } });
    expect([result.code, result.stderr]).toEqual([2, `error: config file ${join(dir, 'flag.yaml')} does not exist; pass --config FILE or set WS_DEPLOYMENT_CONFIG\n`]);
  });

  it('WS_DEPLOYMENT_STATE: a url that is not postgres, or not a url, names the variable and never prints the password', async () => {
    const notPostgres = await runCli(['status', '--state-dir', join(dir, 'state')], { env: { WS_DEPLOYMENT_STATE: 'mysql://ci:hunter2@db/wsd' } });
    expect(notPostgres.code).toBe(2);
    expect(notPostgres.stderr).toMatch(/^error: WS_DEPLOYMENT_STATE \(used when --state is not given\) must be a postgres:\/\/ URL \(fix it or unset WS_DEPLOYMENT_STATE/);
    const broken = await runCli(['status', '--state-dir', join(dir, 'state')], { env: { WS_DEPLOYMENT_STATE: 'postgres://ci:hunter2@[db/wsd' } });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/^error: WS_DEPLOYMENT_STATE: the state url is not a valid url; use postgres:\/\/USER@HOST/);
    const sslmode = await runCli(['status', '--state-dir', join(dir, 'state')], { env: { WS_DEPLOYMENT_STATE: 'postgres://ci:hunter2@db/wsd?sslmode=on' } });
    expect(sslmode.stderr).toMatch(/^error: WS_DEPLOYMENT_STATE: sslmode "on" in the state url is not known/);
    for (const result of [notPostgres, broken, sslmode]) expect(result.stdout + result.stderr).not.toContain('hunter2');
  });

  it('--state given on the command line is named as --state', async () => {
    const result = await runCli(['status', '--state-dir', join(dir, 'state'), '--state', 'mysql://ci:hunter2@db/wsd'], { env: { WS_DEPLOYMENT_STATE: 'postgres://x@db/wsd' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: --state must be a postgres:\/\/ URL \(omit it to keep state in --state-dir\)/);
    expect(result.stderr).not.toContain('hunter2');
  });
});
