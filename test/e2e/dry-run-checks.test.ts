/**
 * `deploy --dry-run` runs the pre-run checks the real deploy runs and reports
 * their outcome: where the deploy would refuse (the clusters of --cluster-id N
 * already exist; an earlier deployment did not finish) the dry run says why
 * and exits 3 like the deploy, instead of "0 to add" and 0.
 */
import { readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { requireBinary } from '../helpers/require-binary.js';
import { faultWorkspace } from './faults/fault-workspace.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');

describe.skipIf(!hasTerraform)('deploy --dry-run runs the pre-run checks', () => {
  const ws = faultWorkspace();
  afterAll(() => ws.cleanup());
  const deployments = () => readdirSync(ws.stateDir).filter((d) => /^\d{8}-/.test(d)).sort();

  it('exits 3 with the reason where the deploy would refuse', async () => {
    // The whole flow (a first generation's shift is quick): a partial one would block the deploys below.
    expect((await runCli(['deploy', ...ws.args(), '--cluster-id', '150'])).code).toBe(0);

    const existing = await runCli(['deploy', '--dry-run', ...ws.common, '--cluster-id', '150']);
    expect(existing.code, existing.stderr).toBe(3);
    expect(existing.stderr).toMatch(/the deploy would be refused: gp-dev-ws-eu150-eu-west1 create-cluster: cluster gp-dev-ws-eu150-eu-west1 already exists \(terraform state .*\) and was not created by deployment dry-run/);
    // The real deploy agrees.
    const real = await runCli(['deploy', ...ws.common, '--cluster-id', '150']);
    expect(real.code).toBe(3);
    expect(real.stdout + real.stderr).toMatch(/already exists/);

    const fresh = await runCli(['deploy', '--dry-run', ...ws.common, '--cluster-id', '151']);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stderr).not.toMatch(/would be refused/);

    // An interrupted deployment blocks the next one: the dry run says so too. Told apart from the refused deploy
    // above by what was there before it, not by name order: both may begin in the same second, and then the
    // random suffix of their ids decides which sorts last.
    const beforeCrash = deployments();
    const crashed = await runCli(['deploy', ...ws.common, '--cluster-id', '152'], { env: { WSD_CRASH_AFTER_RECORD: '3' } });
    expect(crashed.signal).toBe('SIGKILL');
    const [interrupted, ...others] = deployments().filter((d) => !beforeCrash.includes(d));
    expect(others).toEqual([]);
    const blocked = await runCli(['deploy', '--dry-run', ...ws.common, '--cluster-id', '153']);
    expect(blocked.code, blocked.stderr).toBe(3);
    expect(blocked.stderr).toContain(`the deploy would be refused: deployment ${interrupted} of this environment did not finish`);
    expect((await runCli(['deploy', '--dry-run', '--allow-unfinished', ...ws.common, '--cluster-id', '153'])).code).toBe(0);
  }, 240_000);
});
