import { readFileSync } from 'node:fs';
import { expect } from 'vitest';

/** The state letter of `pid` in /proc (R, S, T, Z…), or `gone`. */
export function processState(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2);
  } catch {
    return 'gone';
  }
}

/** Polls `check` until it holds, for up to `ms` (wide, for a loaded machine); then fails saying `what` (or what it returns then). */
export async function until(what: string | (() => string), check: () => boolean, ms = 60_000): Promise<void> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; ) {
    if (check()) return;
    await new Promise((res) => setTimeout(res, 20));
  }
  expect(check(), `not within ${ms} ms: ${typeof what === 'string' ? what : what()}`).toBe(true);
}

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
 * Whether `pid` is gone within `ms`: a SIGKILL is sent at once but carried out when the kernel next runs the process,
 * which on a loaded machine can be after the sender has exited and its parent has seen it.
 */
export async function gone(pid: number, ms = 30_000): Promise<boolean> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; ) {
    if (!running(pid)) return true;
    await new Promise((res) => setTimeout(res, 20));
  }
  return !running(pid);
}

/**
 * `argv` run as a job-control shell runs a job: in a process group of its own within the caller's session (python
 * sets the group, then execs: the pid stays), so its group is not orphaned and a SIGTSTP may stop it.
 */
export function asShellJob(argv: readonly string[]): [string, string[]] {
  return ['python3', ['-c', 'import os, sys; os.setpgid(0, 0); os.execvp(sys.argv[1], sys.argv[1:])', ...argv]];
}
