import { spawn } from 'node:child_process';
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

/** A fixture CLI run as a shell job (`asShellJob`) whose first line on stdout is the pid of the tool it started. */
export interface ShellJob {
  cliPid: number;
  toolPid: number;
  /** Everything the CLI printed on stdout so far. */
  output(): string;
  /** The CLI's exit code. */
  exit: Promise<number | null>;
}

/**
 * Starts `argv` as a shell job and waits until it names its tool. `kill` is handed at once to `onCleanup` (before any
 * wait can fail), to SIGKILL the CLI and its tool after the test.
 */
export async function startShellJob(argv: readonly string[], onCleanup: (kill: () => void) => void): Promise<ShellJob> {
  const cli = spawn(...asShellJob(argv), { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let toolPid: number | undefined;
  onCleanup(() => {
    for (const pid of [cli.pid, toolPid]) if (pid !== undefined && running(pid)) process.kill(pid, 'SIGKILL');
  });
  cli.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    const first = /^(\d+)\n/.exec(out);
    if (first && toolPid === undefined) toolPid = Number(first[1]);
  });
  const exit = new Promise<number | null>((res) => cli.once('close', res));
  await until('the tool has started', () => toolPid !== undefined);
  return { cliPid: cli.pid ?? 0, toolPid: toolPid ?? 0, output: () => out, exit };
}

/** Ctrl-Z to `job`: a SIGTSTP to the CLI alone (the tools lead groups of their own), then waits until CLI and tool are stopped. */
export async function stopShellJob(job: ShellJob): Promise<void> {
  process.kill(job.cliPid, 'SIGTSTP');
  await until(() => `the CLI is stopped (${processState(job.cliPid)})`, () => processState(job.cliPid) === 'T');
  await until(() => `the tool is stopped (${processState(job.toolPid)})`, () => processState(job.toolPid) === 'T');
}
