/**
 * A sandbox cluster that is not alive: its alive test fails with the reason and
 * stops that cluster (never registered); the other cluster goes on. Once the
 * cause is removed, `resume` finishes the sick cluster without re-creating it.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../helpers/require-binary.js';
import { runCli, sandboxWorkspace } from '../helpers/cli.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');

describe.skipIf(!hasTerraform)('failing alive test', () => {
  const ws = sandboxWorkspace();
  const common = ['--config', ws.config, '--state-dir', ws.stateDir, '--skip', 'traffic-shift'];
  afterAll(() => ws.cleanup());

  it('stops that cluster with the reason and resumes after the cause is removed', async () => {
    // Fast polling so the alive test gives up quickly.
    writeFileSync(ws.config, readFileSync(ws.config, 'utf8').replace(/aliveTest:[\s\S]*?(?=\n\S)/, 'aliveTest:\n  timeoutSeconds: 2\n  pollIntervalSeconds: 0.2'));
    const health = join(ws.stateDir, 'sandbox', 'health');
    mkdirSync(health, { recursive: true });
    writeFileSync(join(health, 'gp-dev-ws-eu190-eu-west1.json'), JSON.stringify({ healthy: false, reason: 'ws-manager crash-looping' }));

    const failed = await runCli(['deploy', ...common, '--cluster-id', '190']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/gp-dev-ws-eu190-eu-west1\s+alive-test\s+failed\s+\d+\s+\S+\s+.*ws-manager crash-looping/);
    expect(failed.stdout).toMatch(/gp-dev-ws-eu190-eu-west1\s+register-cluster\s+pending/);
    expect(failed.stdout).toMatch(/gp-dev-ws-us190-us-west1\s+register-cluster\s+succeeded/);

    rmSync(join(health, 'gp-dev-ws-eu190-eu-west1.json'));
    const resumed = await runCli(['resume', ...common]);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/gp-dev-ws-eu190-eu-west1\s+create-cluster\s+succeeded\s+1\s/);
    expect(resumed.stdout).toMatch(/gp-dev-ws-eu190-eu-west1\s+register-cluster\s+succeeded/);
  });
});
