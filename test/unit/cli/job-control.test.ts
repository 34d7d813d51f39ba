/**
 * Ctrl-Z stops the whole job: every tool leads its own process group, so a SIGTSTP reaches the CLI alone, which
 * stops the tools' groups and itself; a SIGCONT to the CLI alone (as `fg` or a supervisor sends it) continues both.
 * Real processes, their state read from /proc (`T`: stopped); deadlines are wide for a loaded machine.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { processState, running, startShellJob, stopShellJob, until } from '../../helpers/processes.js';

const FIXTURE = join(import.meta.dirname, '..', '..', 'fixtures', 'faults', 'tool-stopped.mjs');
const cleanup: (() => void)[] = [];

afterEach(() => {
  for (const fn of cleanup.splice(0)) fn();
});

describe('job control', () => {
  it('SIGTSTP stops the CLI and its tool’s process group; SIGCONT to the CLI continues both, and the command completes', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wsd-job-control-'));
    const flag = join(dir, 'go');
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const job = await startShellJob([process.execPath, FIXTURE, flag], (kill) => cleanup.push(kill));
    await stopShellJob(job);
    // Stopped, the tool does not see its go-ahead: nothing finishes meanwhile.
    writeFileSync(flag, '');
    await new Promise((res) => setTimeout(res, 500));
    expect([processState(job.cliPid), processState(job.toolPid)]).toEqual(['T', 'T']);
    expect(job.output()).not.toContain('done');

    process.kill(job.cliPid, 'SIGCONT');
    expect(await job.exit).toBe(3);
    expect(job.output()).toContain('done');
  });

  it('an orphaned process group (no job-control shell: setsid, sh -c) ignores SIGTSTP, as the kernel does: nothing could continue it', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wsd-job-control-'));
    const flag = join(dir, 'go');
    const cli = spawn(process.execPath, [FIXTURE, flag], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    cleanup.push(() => {
      if (cli.pid !== undefined && running(cli.pid)) process.kill(-cli.pid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });
    let out = '';
    cli.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exit = new Promise<number | null>((res) => cli.once('close', res));
    await until('the tool has started', () => /^\d+\n/.test(out));
    const tool = Number(/^(\d+)/.exec(out)?.[1]);

    cli.kill('SIGTSTP');
    await new Promise((res) => setTimeout(res, 1_000));
    expect([processState(cli.pid ?? 0), processState(tool)]).not.toContain('T');
    writeFileSync(flag, '');
    expect(await exit).toBe(3);
    expect(out).toContain('done');
  });
});
