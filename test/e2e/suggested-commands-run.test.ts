/**
 * Every command the tool tells the operator to run works when copied and run as
 * printed, from any working directory: the state dir here has spaces and a quote
 * in its name and is never the default. A sandbox environment goes through a
 * failed deployment (a shift rolled back), a refused deploy (an unfinished one is
 * there), a paused shift and a run killed with SIGKILL; every suggested command is
 * collected from stdout, stderr, `status`, `status --output json`, the HTML report
 * and the webhook bodies, and each one that is safe to run (status, report, shift,
 * resume) is run, as printed (words split the way sh splits them), from another
 * directory: none may end with a usage error or "not found".
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, type CliResult } from '../helpers/cli.js';
import { requireBinary } from '../helpers/require-binary.js';
import { QUICK_GATE } from '../helpers/sandbox-config.js';
import { shiftWorkspace } from '../helpers/shift-workspace.js';
import { commandsIn, shWords } from '../helpers/suggested-commands.js';
import { startReceiver, type Receiver } from '../helpers/webhook-receiver.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');

/** Safe to run here, and a real command (not a template such as `shift resume|abort` or `retire --cluster NAME`). */
function runnable(command: string): boolean {
  return /^ws-deployment (status|report|resume|shift (resume|abort|pause))\b/.test(command) && !/[|<>]|\bNAME\b|\bID\b/.test(command.replace(/'[^']*'/g, ''));
}

describe.skipIf(!hasTerraform)('suggested commands run as printed', () => {
  // The gate passes on its minSamples (QUICK_GATE): the commands suggested do not depend on how much evidence a step
  // waits for, and the retried shift a suggestion starts then takes seconds, not a minute. 6 s steps: the pause lands in one.
  const ws = shiftWorkspace({ times: { interval: '6s', bake: '6s', staff: '6s', confidence: QUICK_GATE } });
  const stateDir = join(ws.dir, "state dir 'of' ops");
  const elsewhere = join(ws.dir, 'another cwd');
  const common = ['--config', ws.config, '--state-dir', stateDir];
  let receiver: Receiver;
  const suggested = new Set<string>();
  const collect = (...texts: string[]): void => texts.forEach((t) => commandsIn(t).forEach((c) => suggested.add(c)));
  const views = async (id: string): Promise<void> => {
    for (const args of [['status', id], ['status', id, '--output', 'json'], ['status', '--all'], ['report', id]]) {
      const r = await runCli([...args, '--state-dir', stateDir], { cwd: elsewhere });
      collect(r.stdout, r.stderr);
    }
  };

  beforeAll(async () => {
    mkdirSync(elsewhere);
    await ws.deployGeneration(236, stateDir);
    receiver = await startReceiver('ok');
    ws.addWebhooks([{ url: `${receiver.url}/hook` }]);
  }, 240_000);
  afterAll(async () => {
    await receiver?.close();
    ws.cleanup();
  });

  it('from a failed, a refused, a paused and a killed run, every one works from another directory', async () => {
    // A failed deployment: the shift rolls back.
    const failed = await runCli(['deploy', ...common, '--inject-fault', 'eu:0.8']);
    expect(failed.code, failed.stderr).toBe(1);
    collect(failed.stdout, failed.stderr);
    const failedId = (JSON.parse((await runCli(['status', '--output', 'json', ...common])).stdout) as { id: string }).id;
    await views(failedId);

    // One paused from another terminal and killed, then a deploy refused (the paused one is unfinished).
    const run = startCli(['deploy', ...common, '--allow-unfinished']);
    await run.waitFor(/traffic\.step|step 1\/3/, 240_000);
    const pause = await runCli(['shift', 'pause', '--state-dir', stateDir], { cwd: elsewhere });
    expect(pause.code, pause.stderr).toBe(0);
    collect(pause.stdout);
    await run.waitFor(/paused at/, 60_000);
    // Pausing it again is refused with what continues it.
    const again = await runCli(['shift', 'pause', '--state-dir', stateDir], { cwd: elsewhere });
    expect(again.code).not.toBe(0);
    collect(again.stderr);
    const pausedId = (JSON.parse((await runCli(['status', '--output', 'json', '--state-dir', stateDir], { cwd: elsewhere })).stdout) as { id: string }).id;
    await views(pausedId);
    run.child.kill('SIGKILL');
    collect((await run.done).stderr);
    await views(pausedId);
    // Refused here, after the paused run: a rolled-back shift is no unfinished deployment, so a deploy right after the
    // failed one was no refusal but a whole third generation (70 of the test's 120 s) that suggested nothing else.
    const refused = await runCli(['deploy', ...common]);
    expect(refused.code, refused.stderr).toBe(3);
    collect(refused.stdout, refused.stderr);
    collect(...receiver.received.map((r) => JSON.stringify(r.body)));

    const toRun = [...suggested].filter(runnable);
    // The failed run, the paused one and the killed one suggested status, shift resume and resume at least.
    for (const kind of ['resume', 'shift resume', 'status']) expect(toRun.some((c) => new RegExp(`^ws-deployment ${kind}\\b`).test(c)), [...suggested].join('\n')).toBe(true);
    // Resume last: it runs the deployment on (and takes the queued shift commands).
    const order = (c: string): number => (c.startsWith('ws-deployment resume') ? 1 : 0);
    const results: Array<{ command: string } & CliResult> = [];
    for (const command of toRun.sort((a, b) => order(a) - order(b))) {
      const args = shWords(command, {}).slice(1);
      results.push({ command, ...(await runCli(args, { cwd: elsewhere })) });
    }
    const broken = results.filter((r) => r.code === 2 || /not found|usage/i.test(r.stderr));
    expect(broken.map((r) => `${r.command}: exit ${r.code}: ${r.stderr}`)).toEqual([]);
  }, 900_000);
});
