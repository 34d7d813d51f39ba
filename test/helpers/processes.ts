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

/**
 * `argv` run as a job-control shell runs a job: in a process group of its own within the caller's session (python
 * sets the group, then execs: the pid stays), so its group is not orphaned and a SIGTSTP may stop it.
 */
export function asShellJob(argv: readonly string[]): [string, string[]] {
  return ['python3', ['-c', 'import os, sys; os.setpgid(0, 0); os.execvp(sys.argv[1], sys.argv[1:])', ...argv]];
}
