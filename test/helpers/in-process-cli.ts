/**
 * Runs the CLI's `main` in this process, one command at a time, capturing what it writes.
 *
 * A reading command costs ~0.2 s as a child process, nearly all of it Node starting and
 * loading modules; a test that runs hundreds of them (every file of a state dir × every
 * damage × every reader) runs them here instead, for a few ms each. Only for commands that
 * end on their own (no `deploy`/`resume`: they install signal handlers and run tools).
 */
import { main } from '../../src/cli/main.js';
import type { CliResult } from './cli.js';

let queue: Promise<unknown> = Promise.resolve();

/** `main(argv)` with stdout/stderr captured and `process.exitCode` read and restored; calls are serialised. */
export function runInProcess(args: string[]): Promise<CliResult> {
  const run = queue.then(() => runNow(args));
  queue = run.catch(() => undefined);
  return run;
}

async function runNow(args: string[]): Promise<CliResult> {
  const out = { stdout: '', stderr: '' };
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  const capture = (to: 'stdout' | 'stderr') =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      out[to] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
      const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      done?.();
      return true;
    }) as typeof process.stdout.write;
  const previousCode = process.exitCode;
  process.exitCode = undefined;
  process.stdout.write = capture('stdout');
  process.stderr.write = capture('stderr');
  try {
    await main([process.execPath, 'ws-deployment', ...args]);
  } catch (error) {
    // main reports every error itself; anything escaping it is a defect the caller sees as such.
    out.stderr += `UNCAUGHT ${error instanceof Error ? error.stack : String(error)}`;
    process.exitCode = 99;
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
  }
  const code = typeof process.exitCode === 'number' ? process.exitCode : Number(process.exitCode ?? 0);
  process.exitCode = previousCode;
  return { code, signal: null, ...out };
}
