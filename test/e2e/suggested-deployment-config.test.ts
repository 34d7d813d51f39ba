/**
 * A command that reads a config (retire, clusters, deploy), suggested by a run about one deployment that named no
 * config (status, report, shift), names the config that deployment ran with: the default config (~/ws-deployment.yaml,
 * WS_DEPLOYMENT_CONFIG) may be another environment's (an SRE's home default is production; the deployment shown is
 * staging). Printed bare, it would act with that one. Where the deployment's config is gone, it is words saying to
 * add one, default config or not. Here the default config is another environment's, and the deployment's config
 * lives in a folder whose name has a space (the command quotes it for sh).
 */
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, runCli } from '../helpers/cli.js';
import { requireBinary } from '../helpers/require-binary.js';
import { commandsIn, shWords } from '../helpers/suggested-commands.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');

describe.skipIf(!hasTerraform)("suggested commands name the config of the deployment they are about", () => {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-depconfig-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const configs = join(dir, 'staging configs');
  cpSync(join(REPO, 'examples'), configs, { recursive: true });
  const config = join(configs, 'sandbox.yaml');
  // Another environment's config as the home default, and as WS_DEPLOYMENT_CONFIG.
  const home = join(dir, 'home');
  mkdirSync(home);
  cpSync(join(REPO, 'examples'), home, { recursive: true });
  const other = join(home, 'ws-deployment.yaml');
  writeFileSync(other, readFileSync(join(home, 'sandbox.yaml'), 'utf8').replace(/^environment: development$/m, 'environment: production'));
  const bareHome = join(dir, 'bare-home');
  mkdirSync(bareHome);
  const cwd = join(dir, 'elsewhere');
  mkdirSync(cwd);
  const stateDir = join(dir, 'state');
  /** The other environment's config as the default: in HOME, or WS_DEPLOYMENT_CONFIG. */
  const defaults: Array<Record<string, string>> = [{ HOME: home }, { HOME: bareHome, WS_DEPLOYMENT_CONFIG: other }];
  const retireOf = (output: string): string | undefined => commandsIn(output).find((c) => c.startsWith('ws-deployment retire'));

  it('status, report and shift name the journaled config, which the command runs with; a gone one is words', async () => {
    // A first deployment creates its clusters only; a second beside it shifts the traffic: the first is superseded.
    const first = await runCli(['deploy', '--config', config, '--state-dir', stateDir, '--cluster-id', '150', '--only', 'create-cluster', '--yes'], { cwd, env: { HOME: home } });
    expect(first.code, first.stderr).toBe(0);
    const id = /ws-deployment resume (\S+)/.exec(first.stdout)?.[1];
    // plan (and deploy) without --config read the default config: what they suggest names that file (read in a CI
    // log far from here, a bare command would read another default config).
    const ciHome = join(dir, 'ci home');
    cpSync(configs, ciHome, { recursive: true });
    copyFileSync(join(ciHome, 'sandbox.yaml'), join(ciHome, 'ws-deployment.yaml'));
    const refused = await runCli(['plan', '--state-dir', stateDir, '--output', 'json'], { cwd, env: { HOME: ciHome } });
    expect(refused.code, refused.stderr).toBe(0);
    expect(commandsIn(refused.stdout), refused.stdout).toContain(`ws-deployment deploy --allow-unfinished --state-dir ${stateDir} --config '${join(ciHome, 'ws-deployment.yaml')}'`);
    // With WS_DEPLOYMENT_CONFIG another environment's, `resume ID` would read it: status names the journaled one.
    const partial = await runCli(['status', id!, '--state-dir', stateDir], { cwd, env: { HOME: bareHome, WS_DEPLOYMENT_CONFIG: other } });
    const resume = commandsIn(partial.stdout).find((c) => c.startsWith('ws-deployment resume'));
    expect(resume, partial.stdout).toBe(`ws-deployment resume ${id} --state-dir ${stateDir} --config '${config}'`);
    // Run as printed (on a copy of the state): it resumes this deployment.
    const copy = join(dir, 'state copy');
    cpSync(stateDir, copy, { recursive: true });
    const resumed = await runCli(shWords(resume!, {}).slice(1).map((w) => (w === stateDir ? copy : w)), { cwd, env: { HOME: bareHome, WS_DEPLOYMENT_CONFIG: other } });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`^deployment ${id}: succeeded`, 'm'));
    const second = await runCli(['deploy', '--config', config, '--state-dir', stateDir, '--cluster-id', '151', '--allow-unfinished', '--yes'], { cwd, env: { HOME: home } });
    expect(second.code, second.stderr).toBe(0);
    const secondId = /^deployment (\S+?):? /m.exec(second.stdout)?.[1];

    const expected = `ws-deployment retire --cluster NAME --yes --state-dir ${stateDir} --config '${config}'`;
    for (const env of defaults) {
      for (const args of [['status', id!], ['report', id!, '--output', '-']]) {
        const r = await runCli([...args, '--state-dir', stateDir], { cwd, env });
        expect(r.code, r.stderr).toBe(0);
        expect(retireOf(r.stdout), `${args.join(' ')} ${JSON.stringify(env)}: ${r.stdout}`).toBe(expected);
      }
    }
    // --config on the command line stays the operator's choice.
    const named = await runCli(['status', id!, '--state-dir', stateDir, '--config', other], { cwd, env: { HOME: home } });
    expect(retireOf(named.stdout), named.stdout).toBe(`ws-deployment retire --cluster NAME --yes --state-dir ${stateDir} --config ${other}`);

    // shift's refusal of a succeeded deployment points at `clusters update`, which reads a config: this one's.
    const shift = await runCli(['shift', 'pause', secondId!, '--state-dir', stateDir], { cwd, env: { HOME: home } });
    expect(shift.code, shift.stderr).toBe(3);
    expect(commandsIn(shift.stderr).filter((c) => c.startsWith('ws-deployment clusters')), shift.stderr).toEqual([`ws-deployment clusters update --state-dir ${stateDir} --config '${config}'`]);

    // Run as printed, with the other environment's default in place: it retires this deployment's cluster.
    const retired = await runCli(shWords(expected, {}).slice(1).map((w) => (w === 'NAME' ? 'eu150' : w)), { cwd, env: { HOME: home } });
    expect(retired.code, retired.stderr).toBe(0);
    expect(retired.stdout).toMatch(/^eu150: cordoned, drained, deregistered from dev-meta-eu01/m);
    const listed = await runCli(['clusters', 'list', '--state-dir', stateDir, '--config', config, '--output', 'json'], { cwd, env: { HOME: home } });
    expect((JSON.parse(listed.stdout) as Array<{ name: string }>).map((c) => c.name)).not.toContain('eu150');

    // Its journal deleted: the fix's `clusters list` is words, though a default config exists (not known to be its).
    const damaged = join(dir, 'state damaged');
    cpSync(stateDir, damaged, { recursive: true });
    rmSync(join(damaged, id!, 'journal.ndjson'));
    for (const args of [['status', id!], ['report', id!, '--output', '-']]) {
      const r = await runCli([...args, '--state-dir', damaged], { cwd, env: { HOME: home } });
      expect(r.stderr).toContain(`ws-deployment clusters list --state-dir '${damaged}' (add --config <your config>)`);
      expect(commandsIn(r.stderr).filter((c) => c.startsWith('ws-deployment clusters')), r.stderr).toEqual([]);
    }

    // The deployment's config gone: words saying to add one, though a default config exists.
    renameSync(configs, `${configs}.moved`);
    for (const env of defaults) {
      const r = await runCli(['status', id!, '--state-dir', stateDir], { cwd, env });
      expect(r.stdout).toContain(`ws-deployment retire --cluster NAME --yes --state-dir ${stateDir} (add --config <your config>)`);
      expect(retireOf(r.stdout), r.stdout).toBeUndefined();
    }
  }, 240_000);
});
