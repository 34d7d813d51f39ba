/**
 * A cluster's terraform module folder gone by the time it is retired: the ops checkout that created it was
 * moved (a CI job checking out elsewhere) or the tool that shipped it was upgraded. The journaled module
 * input names that folder by absolute path; the retirement's destroy failed at `terraform init` after the
 * cluster had been cordoned and deregistered. Now it destroys with the module the running config names,
 * says so, and the cluster's state is empty afterwards. Real CLI, real terraform, the sandbox flow.
 */
import { cpSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, runCli, sandboxWorkspace } from '../helpers/cli.js';
import { requireBinary } from '../helpers/require-binary.js';

describe.skipIf(!requireBinary('terraform', 'the sandbox runs real terraform'))('retiring a cluster whose module folder is gone', () => {
  const ws = sandboxWorkspace();
  afterAll(() => ws.cleanup());

  it("destroys with the running config's module and says so", async () => {
    // The module lives in the "ops checkout" (next to the config), as a GKE module would.
    cpSync(join(REPO, 'terraform', 'modules', 'sandbox-cluster'), join(ws.dir, 'examples', 'checkout-1'), { recursive: true });
    const original = readFileSync(ws.config, 'utf8');
    writeFileSync(ws.config, `${original}\nterraform:\n  module:\n    source: ./checkout-1\n`);
    const common = ['--config', ws.config, '--state-dir', ws.stateDir];
    const deployed = await runCli(['deploy', ...common, '--cluster-id', '176']);
    expect(deployed.code, deployed.stderr).toBe(0);
    const state = join(ws.stateDir, 'terraform-state', 'gp-dev-ws-eu176-eu-west1.tfstate');
    expect(existsSync(state)).toBe(true);

    // The next day's checkout is elsewhere; the first one is gone.
    renameSync(join(ws.dir, 'examples', 'checkout-1'), join(ws.dir, 'examples', 'checkout-2'));
    writeFileSync(ws.config, `${original}\nterraform:\n  module:\n    source: ./checkout-2\n`);
    const retired = await runCli(['retire', '--cluster', 'eu176', '--yes', ...common]);
    expect(retired.code, retired.stderr).toBe(0);
    expect(retired.stderr).toContain(`the terraform module that created eu176 (deployment `);
    expect(retired.stderr).toContain(`${join(ws.dir, 'examples', 'checkout-1')}, is gone; its destroy uses the module the config names now, ${join(ws.dir, 'examples', 'checkout-2')}`);
    expect(retired.stdout).toContain('destroyed');
    // Destroyed for real: the emptied local state is removed with the cluster.
    expect(existsSync(state)).toBe(false);
  });
});
