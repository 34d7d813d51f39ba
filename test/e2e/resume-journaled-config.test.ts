/**
 * `resume ID` without --config continues with the config file the deployment
 * journaled at its start (what `status` and the interrupt message suggest); a bare
 * `resume` does so for the newest unfinished deployment and names it; both
 * still refuses, saying what changed, when that file now names other clusters.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { requireBinary } from '../helpers/require-binary.js';
import { faultWorkspace, onlyDeployment, SKIP_DEPLOYMENT_STEPS } from './faults/fault-workspace.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');

describe.skipIf(!hasTerraform)('resume [ID] without --config', () => {
  const ws = faultWorkspace();
  // No ~/ws-deployment.yaml: a home of its own, and the run starts elsewhere.
  const home = mkdtempSync(join(tmpdir(), 'wsd-home-'));
  const env = { HOME: home };
  afterAll(() => {
    ws.cleanup();
    rmSync(home, { recursive: true, force: true });
  });

  it('uses the journaled config, and refuses with what changed when names would change', async () => {
    const crashed = await runCli(['deploy', ...ws.common, '--cluster-id', '171'], { env: { WSD_CRASH_AFTER_RECORD: '4' } });
    expect(crashed.signal).toBe('SIGKILL');
    const id = onlyDeployment(ws.stateDir);
    const bare = ['--state-dir', ws.stateDir, ...SKIP_DEPLOYMENT_STEPS];

    const original = readFileSync(ws.config, 'utf8');
    writeFileSync(ws.config, original.replace(/prefix: eu/, 'prefix: ex'));
    // Neither an id nor a config: the newest unfinished deployment, named, with its journaled config.
    const refused = await runCli(['resume', ...bare], { env, cwd: home });
    expect(refused.code, refused.stderr).toBe(3);
    expect(refused.stderr).toContain(`resuming ${id}, the newest unfinished deployment`);
    expect(refused.stderr).toContain(`using the config deployment ${id} ran with: ${ws.config}`);
    expect(refused.stderr).toMatch(/changes cluster names \(journal: gp-dev-ws-eu171-eu-west1\/eu171\/europe-west1; config now: gp-dev-ws-ex171-eu-west1\/ex171\/europe-west1\)/);

    writeFileSync(ws.config, original);
    const resumed = await runCli(['resume', id, ...bare], { env, cwd: home });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`using the config deployment ${id} ran with: ${ws.config}`);
    expect(resumed.stdout).toMatch(/partial \(cluster id 171\)/);
  }, 180_000);
});
