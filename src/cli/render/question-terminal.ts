/**
 * What a question on a terminal (a readline interface in raw mode: a manual
 * gate's question, the `clusters deregister --force` confirmation) needs beyond
 * Node's readline to stay answerable whatever the operator does to the terminal.
 *
 * Ctrl-Z: in raw mode the key reaches readline, not the kernel, and readline
 * stops the process itself. Left to its default it pauses its input when the
 * process is continued (`fg`) and only resumes it from a 'SIGCONT' listener that
 * calls `prompt()`: without one every key after `fg` was ignored and the question
 * never returned. Here the key stops the process the way a shell expects (cooked
 * mode given back first, its tools stopped too: job-control.ts) and, once continued,
 * takes raw mode back and redraws the question with what was typed so far.
 *
 * A resize: readline redraws its prompt line by moving up as many rows as the
 * line took at the old width, but where the cursor is after a resize depends on
 * the terminal: VTE, iTerm2, kitty re-wrap the cursor's line (a narrower terminal
 * left the top of the old question above the new one, a wider one lost lines
 * above it), xterm.js (VS Code) and xterm cut it. No count is right for both, so
 * the line readline redraws is kept short enough not to wrap (see
 * {@link promptLine}): everything else is written above it as ordinary lines,
 * which every terminal re-wraps or cuts itself and nothing redraws.
 *
 * Keys typed before a question is on screen are not its answer ({@link discardTypeAhead}). Ctrl-\ at a question is
 * its 'SIGQUIT' event ({@link keepAnswerable}).
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import type { Interface } from 'node:readline';
import { holdTerminalMode, stopJob } from '../job-control.js';
import { isCI } from './terminal.js';

/**
 * True when a person can answer on this terminal: keys from it (stdin) and the question on it (stderr), and no CI.
 * With stderr sent to a file (`2>log`) the question went into the file, escape codes and all, and the
 * deploy sat at an invisible question: such a run is unattended (a manual gate is refused up front).
 * A CI job may well have a terminal (GitLab's and Docker's `tty: true`, `script`) but nobody at it:
 * a question there waited until the job's timeout.
 */
export function canAsk(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY) && !isCI();
}

/** The input side of a question: a TTY read stream, or a fake without raw mode. */
interface QuestionInput {
  setRawMode?(mode: boolean): unknown;
  fd?: number;
}

const tolerant = new WeakSet<QuestionInput>();

/**
 * A terminal that hung up (its window closed, the ssh connection dropped) refuses every mode change with
 * EIO. readline gives raw mode back when its input ends, which a hang-up does first, and Node threw that
 * EIO as an uncaught exception: the run died with exit 1 at the question, its interruption never
 * journaled (`status`: "the process ... is gone"), instead of stopping as on SIGHUP. A mode change
 * on a terminal that is gone is nothing to do; any other failure stays an error.
 */
function tolerateHangup(tty: QuestionInput): void {
  const setRawMode = tty.setRawMode;
  if (typeof setRawMode !== 'function' || tolerant.has(tty)) return;
  tolerant.add(tty);
  tty.setRawMode = (mode: boolean): unknown => {
    try {
      return setRawMode.call(tty, mode);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EIO') return tty;
      throw error;
    }
  };
}

/**
 * Throws away what was typed on the terminal before the question is asked, as sudo and ssh do at their
 * prompts: a `y` and Enter typed while the live view drew (meant for nothing, or for another window) sat in
 * the terminal's input queue and approved a manual gate the moment its question appeared, a gate the
 * operator never saw; keys typed after one question was answered answered the next. Such keys wait in the
 * kernel's queue (Node reads a terminal only while a question listens): a whole line, or a partial one,
 * which raw mode makes readable. The queue is read through a descriptor of its own, opened non-blocking
 * (stdin's may block: libuv leaves a terminal that is not a pseudo-terminal, a Linux console, blocking),
 * so this never waits; a terminal it cannot open that way is left as it is.
 */
export function discardTypeAhead(input: NodeJS.ReadableStream): void {
  const tty = input as QuestionInput;
  if (typeof tty.setRawMode !== 'function' || typeof tty.fd !== 'number') return; // not a terminal
  tolerateHangup(tty);
  tty.setRawMode(true);
  const queue = openSameTerminal(tty.fd);
  if (queue === undefined) return;
  try {
    const chunk = Buffer.alloc(4096);
    while (readSync(queue, chunk) > 0);
  } catch {
    // EAGAIN: the queue is empty
  } finally {
    closeSync(queue);
  }
}

/** A non-blocking descriptor of the terminal `fd` reads, or undefined (no /proc, no controlling terminal, another one). */
function openSameTerminal(fd: number): number | undefined {
  const device = fstatSync(fd).rdev;
  for (const path of [`/proc/self/fd/${fd}`, '/dev/tty']) {
    let other: number | undefined;
    try {
      other = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
      if (fstatSync(other).rdev === device) return other;
    } catch {
      // try the next path
    }
    if (other !== undefined) closeSync(other);
  }
  return undefined;
}

/**
 * The longest last line kept as readline's prompt: with a cluster's short name typed after it, it stays on one row of
 * a 20-column terminal. A longer one ("Type the cluster name to confirm: ", 35 columns) wrapped on a narrow terminal,
 * and a resize then made readline's redraw, which moves up the rows it counts at the new width, erase the end of the
 * sentence above it on a terminal that re-wraps the cursor's line (VTE, iTerm2, kitty).
 */
const PROMPT_MAX = 12;

/**
 * Writes a question's lines but its last to `output`, and returns the last: the short prompt readline
 * asks (and redraws). A line per sentence the operator must read; the prompt says what to type. A last line longer
 * than {@link PROMPT_MAX} is written as a line too, and the prompt is `> `.
 */
export function promptLine(output: NodeJS.WritableStream, question: string): string {
  const cut = question.lastIndexOf('\n');
  const last = question.slice(cut + 1);
  if (last.length <= PROMPT_MAX) {
    if (cut >= 0) output.write(question.slice(0, cut + 1));
    return last;
  }
  output.write(`${question.trimEnd()}\n`);
  return '> ';
}

export function keepAnswerable(rl: Interface, input: NodeJS.ReadableStream): void {
  const tty = input as QuestionInput;
  tolerateHangup(tty);
  // Also on a `kill -TSTP` while the question is open (job-control.ts): cooked mode given back meanwhile.
  const release = holdTerminalMode({
    leave: () => tty.setRawMode?.(false),
    retake: () => {
      tty.setRawMode?.(true);
      rl.prompt(true);
    },
  });
  rl.once('close', release);
  // The whole job stops (its tools too), and this returns after `fg`.
  rl.on('SIGTSTP', stopJob);
  // Ctrl-\ is a key in raw mode too, not the terminal's SIGQUIT: readline took it for a character and the question
  // waited on. It is the question's 'SIGQUIT' event, which a question handles as Ctrl-C ('SIGINT'), as a run stops on
  // SIGQUIT as on SIGINT (stop-signals.ts).
  // readline has put the key in the question's line by then (this listener comes after its own): it is taken out
  // first (a backspace, through readline's public write), so no answer read afterwards starts with an invisible \x1c.
  const onKey = (_: unknown, key?: { sequence?: string }): void => {
    if (key?.sequence !== '\x1c') return;
    if (rl.line.slice(0, rl.cursor).endsWith('\x1c')) rl.write(null, { name: 'backspace' });
    rl.emit('SIGQUIT');
  };
  if (typeof input.on !== 'function') return; // a fake input of a test, which has no keys
  input.on('keypress', onKey);
  rl.once('close', () => input.off('keypress', onKey));
}
