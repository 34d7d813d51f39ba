/**
 * A run SIGKILLed while its `terraform apply` works leaves that apply running
 * (nothing is left to stop it). `resume` must not run a tool against the same
 * working dir meanwhile: it finds the child journaled with the step (pid and start
 * time, journaled at spawn), says it waits for it (pid, tool, dir), and goes on
 * only once it has exited. The orphan is a wrapper in front of the real terraform
 * that holds its apply until the test releases it, so the order is decided by the
 * calls it records, not by timing.
 *
 * The second case kills the run right after the spawn, before the child's pid can
 * be journaled (`WSD_CRASH_AFTER_SPAWN`): the call was journaled before the spawn
 * with a token the child carries in its environment, and the resume finds the
 * orphan by it.
 *
 * The third case stops the apply's group as Ctrl-Z does, then SIGKILLs the CLI
 * (`kill -9 %1`): nothing is left to continue the apply. `resume` must say it is
 * stopped, at once, and print a command that, run as the operator types it, ends it.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../../helpers/require-binary.js';
import { startCli } from '../../helpers/cli.js';
import { gone } from '../../helpers/processes.js';
import { expectClustersOnce, faultWorkspace, onlyDeployment, readJournal } from './fault-workspace.js';
import { fixtureTool, type ToolCall } from './fixture-tool.js';

const hasTerraform = requireBinary('terraform', 'the wrapper runs the real terraform');
const realTerraform = hasTerraform ? execFileSync('which', ['terraform'], { encoding: 'utf8' }).trim() : '';

async function until<T>(what: string, found: () => T | undefined, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = found();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!hasTerraform)('resume after a SIGKILL that left terraform apply running', () => {
  const cleanups: Array<() => void> = [];
  afterAll(() => cleanups.forEach((cleanup) => cleanup()));

  async function orphanedApplyIsWaitedFor(
    killRun: (run: ReturnType<typeof startCli>, pid: number, id: string, stateDir: string) => Promise<void>,
    crashEnv: Record<string, string> = {},
  ): Promise<void> {
    const ws = faultWorkspace();
    const release = join(ws.dir, 'release-apply');
    const terraform = fixtureTool('terraform', 'flaky-terraform.mjs', { real: realTerraform, holdApply: release });
    cleanups.push(() => {
      writeFileSync(release, ''); // never leave the orphan waiting
      ws.cleanup();
      terraform.cleanup();
    });
    const run = startCli(['deploy', ...ws.common, '--cluster-id', '173'], { env: { PATH: terraform.path, ...crashEnv } });
    const held = await until('terraform apply to start', () => terraform.calls().find((c) => c.event === 'held'));
    const id = onlyDeployment(ws.stateDir);
    await killRun(run, held.pid, id, ws.stateDir);
    expect((await run.done).signal).toBe('SIGKILL');
    expect(alive(held.pid), 'the apply outlived the CLI').toBe(true);

    terraform.configure({ real: realTerraform });
    const resume = startCli(['resume', id, ...ws.common], { env: { PATH: terraform.path } });
    const line = await resume.waitFor(new RegExp(`waiting for pid ${held.pid} \\(terraform apply, \\S+, started`), 120_000);
    expect(line).toContain(join(ws.stateDir, id));
    const whileHeld = terraform.calls().length;
    writeFileSync(release, '');
    const result = await resume.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`pid ${held.pid} (terraform apply) has exited; going on`);

    // In the order the wrapper recorded them: the orphan's end comes before any terraform call of the resume.
    const calls: ToolCall[] = terraform.calls();
    const done = calls.findIndex((c) => c.event === 'done' && c.pid === held.pid);
    expect(done).toBeGreaterThanOrEqual(whileHeld);
    const heldAt = calls.findIndex((c) => c.event === 'held');
    const resumeCalls = calls.map((c, i) => ({ c, i })).filter(({ c, i }) => i > heldAt && c.event === 'call');
    expect(resumeCalls.length).toBeGreaterThan(0);
    for (const { c, i } of resumeCalls) expect(i, `terraform ${c.argv.join(' ')} ran while the orphan worked`).toBeGreaterThan(done);
    await expectClustersOnce(ws, [{ full: 'gp-dev-ws-eu173-eu-west1', short: 'eu173' }]);
  }

  it('waits for the orphaned apply, naming it, and runs no terraform in its dir before it has exited', async () => {
    await orphanedApplyIsWaitedFor(async (run, pid, id, stateDir) => {
      // The child is journaled right after it is spawned: kill once that record is there.
      await until('the apply to be journaled', () =>
        readJournal(stateDir, id).find((r) => r.type === 'step.checkpoint' && JSON.stringify(r).includes(`"pid":${pid}`)),
      );
      run.child.kill('SIGKILL');
    });
  }, 300_000);

  it('finds an apply whose pid was never journaled (killed right after the spawn) by its token, and waits for it', async () => {
    await orphanedApplyIsWaitedFor(
      async (run, pid, id, stateDir) => {
        // The run killed itself right after spawning apply: its pid is nowhere in the journal.
        await run.done;
        const journal = JSON.stringify(readJournal(stateDir, id));
        expect(journal).not.toContain(`"pid":${pid}`);
        expect(journal).toMatch(/"token":"[^"]+","tool":"terraform apply"/);
      },
      { WSD_CRASH_AFTER_SPAWN: 'terraform apply' },
    );
  }, 300_000);

  it('says an apply left stopped (Ctrl-Z, then the CLI SIGKILLed) is stopped, with a command that really ends it', async () => {
    const ws = faultWorkspace();
    const release = join(ws.dir, 'release-apply');
    const terraform = fixtureTool('terraform', 'flaky-terraform.mjs', { real: realTerraform, holdApply: release });
    cleanups.push(() => {
      ws.cleanup();
      terraform.cleanup();
    });
    const run = startCli(['deploy', ...ws.common, '--cluster-id', '173'], { env: { PATH: terraform.path } });
    const held = await until('terraform apply to start', () => terraform.calls().find((c) => c.event === 'held'));
    cleanups.unshift(() => {
      if (alive(held.pid)) process.kill(-held.pid, 'SIGKILL'); // never leave it stopped
    });
    const id = onlyDeployment(ws.stateDir);
    await until('the apply to be journaled', () => readJournal(ws.stateDir, id).find((r) => r.type === 'step.checkpoint' && JSON.stringify(r).includes(`"pid":${held.pid}`)));
    // Ctrl-Z's SIGSTOP to the tool's group (each tool leads its own), then the stopped CLI is killed.
    process.kill(-held.pid, 'SIGSTOP');
    run.child.kill('SIGKILL');
    expect((await run.done).signal).toBe('SIGKILL');

    terraform.configure({ real: realTerraform });
    const callsBefore = terraform.calls().length;
    const result = await startCli(['resume', id, ...ws.common], { env: { PATH: terraform.path } }).done;
    expect(result.code, result.stderr).not.toBe(0);
    expect(result.stderr).toContain(`pid ${held.pid} (terraform apply, `);
    expect(result.stderr).toContain('is stopped (its job was suspended with Ctrl-Z and the CLI that would continue it is gone)');
    expect(result.stderr, 'a stopped apply is not waited for').not.toContain(`waiting for pid ${held.pid}`);
    expect(terraform.calls().slice(callsBefore), 'the resume ran terraform beside the stopped apply').toEqual([]);

    const command = /`(kill [^`]+)`/.exec(result.stderr)?.[1] as string;
    expect(command).toBe(`kill -- -${held.pid}; kill -s CONT -- -${held.pid}`);
    execFileSync('sh', ['-c', command], { stdio: 'ignore' });
    expect(await gone(held.pid), `\`${command}\` left the apply`).toBe(true);
  }, 300_000);
});
