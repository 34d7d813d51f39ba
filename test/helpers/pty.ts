/**
 * Runs the real CLI on a real pseudo-terminal (test/helpers/pty-run.py, Python's
 * pty module) of a given size, and feeds everything it writes into a headless
 * terminal emulator (@xterm/headless, the emulator of VS Code's terminal) — an
 * independent model of a terminal, not ours — so a test can read the screen as
 * an operator would see it: wrapped lines, erased lines and all.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
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
  /** Where the terminal was left: which screen it shows, and the cursor's column (0: the next prompt starts a clean line). */
  left: { screen: 'normal' | 'alternate'; cursorColumn: number };
}

export interface PtyRun {
  /** Types `text` on the terminal's keyboard (`\r` is Enter, `\x03` Ctrl-C). */
  type(text: string): void;
  /** Resolves once the terminal shows text matching `pattern`. */
  waitForScreen(pattern: RegExp, timeoutMs?: number): Promise<void>;
  done: Promise<PtyResult>;
  /** Ends the run (a failed test must not leave a deploy holding the environment lock). */
  kill(): void;
  /** How much raw output has arrived so far: a mark for {@link PtyRun.waitForOutput}. */
  written(): number;
  /** The terminal's logical lines now (everything written so far parsed). */
  screen(): Promise<string[]>;
  /** Resolves once the raw output after `mark` matches `pattern`. */
  waitForOutput(pattern: RegExp, mark: number, timeoutMs?: number): Promise<void>;
  /** `control` only: resizes the terminal (the emulator first, then the pty: the program gets SIGWINCH). */
  resize(cols: number, rows?: number): Promise<void>;
  /** `control` only: presses Ctrl-Z; resolves once the program is stopped and the terminal is back with its parent. */
  suspend(): Promise<void>;
  /** `control` only: `fg`; resolves once the program is the foreground again and has been sent SIGCONT. */
  foreground(): Promise<void>;
  /** `control` only, while stopped: the shell writes `text` to the terminal (its report, prompt, `fg` echoed); `\n` is a line end there. */
  shellWrites(text: string): Promise<void>;
  /** Whether the cursor is visible now: the program's last DECTCEM code (`ESC[?25l` hides it) is not a hide. */
  cursorVisible(): boolean;
}

/**
 * Starts `ws-deployment ARGS` on a COLS x ROWS terminal, as a person at a terminal would (no CI variable).
 * `control`: under a job-control parent, with a control channel (pty-run.py --control) for resize, Ctrl-Z and fg.
 * `reflowCursorLine`: on a resize the emulator re-wraps the line the cursor is on too, as VTE (GNOME Terminal),
 * iTerm2, kitty and Windows Terminal do; by default it cuts that line, as xterm.js (VS Code) and xterm do.
 * `stderrTo`: the CLI's stderr goes to that file, not the terminal (`2>FILE`).
 * `before`: what the terminal showed before the program started (earlier output, the shell's command line),
 * written to the emulator first, so a test can see whether the program left it alone.
 * `then`: a shell command the terminal runs once the CLI has exited, as the operator's shell would run the next one
 * (`bash -c`, which waits out a Ctrl-C the CLI handles and goes on), e.g. `stty -a` to see the modes it left.
 */
export function startPty(
  args: string[],
  options: { cols: number; rows?: number; cwd?: string; env?: Record<string, string>; control?: boolean; reflowCursorLine?: boolean; stderrTo?: string; before?: string; then?: string },
): PtyRun {
  let rows = options.rows ?? 40;
  const term = new Terminal({ cols: options.cols, rows, scrollback: 10_000, allowProposedApi: true, reflowCursorLine: options.reflowCursorLine ?? false });
  const env: Record<string, string> = { ...(process.env as Record<string, string>), TERM: 'xterm-256color' };
  delete env.CI; // a person at a terminal, unless the case says otherwise (`env: { CI: 'true' }`)
  // Python (pty-run.py) would otherwise "coerce" a C locale (PEP 538): LC_CTYPE=C.UTF-8 put in the environment the
  // CLI inherits, so a case's LANG=C never reached it.
  env.PYTHONCOERCECLOCALE = '0';
  Object.assign(env, options.env);
  const cli = [process.execPath, BIN, ...args];
  const command = options.then === undefined ? cli : ['bash', '-c', `"$@"; ${options.then}`, 'bash', ...cli];
  const child = spawn('python3', [PTY_RUN, String(options.cols), String(rows), ...(options.control ? ['--control'] : []), ...(options.stderrTo ? ['--stderr', options.stderrTo] : []), '--', ...command], {
    cwd: options.cwd ?? REPO,
    env,
    stdio: ['pipe', 'pipe', 'pipe', options.control ? 'pipe' : 'ignore'],
  }) as ChildProcessWithoutNullStreams; // stdin, stdout and stderr are pipes: fd 3 only makes the type lose that
  let raw = '';
  let parsed = options.before === undefined ? Promise.resolve() : new Promise<void>((res) => term.write(options.before!, () => res()));
  const waiters: Array<{ matches: () => boolean; resolve: () => void }> = [];
  const check = (): void => {
    for (const w of [...waiters]) {
      if (w.matches()) {
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
    return { code, lines: logicalLines(term), raw, left: { screen: term.buffer.active.type, cursorColumn: term.buffer.active.cursorX } };
  });
  // The control channel's replies, a line each; `reply` waits for the next one that is `expected`.
  const controlChannel = child.stdio[3] as Duplex | null;
  let replies = '';
  const replyWaiters: Array<() => void> = [];
  controlChannel?.on('data', (d: Buffer) => {
    replies += d.toString();
    for (const wake of replyWaiters.splice(0)) wake();
  });
  const reply = async (expected: string, timeoutMs = 120_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = replies.indexOf('\n');
      if (line >= 0) {
        const got = replies.slice(0, line);
        replies = replies.slice(line + 1);
        if (got !== expected) throw new Error(`pty-run answered "${got}", expected "${expected}"`);
        return;
      }
      if (Date.now() > deadline) throw new Error(`pty-run did not answer "${expected}"; the terminal shows:\n${logicalLines(term).join('\n')}`);
      await new Promise<void>((res) => {
        const timer = setTimeout(res, deadline - Date.now());
        replyWaiters.push(() => (clearTimeout(timer), res()));
      });
    }
  };
  const send = (command: string): void => {
    if (!controlChannel) throw new Error('start the pty with { control: true } to resize it or stop the program');
    controlChannel.write(`${command}\n`);
  };
  const waitFor = (matches: () => boolean, what: () => string, timeoutMs: number): Promise<void> =>
    new Promise((res, rej) => {
      if (matches()) return res();
      const timer = setTimeout(() => rej(new Error(`timed out waiting for ${what()}`)), timeoutMs);
      waiters.push({ matches, resolve: () => (clearTimeout(timer), res()) });
      void exited.then(async () => {
        await parsed;
        check();
        clearTimeout(timer);
        rej(new Error(`the CLI exited before ${what()}`));
      });
    });
  return {
    type: (text) => void child.stdin.write(text),
    waitForScreen: (pattern, timeoutMs = 120_000) =>
      waitFor(() => pattern.test(logicalLines(term).join('\n')), () => `${pattern} on the terminal; it shows:\n${logicalLines(term).join('\n')}`, timeoutMs),
    screen: async () => {
      await parsed;
      return logicalLines(term);
    },
    written: () => raw.length,
    waitForOutput: (pattern, mark, timeoutMs = 120_000) =>
      waitFor(() => pattern.test(raw.slice(mark)), () => `${pattern} in the output after ${JSON.stringify(raw.slice(0, mark).slice(-200))}; it wrote ${JSON.stringify(raw.slice(mark))}`, timeoutMs),
    resize: async (cols, newRows = rows) => {
      // Everything written at the old size is on the emulator's screen before it changes size, as on a real terminal.
      await parsed;
      rows = newRows;
      term.resize(cols, rows);
      send(`resize ${cols} ${rows}`);
      await reply('resized');
    },
    suspend: async () => {
      child.stdin.write('\x1a');
      await reply('stopped');
    },
    foreground: async () => {
      send('fg');
      await reply('continued');
    },
    shellWrites: async (text) => {
      send(`say ${Buffer.from(text).toString('hex')}`);
      await reply('said');
    },
    cursorVisible: () => raw.lastIndexOf('\x1b[?25l') <= raw.lastIndexOf('\x1b[?25h'),
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
