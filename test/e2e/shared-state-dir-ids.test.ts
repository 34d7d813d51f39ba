/**
 * Two environments (the sandbox config, and the same with `environment: staging`) in one state dir, sharing the
 * sandbox meta cluster dev-meta-eu01 (one registry file). Development's clusters are created, not registered yet.
 * Staging allocated from its own history only and took 100 as well; development's resume then found staging's eu100
 * registered at the same URL, skipped its registration as done and shifted traffic on staging's entries. Now staging
 * takes the next id, and a --cluster-id of development's names is refused before anything is journaled.
 * Once both are registered, staging's shift (`oldClusters: auto`: the other clusters registered with its prefixes)
 * took development's eu100/us100 as its old generation: it moved staging's traffic off them, cordoned and
 * deregistered them. Now they are left out, with a warning saying which and why.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

describe.skipIf(!hasTerraform)("another environment's registered clusters are not this one's old generation", { timeout: 180_000 }, () => {
  const ws = sandboxWorkspace();
  afterAll(() => ws.cleanup());
  const staging = join(ws.dir, 'examples', 'staging.yaml');
  writeFileSync(staging, readFileSync(ws.config, 'utf8').replace(/^environment: development$/m, 'environment: staging'));
  const args = (config: string) => ['--config', config, '--state-dir', ws.stateDir, '--yes'];

  it("staging's first deploy leaves development's eu100 and us100 registered, serving and undestroyed", async () => {
    const dev = await runCli(['deploy', ...args(ws.config)]);
    expect(dev.code, dev.stderr).toBe(0);
    const stag = await runCli(['deploy', ...args(staging)]);
    expect(stag.code, stag.stderr).toBe(0);
    expect(stag.stdout).toMatch(/traffic-shift +succeeded .*promoted \(first generation\)/);
    expect(stag.stdout).toMatch(/retire-old-clusters +succeeded .*no old clusters to retire/);
    expect(stag.stderr).toMatch(/WARN left out of the old clusters: eu100 \(deployment \S+, sandbox-project\/development\), us100 \(deployment \S+, sandbox-project\/development\): registered with a meta cluster this config shares, but another environment's clusters in this state dir; list them in trafficShift.oldClusters/);
    const registry = JSON.parse(readFileSync(join(ws.stateDir, 'sandbox', 'registry', 'dev-meta-eu01.json'), 'utf8')) as { clusters: Array<{ name: string; state: string; score: number }> };
    expect(registry.clusters.filter((c) => c.name.endsWith('100')).map((c) => `${c.name} ${c.state} ${c.score}`).sort()).toEqual(['eu100 AVAILABLE 100', 'us100 AVAILABLE 100']);
    for (const name of ['gp-dev-ws-eu100-eu-west1', 'gp-dev-ws-us100-us-west1']) expect(existsSync(join(ws.stateDir, 'terraform-state', `${name}.tfstate`)), name).toBe(true);
  });
});
