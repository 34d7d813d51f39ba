import { readFileSync } from 'node:fs';

/** Whether `pid` is a live process (a zombie is dead, only not reaped: PID 1 of a container may never reap it). */
export function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
