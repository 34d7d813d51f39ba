/**
 * A tool's timeout counts running time only: a stop of the job (Ctrl-Z until `fg`) stops the tool too, so it made
 * no progress meanwhile, and a timer that came due during the stop must not kill it on continue.
 *
 * The stop is simulated as job-control.ts's `stopJob` does it (test/helpers/job-stop.ts). Tools work in steps of
 * `sleep 0.1`: running time that a stop does not shorten (a single `sleep 1` would count the stopped time as slept).
 */
import { describe, expect, it } from 'vitest';
import { pausedMs, recordPause, runningClock } from '../../../src/core/job-pause.js';
import { runTool } from '../../../src/tools/exec.js';
import { stopJobFor } from '../../helpers/job-stop.js';

const TOOL = ['sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do sleep 0.1; done'];

describe('runTool timeout and a stopped job', () => {
  it('a stop longer than the timeout does not time the tool out: it completes once continued', { timeout: 60_000 }, async () => {
    const before = pausedMs();
    const run = runTool({ argv: TOOL, timeoutMs: 4_000, killGraceMs: 1_000 });
    await new Promise((res) => setTimeout(res, 200));
    // 6 s stopped: the 4 s timer comes due during the stop, with about 0.2 s of running time behind it.
    expect(stopJobFor(6_000), 'the tool was stopped with the job').toBe(1);
    expect(pausedMs() - before).toBeGreaterThanOrEqual(6_000);
    const result = await run;
    expect(result.exitCode).toBe(0);
  });

  it('without a stop the timeout still kills a tool that runs too long', { timeout: 60_000 }, async () => {
    const started = Date.now();
    await expect(runTool({ argv: ['sleep', '30'], timeoutMs: 500, killGraceMs: 1_000 })).rejects.toMatchObject({ code: 'ToolTimeout' });
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('a stop during the run extends the timeout by the stopped time only: a tool too slow still times out', { timeout: 60_000 }, async () => {
    const started = Date.now();
    const run = runTool({ argv: ['sleep', '30'], timeoutMs: 1_500, killGraceMs: 1_000 }).then(
      () => 'exited',
      (e: { code?: string }) => e.code,
    );
    await new Promise((res) => setTimeout(res, 200));
    expect(stopJobFor(2_000), 'the tool was stopped with the job').toBe(1);
    expect(await run).toBe('ToolTimeout');
    // 1.5 s of running time plus the 2 s stop: not killed before, and long before `sleep 30` would end.
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_400);
    expect(Date.now() - started).toBeLessThan(25_000);
  });

  it('a stop in the grace period after SIGTERM does not SIGKILL the tool on continue: it ends its own way', { timeout: 60_000 }, async () => {
    // Like terraform on its interrupt: says so, needs about 0.5 s of running time to release its lock, exits.
    const script = "trap 'echo term; for i in 1 2 3 4 5; do sleep 0.1; done; echo released; exit 0' TERM; while :; do sleep 0.1; done";
    let stopped = 0;
    const error = await runTool({
      argv: ['sh', '-c', script],
      timeoutMs: 300,
      killGraceMs: 3_000,
      onLine: (_stream, line) => {
        if (line === 'term') stopped = stopJobFor(5_000);
      },
    }).catch((e: unknown) => e);
    expect(stopped, 'the job was stopped right after the SIGTERM, the tool with it').toBe(1);
    expect(error).toMatchObject({ code: 'ToolTimeout', signal: null, exitCode: 0 });
    expect((error as { stdout: string }).stdout).toContain('released');
  });
});

describe('runningClock', () => {
  it('stands still for the time the job was stopped', () => {
    let wall = 1_000_000;
    const clock = runningClock(() => wall);
    const deadline = clock() + 5_000;
    wall += 8_000;
    recordPause(7_000);
    expect(clock()).toBeLessThan(deadline);
    expect(deadline - clock()).toBe(4_000);
  });

  it('ignores a stop that is not a positive duration', () => {
    const before = pausedMs();
    recordPause(-5);
    recordPause(Number.NaN);
    expect(pausedMs()).toBe(before);
  });
});
