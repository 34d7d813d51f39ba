/**
 * Two environments (the sandbox config, and the same with `environment: staging`) in one state dir, sharing the
 * sandbox meta cluster dev-meta-eu01 (one registry file). Development's clusters are created, not registered yet.
 * Staging allocated from its own history only and took 100 as well; development's resume then found staging's eu100
 * registered at the same URL, skipped its registration as done and shifted traffic on staging's entries. Now staging
 * takes the next id, and a --cluster-id of development's names is refused before anything is journaled.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../helpers/require-binary.js';
import { runCli, sandboxWorkspace } from '../helpers/cli.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');

describe.skipIf(!hasTerraform)('cluster ids of two environments in one state dir', { timeout: 180_000 }, () => {
  const ws = sandboxWorkspace();
  afterAll(() => ws.cleanup());
  const staging = join(ws.dir, 'examples', 'staging.yaml');
  writeFileSync(staging, readFileSync(ws.config, 'utf8').replace(/^environment: development$/m, 'environment: staging'));
  const args = (config: string) => ['--config', config, '--state-dir', ws.stateDir];

  it("staging takes the id after development's unregistered eu100/us100, and refuses 100 when given it", async () => {
    const dev = await runCli(['deploy', ...args(ws.config), '--only', 'create-cluster']);
    expect(dev.code, dev.stderr).toBe(0);
    expect(dev.stdout).toMatch(/^deployment \S+: partial \(cluster id 100\)/);
    const devId = readdirSync(ws.stateDir).find((f) => /^\d{8}-/.test(f));

    const plan = await runCli(['plan', ...args(staging), '--output', 'json']);
    expect(plan.code, plan.stderr).toBe(0);
    expect((JSON.parse(plan.stdout) as { clusterId: number }).clusterId).toBe(101);

    const refused = await runCli(['deploy', ...args(staging), '--cluster-id', '100']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(`cluster id 100 gives short names another environment in this state dir uses: eu100 is a cluster of deployment ${devId} (project sandbox-project, environment development); us100 is a cluster of deployment ${devId}`);
    expect(readdirSync(ws.stateDir).filter((f) => /^\d{8}-/.test(f))).toEqual([devId]); // nothing journaled

    const planGiven = await runCli(['plan', ...args(staging), '--cluster-id', '100']);
    expect(planGiven.code).toBe(3);
    expect(planGiven.stderr).toContain('cluster id 100 gives short names another environment in this state dir uses');

    const deployed = await runCli(['deploy', ...args(staging), '--only', 'create-cluster']);
    expect(deployed.code, deployed.stderr).toBe(0);
    expect(deployed.stdout).toMatch(/^deployment \S+: partial \(cluster id 101\)/);
  });
});
