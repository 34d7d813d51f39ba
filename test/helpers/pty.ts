/**
 * Runs the real CLI on a real pseudo-terminal (test/helpers/pty-run.py, Python's
 * pty module) of a given size, and feeds everything it writes into a headless
 * terminal emulator (@xterm/headless, the emulator of VS Code's terminal) — an
 * independent model of a terminal, not ours — so a test can read the screen as
 * an operator would see it: wrapped lines, erased lines and all.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import xterm from '@xterm/headless';
import { expect } from 'vitest';
import { BIN, REPO, runCli } from './cli.js';

const { Terminal } = xterm;
const PTY_RUN = join(REPO, 'test', 'helpers', 'pty-run.py');

export interface PtyResult {
  code: number | null;
  /** Every logical line the terminal holds (scrollback + screen), wrapped rows joined, right-trimmed. */
  lines: string[];
  /** The raw bytes the program wrote, escape sequences included. */
  raw: string;
}

export interface PtyRun {
  /** Types `text` on the terminal's keyboard (`\r` is Enter, `\x03` Ctrl-C). */
  type(text: string): void;
  /** Resolves once the terminal shows text matching `pattern`. */
  waitForScreen(pattern: RegExp, timeoutMs?: number): Promise<void>;
  done: Promise<PtyResult>;
  /** Ends the run (a failed test must not leave a deploy holding the environment lock). */
  kill(): void;
}

/** Starts `ws-deployment ARGS` on a COLS x ROWS terminal, as a person at a terminal would (no CI variable). */
export function startPty(args: string[], options: { cols: number; rows?: number; cwd?: string; env?: Record<string, string> }): PtyRun {
  const rows = options.rows ?? 40;
  const term = new Terminal({ cols: options.cols, rows, scrollback: 10_000, allowProposedApi: true });
  const env: Record<string, string> = { ...(process.env as Record<string, string>), TERM: 'xterm-256color', ...options.env };
  delete env.CI;
  const child = spawn('python3', [PTY_RUN, String(options.cols), String(rows), '--', process.execPath, BIN, ...args], {
    cwd: options.cwd ?? REPO,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let raw = '';
  let parsed = Promise.resolve();
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
  const check = (): void => {
    const text = logicalLines(term).join('\n');
    for (const w of [...waiters]) {
      if (w.pattern.test(text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout.on('data', (d: Buffer) => {
    raw += d.toString('utf8');
    parsed = new Promise<void>((res) => term.write(d, () => res())).then(check);
  });
  let errors = '';
  child.stderr.on('data', (d: Buffer) => (errors += d.toString()));
  const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  const done = exited.then(async (code) => {
    await parsed;
    if (errors) raw += `\n[pty-run stderr] ${errors}`;
    return { code, lines: logicalLines(term), raw };
  });
  return {
    type: (text) => void child.stdin.write(text),
    waitForScreen: (pattern, timeoutMs = 120_000) =>
      new Promise((res, rej) => {
        if (pattern.test(logicalLines(term).join('\n'))) return res();
        const timer = setTimeout(() => rej(new Error(`timed out waiting for ${pattern} on the terminal; it shows:\n${logicalLines(term).join('\n')}`)), timeoutMs);
        waiters.push({ pattern, resolve: () => (clearTimeout(timer), res()) });
        void exited.then(async () => {
          await parsed;
          check();
          clearTimeout(timer);
          rej(new Error(`the CLI exited before the terminal showed ${pattern}; it shows:\n${logicalLines(term).join('\n')}`));
        });
      }),
    done,
    kill: () => void child.kill('SIGKILL'),
  };
}

/** The terminal's content as logical lines: a row the terminal wrapped is joined to the one before it. */
export function logicalLines(term: InstanceType<typeof Terminal>): string[] {
  const buffer = term.buffer.active;
  const lines: string[] = [];
  for (let i = 0; i < buffer.length; i++) {
    const row = buffer.getLine(i);
    if (!row) continue;
    const text = row.translateToString(false);
    if (row.isWrapped && lines.length > 0) lines[lines.length - 1] += text;
    else lines.push(text);
  }
  // Trailing empty rows of the screen are not content.
  const trimmed = lines.map((l) => l.trimEnd());
  while (trimmed.length > 0 && trimmed.at(-1) === '') trimmed.pop();
  return trimmed;
}

/** A cluster as `clusters list --output json` shows it. */
export interface RegistryEntry {
  state: string;
  score: number;
}

/** The registry by short name (`clusters list --output json`); `common` = `--config … --state-dir …`. */
export async function registryOf(common: readonly string[]): Promise<Record<string, RegistryEntry>> {
  const list = await runCli(['clusters', 'list', ...common, '--output', 'json']);
  expect(list.code, list.stderr).toBe(0);
  return Object.fromEntries((JSON.parse(list.stdout) as Array<RegistryEntry & { name: string }>).map((e) => [e.name, { state: e.state, score: e.score }]));
}

/** `shift ACTION` from a second terminal (another process); it must be accepted (exit 0). Returns the reply. */
export async function sendShift(action: string, common: readonly string[]): Promise<string> {
  const reply = await runCli(['shift', action, ...common]);
  expect(reply.code, reply.stderr).toBe(0);
  return reply.stdout;
}

/** The summary `status` prints for the newest deployment ends the terminal, line for line (nothing drew over it). */
export async function expectSummaryAtEnd(result: PtyResult, common: readonly string[]): Promise<void> {
  const status = await runCli(['status', ...common]);
  const summary = status.stdout.trimEnd().split('\n');
  expect(summary.length).toBeGreaterThan(10);
  expect(result.lines.slice(-summary.length), result.raw).toEqual(summary);
}
