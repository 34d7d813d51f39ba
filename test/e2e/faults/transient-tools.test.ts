/**
 * Transient and permanent failures injected into `terraform apply` by a wrapper
 * first on PATH (every other call goes to the real terraform). Two transient
 * GCP errors (503 backendError, once as a -json diagnostic, once on stderr) are
 * retried with backoff, visibly, and the deployment completes on attempt 3; a
 * permission error fails at once: one attempt, exit 1, a message naming it.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../../helpers/require-binary.js';
import { runCli } from '../../helpers/cli.js';
import { expectClustersOnce, faultWorkspace, onlyDeployment, readJournal, tfstateFiles } from './fault-workspace.js';
import { fixtureTool } from './fixture-tool.js';

const hasTerraform = requireBinary('terraform', 'the wrapper runs the real terraform');
const realTerraform = hasTerraform ? execFileSync('which', ['terraform'], { encoding: 'utf8' }).trim() : '';

const UNAVAILABLE = 'Error creating Cluster: googleapi: Error 503: The service is currently unavailable., backendError';
const FORBIDDEN = 'Error creating Cluster: googleapi: Error 403: Permission denied on resource project sandbox-project., forbidden';

describe.skipIf(!hasTerraform)('transient and permanent terraform failures', () => {
  const cleanups: Array<() => void> = [];
  afterAll(() => cleanups.forEach((c) => c()));

  it('retries transient errors with backoff and completes on attempt K+1 (K = 2)', { timeout: 60_000 }, async () => {
    const ws = faultWorkspace();
    const terraform = fixtureTool('terraform', 'flaky-terraform.mjs', {
      real: realTerraform,
      applyFailures: [
        { channel: 'json', summary: UNAVAILABLE },
        { channel: 'stderr', summary: UNAVAILABLE },
      ],
    });
    cleanups.push(ws.cleanup, terraform.cleanup);

    const run = await runCli(['deploy', ...ws.common, '--cluster-id', '181'], { env: { PATH: terraform.path } });
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/gp-dev-ws-eu181-eu-west1\s+create-cluster\s+succeeded\s+3\s/);
    // Each retry is an event naming the error and the backoff: 5 s, then 10 s.
    expect(run.stderr).toMatch(/eu181-eu-west1\] create-cluster: WARN transient failure, retrying in 5 s: terraform apply failed .*googleapi: Error 503/);
    expect(run.stderr).toMatch(/eu181-eu-west1\] create-cluster: WARN transient failure, retrying in 10 s: terraform apply failed .*googleapi: Error 503/);
    expect(run.stderr).toMatch(/create-cluster: attempt 3/);

    const applies = terraform.calls().filter((c) => c.event === 'call' && c.argv[0] === 'apply');
    expect(applies).toHaveLength(3);
    expect(terraform.calls().filter((c) => c.event === 'injected')).toHaveLength(2);
    const id = onlyDeployment(ws.stateDir);
    const starts = readJournal(ws.stateDir, id).filter((r) => r.type === 'step.started' && r.step === 'create-cluster');
    expect(starts.map((r) => r.attempt)).toEqual([1, 2, 3]);
    await expectClustersOnce(ws, [{ full: 'gp-dev-ws-eu181-eu-west1', short: 'eu181' }]);
  });

  it('fails a permanent error at once: one attempt, no retry, exit 1, the cause named', async () => {
    const ws = faultWorkspace();
    const terraform = fixtureTool('terraform', 'flaky-terraform.mjs', { real: realTerraform, applyFailures: [{ channel: 'json', summary: FORBIDDEN }] });
    cleanups.push(ws.cleanup, terraform.cleanup);

    const run = await runCli(['deploy', ...ws.common, '--cluster-id', '182'], { env: { PATH: terraform.path } });
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.code).toBe(1);
    expect(run.stderr).not.toMatch(/retrying/);
    // No backoff: the single apply and the single journaled attempt below say so without a wall clock.
    expect(run.stdout).toMatch(/gp-dev-ws-eu182-eu-west1\s+create-cluster\s+failed\s+1\s/);
    expect(run.stdout).toMatch(/gp-dev-ws-eu182-eu-west1\s+install-gitpod\s+pending\s+0/);
    expect(run.stderr).toMatch(/terraform apply failed in \S+: Error creating Cluster: googleapi: Error 403: Permission denied on resource project sandbox-project\., forbidden.*; fix the cause and run again/);
    expect(terraform.calls().filter((c) => c.event === 'call' && c.argv[0] === 'apply')).toHaveLength(1);

    const id = onlyDeployment(ws.stateDir);
    const journal = readJournal(ws.stateDir, id);
    expect(journal.filter((r) => r.type === 'step.started' && r.step === 'create-cluster')).toHaveLength(1);
    expect(journal.find((r) => r.type === 'step.failed')).toMatchObject({ step: 'create-cluster', error: { code: 'ToolFailed' } });
    // The refused apply changed nothing: no Terraform state at all.
    expect(tfstateFiles(ws.stateDir)).toEqual([]);
  });
});
