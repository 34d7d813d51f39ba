/**
 * How long this job has been stopped (Ctrl-Z until `fg`, see cli/job-control.ts), and bounds that do not count it.
 *
 * A stop stops every tool's process group along with the CLI, so a tool makes no progress while stopped: a timeout
 * counting wall-clock time fired at once on `fg` after a long stop and failed a step that was paused, not slow.
 * Bounds of the job's own work therefore count running time only: wall-clock time less the time stopped.
 *
 * Lives in core/ because tools/ and steps/ read it while cli/ (job-control.ts) writes it.
 */

let pausedTotalMs = 0;

/** Milliseconds this process has been stopped as a job so far: only ever grows. */
export function pausedMs(): number {
  return pausedTotalMs;
}

/**
 * Credits a stop of `ms` milliseconds (job-control.ts measures its own SIGSTOP; tests simulate one).
 * Called synchronously on continue, before any timer callback can run.
 */
export function recordPause(ms: number): void {
  if (Number.isFinite(ms) && ms > 0) pausedTotalMs += ms;
}

/**
 * A clock that stands still while the job is stopped: `now()` less the time stopped so far. A deadline taken on it
 * (`clock() + timeoutMs`, compared to `clock()` later) is extended by every stop in between.
 */
export function runningClock(now: () => number = Date.now): () => number {
  return () => now() - pausedTotalMs;
}

/**
 * `setTimeout` that counts running time only: when the timer comes due and the job was stopped since it was armed,
 * it is armed again for the running time still missing instead of calling `fn`, until `ms` of running time (time
 * since arming less time stopped) has passed. Without a stop it is a plain `setTimeout`. Unref'd, like the timers it
 * replaces (a bound never keeps the process alive). Returns the function that clears it.
 */
export function setRunningTimeout(fn: () => void, ms: number): () => void {
  const armedAt = performance.now();
  const pausedAtArm = pausedTotalMs;
  let timer: NodeJS.Timeout;
  const arm = (delay: number): void => {
    timer = setTimeout(() => {
      const stopped = pausedTotalMs - pausedAtArm;
      const missing = ms - (performance.now() - armedAt - stopped);
      if (stopped > 0 && missing > 0) arm(missing);
      else fn();
    }, delay);
    timer.unref();
  };
  arm(ms);
  return () => clearTimeout(timer);
}
