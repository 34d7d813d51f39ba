/**
 * A tool's timeout counts running time only: a stop of the job (Ctrl-Z until `fg`) stops the tool too, so it made
 * no progress meanwhile, and a timer that came due during the stop must not kill it on continue.
 *
 * The stop is done as job-control.ts's `stopJob` does it, in this process: the tool's process group SIGSTOPped, this
 * thread blocked for the stop's length (Atomics.wait: no timer can run, as none can in a stopped process), then
 * SIGCONT and the stop credited with `recordPause`. The tool is ten `sleep 0.1` in a row: about 1 s of running time
 * that a stop does not shorten (a single `sleep 1` would count the stopped time as slept).
 */
import { describe, expect, it } from 'vitest';
import { pausedMs, recordPause, runningClock } from '../../../src/core/job-pause.js';
import { forEachLiveToolGroup, runTool } from '../../../src/tools/exec.js';

const TOOL = ['sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do sleep 0.1; done'];

/** Stops every live tool group and this thread for `ms`, as a Ctrl-Z then `fg` would; credits the stop. */
function stopTheJob(ms: number): void {
  const groups: number[] = [];
  forEachLiveToolGroup((pgid) => groups.push(pgid));
  expect(groups.length, 'a tool runs when the job is stopped').toBeGreaterThan(0);
  for (const pgid of groups) process.kill(-pgid, 'SIGSTOP');
  const stoppedAt = performance.now();
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  recordPause(performance.now() - stoppedAt);
  for (const pgid of groups) process.kill(-pgid, 'SIGCONT');
}

describe('runTool timeout and a stopped job', () => {
  it('a stop longer than the timeout does not time the tool out: it completes once continued', { timeout: 60_000 }, async () => {
    const before = pausedMs();
    const run = runTool({ argv: TOOL, timeoutMs: 4_000, killGraceMs: 1_000 });
    await new Promise((res) => setTimeout(res, 200));
    // 6 s stopped: the 4 s timer comes due during the stop, with about 0.2 s of running time behind it.
    stopTheJob(6_000);
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
    stopTheJob(2_000);
    expect(await run).toBe('ToolTimeout');
    // 1.5 s of running time plus the 2 s stop: not killed before, and long before `sleep 30` would end.
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_400);
    expect(Date.now() - started).toBeLessThan(25_000);
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
