/**
 * `deploy --dry-run`: the plan plus tool-native previews (a real `terraform
 * plan`), and nothing changed: no deployment journaled, no cluster created.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../helpers/require-binary.js';
import { runCli, sandboxWorkspace } from '../helpers/cli.js';

const hasTerraform = requireBinary('terraform', 'the preview runs real terraform plan');

describe.skipIf(!hasTerraform)('deploy --dry-run', () => {
  const ws = sandboxWorkspace();
  afterAll(() => ws.cleanup());

  it('previews with terraform plan and the shift timeline, and changes nothing', async () => {
    const result = await runCli(['deploy', '--dry-run', '--config', ws.config, '--state-dir', ws.stateDir, '--cluster-id', '145']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/gp-dev-ws-eu145-eu-west1 \(eu145, europe-west1, sandbox/);
    expect(result.stdout).toMatch(/terraform plan: \d+ to add, 0 to change, 0 to destroy/);
    expect(result.stdout).toMatch(/worst case from a bad signal to rollback/);
    // No deployment journaled (only the scratch folder), no cluster in any Terraform state.
    expect(readdirSync(ws.stateDir).filter((d) => /^\d{8}-/.test(d))).toEqual([]);
    const states = join(ws.stateDir, 'terraform-state');
    expect(existsSync(states) ? readdirSync(states).filter((f) => f.endsWith('.tfstate')) : []).toEqual([]);
    const status = await runCli(['status', '--config', ws.config, '--state-dir', ws.stateDir]);
    expect(status.code).toBe(2);
    expect(status.stderr).toMatch(/no deployments in/);
  });
});
