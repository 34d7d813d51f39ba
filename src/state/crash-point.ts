/**
 * Fault injection for the crash suites: with `WSD_CRASH_AFTER_RECORD=N` the
 * process kills itself with SIGKILL right after the N-th journal record is
 * durable, so a test can stop a real run at every journal boundary, one run per
 * boundary, deterministically. Throttled sub-phase records (`step.progress`)
 * are not counted: how many there are depends on timing, and counting them
 * would move every later boundary from run to run. With
 * `WSD_CRASH_AFTER_MATCH=TEXT` it kills itself right after the first durable
 * record whose JSON contains TEXT: a boundary named by what it journals (an
 * approval) rather than by how many records came before it, which timing
 * (measurements) can change. Unset (always, outside those tests) each costs
 * one comparison per append.
 */
const target = Number(process.env.WSD_CRASH_AFTER_RECORD ?? 'NaN');
const match = process.env.WSD_CRASH_AFTER_MATCH;
let boundaries = 0;

export function crashPoint(record: { type: string; code?: string }): void {
  if (match !== undefined && JSON.stringify(record).includes(match)) process.kill(process.pid, 'SIGKILL');
  if (Number.isNaN(target)) return;
  if (record.type === 'event' && record.code === 'step.progress') return;
  if (++boundaries === target) process.kill(process.pid, 'SIGKILL');
}
