/**
 * A stop of the job (Ctrl-Z, then `fg` after `ms`) simulated in this process as job-control.ts's `stopJob` does it:
 * every running tool's process group SIGSTOPped, this thread blocked for `ms` (no timer or I/O callback can run, as
 * none can in a stopped process), then the stop credited (core/job-pause.ts) and the groups continued.
 */
import { recordPause } from '../../src/core/job-pause.js';
import { forEachLiveToolGroup } from '../../src/tools/exec.js';

/** Returns the number of tool groups stopped with the job. */
export function stopJobFor(ms: number): number {
  const groups: number[] = [];
  forEachLiveToolGroup((pgid) => groups.push(pgid));
  for (const pgid of groups) process.kill(-pgid, 'SIGSTOP');
  const stoppedAt = performance.now();
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  recordPause(performance.now() - stoppedAt);
  for (const pgid of groups) process.kill(-pgid, 'SIGCONT');
  return groups.length;
}
