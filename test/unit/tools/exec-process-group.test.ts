/**
 * What a tool starts stops with it: every child leads its own process group and every signal goes to the whole
 * group, on abort (the tool's killSignal, then SIGKILL after the grace), on timeout, and at our exit (SIGKILL to
 * every unjournaled group). The grandchild here is a real `sleep` started by a real shell; its stdout and stderr
 * are closed unless the case needs it to hold them, so the shell's end alone settles the call.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runTool, type ToolRunOptions } from '../../../src/tools/exec.js';
import { gone, running } from '../../helpers/processes.js';

const EXIT_FIXTURE = join(import.meta.dirname, '..', '..', 'fixtures', 'faults', 'tool-at-exit.mjs');
const started: number[] = [];

afterEach(() => {
  for (const pid of started.splice(0)) if (running(pid)) process.kill(pid, 'SIGKILL');
});

/** Runs `script` in sh; resolves the grandchild's pid (the script's first stdout line) and the call's outcome. */
function withGrandchild(script: string, options: Omit<ToolRunOptions, 'argv'>): { pid: Promise<number>; outcome: Promise<string> } {
  let found: (pid: number) => void = () => undefined;
  const pid = new Promise<number>((res) => (found = res));
  const outcome = runTool({
    ...options,
    argv: ['sh', '-c', script],
    onLine: (stream, line) => {
      if (stream !== 'stdout') return;
      started.push(Number(line));
      found(Number(line));
    },
  }).then(
    () => 'exited',
    (e: { code?: string }) => e.code ?? 'error',
  );
  return { pid, outcome };
}

describe('a tool and what it started', () => {
  it('an abort stops the grandchild too (SIGTERM to the group)', { timeout: 60_000 }, async () => {
    const controller = new AbortController();
    const call = withGrandchild('sleep 300 >&- 2>&- & echo $!; wait', { signal: controller.signal, killGraceMs: 60_000 });
    const pid = await call.pid;
    expect(running(pid)).toBe(true);
    controller.abort();
    expect(await call.outcome).toBe('Interrupted');
    expect(await gone(pid), `the grandchild ${pid} outlived the abort`).toBe(true);
  });

  it('a grandchild that ignores the kill signal and holds the output gets SIGKILL after the grace, its shell long gone', { timeout: 60_000 }, async () => {
    const controller = new AbortController();
    // The shell dies at SIGTERM; its child ignores it and keeps stdout open, so the call is not over.
    const call = withGrandchild(`sh -c 'trap "" TERM; echo $$; exec sleep 300' & wait`, { signal: controller.signal, killGraceMs: 300 });
    const pid = await call.pid;
    controller.abort();
    expect(await call.outcome).toBe('Interrupted');
    expect(await gone(pid), `the grandchild ${pid} outlived the grace`).toBe(true);
  });

  it('a timeout stops the grandchild too', { timeout: 60_000 }, async () => {
    const call = withGrandchild('sleep 300 >&- 2>&- & echo $!; wait', { timeoutMs: 1_000, killGraceMs: 60_000 });
    const pid = await call.pid;
    expect(await call.outcome).toBe('ToolTimeout');
    expect(await gone(pid), `the grandchild ${pid} outlived the timeout`).toBe(true);
  });

  it('our exit (a read-only call, no abort signal, as in plan) kills the grandchild too', { timeout: 60_000 }, async () => {
    const child = spawn(process.execPath, [EXIT_FIXTURE], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const code = await new Promise<number | null>((res) => child.once('close', res));
    const pid = Number(out.trim());
    expect(pid, `the fixture printed no pid: ${out}`).toBeGreaterThan(0);
    started.push(pid);
    expect(code).toBe(130);
    expect(await gone(pid), `the grandchild ${pid} outlived our exit`).toBe(true);
  });
});
