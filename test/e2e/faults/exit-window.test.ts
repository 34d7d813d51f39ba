/**
 * A runner's SIGTERM that lands while the CLI is exiting, after its command has ended. A natural Node exit
 * first closes the process' signal handlers and then frees the heap; a SIGTERM in between killed the CLI by
 * signal (143 to a runner) although its outcome was already decided and journaled: 5 of 20 runs of
 * `validate` did so here before the launcher ended through `process.exit` once drained.
 * SIGTERMs are sent back to back from the moment the command's output appears until the process is gone, so
 * every run crosses that window; the property: an exit code, never death by signal.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, REPO } from '../../helpers/cli.js';

const RUNS = 20;

async function exitUnderSignals(sent: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const child = spawn(process.execPath, [BIN, 'validate', '--config', join(REPO, 'examples', 'sandbox.yaml')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let spray: NodeJS.Timeout | undefined;
  child.stdout.once('data', () => {
    spray = setInterval(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill(sent);
    }, 0);
  });
  child.stderr.resume();
  try {
    return await new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  } finally {
    clearInterval(spray);
  }
}

// SIGQUIT too (Ctrl-\, a supervisor's): the launcher's listener for it was missing, and once main's guard had gone a
// SIGQUIT killed the CLI by Node's default (131) after its run had ended.
describe('a SIGTERM or SIGQUIT while the CLI exits', () => {
  it.for(['SIGTERM', 'SIGQUIT'] as const)('%s: ends with an exit code (the command’s, or 130 if it was still running), never by the signal', { timeout: 240_000 }, async (sent) => {
    const outcomes: string[] = [];
    for (let run = 0; run < RUNS; run++) {
      const { code, signal } = await exitUnderSignals(sent);
      outcomes.push(signal === null ? `code ${code}` : `signal ${signal}`);
    }
    expect(outcomes.filter((o) => o !== 'code 0' && o !== 'code 130')).toEqual([]);
  });
});
