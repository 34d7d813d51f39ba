/**
 * A tool's timeout does not count the time the job was stopped: real processes, a real SIGTSTP to the CLI (which
 * stops the tool's group and itself) held longer than the tool's timeout, then a SIGCONT to the CLI alone (`fg`).
 * Before, the timer came due during the stop and killed the tool the moment the job was continued ("timed out").
 * States are read from /proc (`T`: stopped); deadlines are wide for a loaded machine.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { processState, startShellJob, stopShellJob } from '../../helpers/processes.js';

const FIXTURE = join(import.meta.dirname, '..', '..', 'fixtures', 'faults', 'tool-timeout-stopped.mjs');
const cleanup: (() => void)[] = [];

afterEach(() => {
  for (const fn of cleanup.splice(0)) fn();
});

describe('job control and tool timeouts', () => {
  it('a Ctrl-Z held longer than a tool’s timeout, then `fg`: the tool is not timed out and completes', { timeout: 120_000 }, async () => {
    // The tool needs about 1 s of running time; its timeout is 4 s; the job stays stopped 7 s.
    const job = await startShellJob([process.execPath, FIXTURE, '4000'], (kill) => cleanup.push(kill));
    await stopShellJob(job);
    await new Promise((res) => setTimeout(res, 7_000));
    expect([processState(job.cliPid), processState(job.toolPid)]).toEqual(['T', 'T']);

    process.kill(job.cliPid, 'SIGCONT');
    const code = await job.exit;
    expect(job.output()).not.toContain('failed');
    expect(job.output()).toContain('done');
    expect(code).toBe(0);
  });
});
