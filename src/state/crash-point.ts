/**
 * Fault injection for the crash suites: with `WSD_CRASH_AFTER_RECORD=N` the
 * process kills itself with SIGKILL right after journal record N is durable,
 * so a test can stop a real run at every journal boundary, one run per
 * boundary, deterministically. Unset (always, outside those tests) it costs one
 * comparison per append.
 */
const target = Number(process.env.WSD_CRASH_AFTER_RECORD ?? 'NaN');

export function crashPoint(seq: number): void {
  if (seq === target) process.kill(process.pid, 'SIGKILL');
}
