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
 * mode given back first) and, once continued, takes raw mode back and redraws the
 * question with what was typed so far.
 */
import type { Interface } from 'node:readline';

/** The input side of a question: a TTY read stream, or a fake without raw mode. */
interface QuestionInput {
  setRawMode?(mode: boolean): unknown;
}

export function keepAnswerable(rl: Interface, input: NodeJS.ReadableStream): void {
  const tty = input as QuestionInput;
  rl.on('SIGTSTP', () => {
    tty.setRawMode?.(false);
    // A stop signal sent to this process is acted on before kill returns: the next line runs after `fg`.
    // Where nothing could continue it (a process group without job control) the kernel discards the
    // signal and this returns at once: the key then does nothing.
    process.kill(process.pid, 'SIGTSTP');
    tty.setRawMode?.(true);
    rl.prompt(true);
  });
}
