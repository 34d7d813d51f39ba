/**
 * SIGKILL at a step boundary, then `resume`: the deployment completes, every
 * cluster exists exactly once, and no step that was journaled as done runs again.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../helpers/require-binary.js';
import { runCli, sandboxWorkspace, startCli } from '../helpers/cli.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');

describe.skipIf(!hasTerraform)('resume after SIGKILL', () => {
  const ws = sandboxWorkspace();
  const common = ['--config', ws.config, '--state-dir', ws.stateDir];
  afterAll(() => ws.cleanup());

  it('completes, without duplicates and without re-running finished steps', async () => {
    const run = startCli(['deploy', ...common, '--cluster-id', '160', '--concurrency', '1']);
    await run.waitFor(/gp-dev-ws-eu160-eu-west1\] install-gitpod: succeeded/);
    // The success is durable with the next step's start (one group commit per hop): kill once the
    // journal holds it, so the kill lands after a step journaled as done.
    const deadline = Date.now() + 60_000;
    const journaledDone = (): boolean => {
      const dir = readdirSync(ws.stateDir).find((d) => /^\d{8}-/.test(d));
      if (!dir) return false;
      return readFileSync(join(ws.stateDir, dir, 'journal.ndjson'), 'utf8').split('\n').some((l) => l.includes('"step.succeeded"') && l.includes('"install-gitpod"') && l.includes('eu160'));
    };
    while (!journaledDone() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    run.child.kill('SIGKILL');
    const killed = await run.done;
    expect(killed.signal).toBe('SIGKILL');

    const id = readdirSync(ws.stateDir).find((d) => /^\d{8}-/.test(d)) as string;
    const status = await runCli(['status', ...common, '--output', 'json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ id, state: 'interrupted', error: { message: expect.stringContaining(`resume ${id}`) } });
    // The listing sees through the journal's "running" too: nobody holds the lock.
    const listed = await runCli(['status', '--all', ...common, '--output', 'json']);
    expect(JSON.parse(listed.stdout)).toMatchObject([{ id, state: 'interrupted' }]);
    // A new deploy is refused until it is resumed, and says why in the same words as status.
    const refused = await runCli(['deploy', ...common, '--cluster-id', '161']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(`deployment ${id} of this environment did not finish (interrupted: its process is gone); continue it with \`ws-deployment resume ${id} --state-dir ${ws.stateDir}\``);
    const resumed = await runCli(['resume', id, ...common]);
    expect(resumed.stderr).not.toMatch(/\n\s+at /);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/succeeded \(cluster id 160\)/);
    // Done before the kill: not run again (one `step.started` per step in the whole journal).
    const journal = readFileSync(join(ws.stateDir, id, 'journal.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; cluster?: string; step?: string });
    const starts = journal.filter((r) => r.type === 'step.started' && r.cluster === 'gp-dev-ws-eu160-eu-west1');
    expect(starts.filter((r) => r.step === 'create-cluster')).toHaveLength(1);
    expect(starts.filter((r) => r.step === 'install-gitpod')).toHaveLength(1);
    expect(resumed.stderr).toMatch(/eu160-eu-west1\] create-cluster: already succeeded/);

    const states = readdirSync(join(ws.stateDir, 'terraform-state')).filter((f) => f.endsWith('.tfstate'));
    expect(states.sort()).toEqual(['gp-dev-ws-eu160-eu-west1.tfstate', 'gp-dev-ws-us160-us-west1.tfstate']);
    for (const file of states) {
      const state = JSON.parse(readFileSync(join(ws.stateDir, 'terraform-state', file), 'utf8')) as { resources: Array<{ type: string; name: string }> };
      expect(state.resources.filter((r) => r.name === 'cluster')).toHaveLength(1);
    }
    const list = await runCli(['clusters', 'list', '--config', ws.config, '--state-dir', ws.stateDir, '--output', 'json']);
    expect((JSON.parse(list.stdout) as Array<{ name: string }>).map((c) => c.name).sort()).toEqual(['eu160', 'us160']);
  });
});
