/**
 * A command that reads a config (deploy, plan, retire, clusters), suggested where the operator named none, runs as
 * printed: without --config it reads the default config, ~/ws-deployment.yaml. Where that does not exist it would
 * exit 2, so it is words saying to add one; where it exists it is a command, and runs. `resume ID` reads the config
 * its deployment ran with, and so do the commands it suggests.
 */
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, runCli } from '../helpers/cli.js';
import { requireBinary } from '../helpers/require-binary.js';
import { commandsIn, shWords } from '../helpers/suggested-commands.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');

describe.skipIf(!hasTerraform)('suggested commands where no config was named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-noconfig-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const home = (name: string, withDefault: boolean): string => {
    const h = join(dir, name);
    mkdirSync(h, { recursive: true });
    if (withDefault) {
      cpSync(join(REPO, 'examples'), h, { recursive: true });
      copyFileSync(join(h, 'sandbox.yaml'), join(h, 'ws-deployment.yaml'));
    }
    return h;
  };
  const bare = home('bare', false);

  it('`deploy` is words without a default config, and a command that deploys with one', async () => {
    const stateDir = join(dir, 'empty-state');
    const without = await runCli(['resume', '--state-dir', stateDir], { cwd: bare, env: { HOME: bare } });
    expect(without.code).toBe(2);
    expect(without.stderr).toContain(`start one with ws-deployment deploy --state-dir ${stateDir} (add --config <your config>)`);
    expect(commandsIn(without.stderr).filter((c) => c.startsWith('ws-deployment deploy'))).toEqual([]);

    const withDefault = home('with-default', true);
    const told = await runCli(['resume', '--state-dir', stateDir], { cwd: bare, env: { HOME: withDefault } });
    const [deploy] = commandsIn(told.stderr).filter((c) => c.startsWith('ws-deployment deploy'));
    expect(deploy, told.stderr).toBe(`ws-deployment deploy --state-dir ${stateDir}`);
    const ran = await runCli([...shWords(deploy!, {}).slice(1), '--yes'], { cwd: bare, env: { HOME: withDefault } });
    expect(ran.code, ran.stderr).toBe(0);
  }, 120_000);

  it("`resume ID`'s suggested retire names the config its deployment ran with, and runs as printed", async () => {
    const config = join(home('configs', true), 'sandbox.yaml');
    const stateDir = join(dir, 'superseded');
    // A first deployment creates its clusters only; a second beside it shifts the traffic: the first is superseded.
    const first = await runCli(['deploy', '--config', config, '--state-dir', stateDir, '--cluster-id', '150', '--only', 'create-cluster', '--yes']);
    expect(first.code, first.stderr).toBe(0);
    const id = /ws-deployment resume (\S+)/.exec(first.stdout)?.[1];
    const second = await runCli(['deploy', '--config', config, '--state-dir', stateDir, '--cluster-id', '151', '--allow-unfinished', '--yes']);
    expect(second.code, second.stderr).toBe(0);

    const refused = await runCli(['resume', id!, '--state-dir', stateDir], { cwd: bare, env: { HOME: bare } });
    const [retire] = commandsIn(refused.stderr).filter((c) => c.startsWith('ws-deployment retire'));
    expect(retire, refused.stderr).toBe(`ws-deployment retire --cluster NAME --yes --state-dir ${stateDir} --config ${config}`);
    const args = shWords(retire!, {}).slice(1).map((w) => (w === 'NAME' ? 'eu150' : w));
    const retired = await runCli(args, { cwd: bare, env: { HOME: bare } });
    expect(retired.code, retired.stderr).toBe(0);
  }, 120_000);
});
