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
 */
import type { Interface } from 'node:readline';
import { holdTerminalMode, stopJob } from '../job-control.js';

/** The input side of a question: a TTY read stream, or a fake without raw mode. */
interface QuestionInput {
  setRawMode?(mode: boolean): unknown;
}

/**
 * Writes a question's lines but its last to `output`, and returns the last: the short prompt readline
 * asks (and redraws). A line per sentence the operator must read; the prompt says what to type.
 */
export function promptLine(output: NodeJS.WritableStream, question: string): string {
  const cut = question.lastIndexOf('\n');
  if (cut >= 0) output.write(question.slice(0, cut + 1));
  return question.slice(cut + 1);
}

export function keepAnswerable(rl: Interface, input: NodeJS.ReadableStream): void {
  const tty = input as QuestionInput;
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
}
