/**
 * `resume ID --retry-shift` on the sandbox with the real CLI: a second generation whose shift rolled back (its
 * cluster failed starts during that run only) is retried, promoted to the end and retires the first generation;
 * the same retry killed mid-shift (SIGKILL, a copy of the state dir) is finished by a plain `resume ID`. The
 * readers say the attempt, and the refusals change nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../helpers/require-binary.js';
import { runCli, startCli } from '../helpers/cli.js';
import { QUICK_GATE } from '../helpers/sandbox-config.js';
import { shiftWorkspace } from '../helpers/shift-workspace.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');

interface Entry {
  name: string;
  state: string;
}

describe.skipIf(!hasTerraform)('retrying a rolled-back shift on the sandbox', () => {
  // What is checked is the retry, not the gate's statistics: a quick gate passes a healthy step on its
  // minSamples (seconds, not ~35 s at 10 %), and the injected 90 % failure still rolls generation 271 back.
  const ws = shiftWorkspace({ times: { interval: '2s', bake: '2s', staff: '2s', confidence: QUICK_GATE } });
  let id = '';
  let killedState = '';
  afterAll(() => ws.cleanup());

  beforeAll(async () => {
    await ws.deployGeneration(270);
    const second = await runCli(['deploy', ...ws.common, '--cluster-id', '271', '--inject-fault', 'eu271:0.9']);
    expect(second.code, second.stderr).toBe(1);
    id = await ws.newestId();
    // The outcome offers the retry.
    expect(second.stdout).toMatch(new RegExp(`next: .*\`ws-deployment resume ${id} --retry-shift`));
    killedState = ws.copyState('killed');
  }, 300_000);

  const registry = async (stateDir: string): Promise<Map<string, Entry>> => {
    const list = await runCli(['clusters', 'list', ...ws.args(stateDir), '--output', 'json']);
    expect(list.code, list.stderr).toBe(0);
    return new Map((JSON.parse(list.stdout) as Entry[]).map((e) => [e.name, e]));
  };

  // The two run side by side: each works on its own state dir (the killed one a copy taken before either ran).
  it.concurrent('refusals name the command and change nothing; the retry promotes to the end and retires the old generation', async () => {
    const asShift = await runCli(['shift', 'retry', id, ...ws.common]);
    expect(asShift.code).toBe(2);
    expect(asShift.stderr).toContain('ws-deployment resume ID --retry-shift');
    const noId = await runCli(['resume', '--retry-shift', ...ws.common]);
    expect(noId.code).toBe(2);
    expect(noId.stderr).toMatch(/--retry-shift needs the id of the deployment/);
    const journal = JSON.stringify(ws.journal(id));

    const retried = await runCli(['resume', id, '--retry-shift', '--yes', ...ws.common]);
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stderr).toMatch(/retrying the traffic shift of \S+ from its first step \(attempt 2; the last one: its traffic shift rolled back: /);
    expect(retried.stdout).toMatch(/traffic-shift\s+succeeded/);
    expect(retried.stdout).toMatch(/retire-old-clusters\s+succeeded/);
    expect(retried.stdout).toMatch(/traffic shift \(attempt 2\): done\n {2}retried: attempt 2 by \S+ \(resume --retry-shift\)/);
    const records = ws.journal<{ type: string }>(id);
    expect(JSON.stringify(records).startsWith(journal.slice(0, -1))).toBe(true);
    expect(records[JSON.parse(journal).length]).toMatchObject({ type: 'shift.retried', attempt: 2 });
    const status = JSON.parse((await runCli(['status', id, ...ws.common, '--output', 'json'])).stdout) as { outcome: string; shift: { attempt: number } };
    expect(status).toMatchObject({ outcome: 'succeeded', shift: { attempt: 2 } });
    const after = await registry(ws.stateDir);
    expect([...after.keys()].sort()).toEqual(['eu271', 'us271']);
    expect(after.get('eu271')).toMatchObject({ state: 'AVAILABLE' });

    // Succeeded now: a second retry is refused with why.
    const again = await runCli(['resume', id, '--retry-shift', ...ws.common]);
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(new RegExp(`deployment ${id} succeeded: its traffic shift was promoted, so there is nothing to retry .*; to move the traffic to other clusters, deploy a new generation`));
  }, 300_000);

  it.concurrent('a retry killed mid-shift (SIGKILL) is finished by a plain resume, as attempt 2', async () => {
    const run = startCli(['resume', id, '--retry-shift', '--yes', ...ws.args(killedState)]);
    await run.waitFor(/traffic-shift: step 1\/3/, 180_000);
    run.child.kill('SIGKILL');
    await run.done;
    const status = JSON.parse((await runCli(['status', id, ...ws.args(killedState), '--output', 'json'])).stdout) as { shift: { attempt: number } };
    expect(status.shift.attempt).toBe(2);
    // Not rolled back any more: the retry is over, resume continues it.
    const twice = await runCli(['resume', id, '--retry-shift', ...ws.args(killedState)]);
    expect(twice.code).toBe(3);
    expect(twice.stderr).toMatch(new RegExp(`did not roll back its traffic shift .*continue this one with \`ws-deployment resume ${id}`));

    const resumed = await runCli(['resume', id, '--yes', ...ws.args(killedState)]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/traffic shift \(attempt 2\): done/);
    expect(ws.journal<{ type: string }>(id, killedState).filter((r) => r.type === 'shift.retried')).toHaveLength(1);
    expect([...(await registry(killedState)).keys()].sort()).toEqual(['eu271', 'us271']);
  }, 400_000);
});
