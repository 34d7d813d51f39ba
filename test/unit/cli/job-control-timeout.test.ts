/**
 * A tool's timeout does not count the time the job was stopped: real processes, a real SIGTSTP to the CLI (which
 * stops the tool's group and itself) held longer than the tool's timeout, then a SIGCONT to the CLI alone (`fg`).
 * Before, the timer came due during the stop and killed the tool the moment the job was continued ("timed out").
 * States are read from /proc (`T`: stopped); deadlines are wide for a loaded machine.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { asShellJob, processState, running, until } from '../../helpers/processes.js';

const FIXTURE = join(import.meta.dirname, '..', '..', 'fixtures', 'faults', 'tool-timeout-stopped.mjs');
const cleanup: (() => void)[] = [];

afterEach(() => {
  for (const fn of cleanup.splice(0)) fn();
});

describe('job control and tool timeouts', () => {
  it('a Ctrl-Z held longer than a tool’s timeout, then `fg`: the tool is not timed out and completes', { timeout: 120_000 }, async () => {
    // The tool needs about 1 s of running time; its timeout is 4 s; the job stays stopped 7 s.
    const cli = spawn(...asShellJob([process.execPath, FIXTURE, '4000']), { stdio: ['ignore', 'pipe', 'inherit'] });
    const toolPid: number[] = [];
    cleanup.push(() => {
      for (const pid of [cli.pid, ...toolPid]) if (pid !== undefined && running(pid)) process.kill(pid, 'SIGKILL');
    });
    let out = '';
    cli.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const first = /^(\d+)\n/.exec(out);
      if (first && toolPid.length === 0) toolPid.push(Number(first[1]));
    });
    const exit = new Promise<number | null>((res) => cli.once('close', res));
    await until('the tool has started', () => toolPid.length === 1);
    const cliPid = cli.pid ?? 0;
    const tool = toolPid[0] ?? 0;

    cli.kill('SIGTSTP');
    await until(`the CLI is stopped (${processState(cliPid)})`, () => processState(cliPid) === 'T');
    await until(`the tool is stopped (${processState(tool)})`, () => processState(tool) === 'T');
    await new Promise((res) => setTimeout(res, 7_000));
    expect([processState(cliPid), processState(tool)]).toEqual(['T', 'T']);

    cli.kill('SIGCONT');
    const code = await exit;
    expect(out).not.toContain('failed');
    expect(out).toContain('done');
    expect(code).toBe(0);
  });
});
