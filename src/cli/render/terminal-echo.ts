/**
 * The terminal's echo, off while a live view draws (deploy's on stderr, `status --watch`'s on stdout: watch-screen.ts). With it on, every key pressed during a deploy (an Enter to
 * make room, a command typed ahead for after it) was written by the terminal at the cursor, the row under the view:
 * an Enter moved the cursor a row down, so the next redraw, moving up as many rows as the view has, left the view's
 * top row behind and the view showed twice; a scrolled event line was written after the typed letters. kubectl's and
 * helm's progress output is never written into that way either. The keys themselves are not lost: they wait in the
 * terminal's input queue, for the shell after the run (a question throws them away: question-terminal.ts).
 *
 * Node's only terminal mode call is raw mode, which also makes Ctrl-C, Ctrl-Z and Ctrl-\ plain input instead of
 * signals; only the echo must go. So `stty` (the POSIX command, argv only) changes that one flag, synchronously:
 * the echo is given back from a signal listener and on the process's exit, where nothing asynchronous runs. It acts
 * on our stdin, and only when stdin is the terminal we draw on and our process group is its foreground one:
 * a background job's `stty` would be stopped by SIGTTOU. Without /proc (no way to tell) the echo is left as it is.
 *
 * Given back on every way out: the view's close, Ctrl-Z (job-control.ts; taken again on `fg`), and the process's
 * exit (core/exit-cleanup.ts: an uncaught error, a second Ctrl-C, any signal we handle). A SIGKILL cannot be caught:
 * `stty echo` gives the echo back then, and the next live view on that terminal says so ({@link ECHO_FOUND_OFF}).
 */
import { spawnSync, type SpawnSyncOptionsWithStringEncoding } from 'node:child_process';
import { fstatSync, readFileSync } from 'node:fs';
import { onProcessExit } from '../../core/exit-cleanup.js';
import { holdTerminalMode } from '../job-control.js';

/** Long enough for a loaded machine; a `stty` that hangs anyway is killed, never waited on for ever. */
const STTY_TIMEOUT_MS = 5_000;

/**
 * `stty` runs in a session of its own (detached: setsid), where our terminal is not its controlling one, so the kernel
 * never answers its mode change with SIGTTOU. In our session a change made just after the shell took the terminal back
 * (the foreground check passed, then Ctrl-Z stopped the rest of the job: `| tee`, a wrapper script) sent SIGTTOU to
 * our whole process group: the CLI stopped inside the call, and the `fg` that continued it let it go on to its own
 * stop, where nothing continued it again. Whether we may change the modes is {@link inForeground}'s to say.
 */
function stty(args: string[]): string | undefined {
  // spawnSync honours `detached` as spawn does (node's spawn_sync.cc); @types/node leaves it out of its options.
  const options = { stdio: [0, 'pipe', 'ignore'], detached: true, timeout: STTY_TIMEOUT_MS, killSignal: 'SIGKILL', encoding: 'utf8' } as SpawnSyncOptionsWithStringEncoding;
  const result = spawnSync('stty', args, options);
  return result.status === 0 ? result.stdout : undefined;
}

/** Whether our process group is the foreground one of our terminal (Linux: /proc/self/stat's pgrp and tpgid). */
function inForeground(): boolean {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[2] !== undefined && fields[2] === fields[5];
  } catch {
    return false;
  }
}

/** Whether stdin is the terminal `out` writes to. */
function stdinIsOutputTerminal(out: NodeJS.WriteStream): boolean {
  const fd = (out as { fd?: unknown }).fd;
  if (!process.stdin.isTTY || !out.isTTY || typeof fd !== 'number') return false;
  try {
    return fstatSync(0).rdev === fstatSync(fd).rdev;
  } catch {
    return false;
  }
}

function setEcho(on: boolean): void {
  if (inForeground()) stty([on ? 'echo' : '-echo']);
}

/**
 * What a live view says when it finds the echo off already: most likely a run of ours was SIGKILLed while its view
 * drew (kill -9, the OOM killer, a CI step's hard timeout) under a parent that does not restore the terminal's modes
 * (a script, make, npm run: an interactive bash restores them after a job killed by a signal, not after a script that
 * went on). Said, not undone: the terminal is left as it was found, and someone may have turned it off on purpose.
 */
export const ECHO_FOUND_OFF =
  "the terminal's echo was off before this run (keys you type are not shown): a run killed by SIGKILL (kill -9, the OOM killer) while its live view drew leaves it so; `stty echo` gives it back";

/**
 * Turns the terminal's echo off until the returned function is called (a no-op where it was off already, or where
 * stdin is not the terminal we draw on: `drawnOn`, the deploy view's stderr or the watch's stdout). `onFoundOff` is
 * called, at once, where the echo of that terminal was off already (see {@link ECHO_FOUND_OFF}).
 */
export function holdEchoOff(drawnOn: NodeJS.WriteStream = process.stderr, onFoundOff?: () => void): () => void {
  if (!stdinIsOutputTerminal(drawnOn) || !inForeground()) return () => undefined;
  const settings = stty(['-a']);
  if (settings === undefined) return () => undefined;
  // `stty -a` lists each local flag, `echo` or `-echo` (GNU and BSD alike).
  if (!/(^|[\s;])echo([\s;]|$)/m.test(settings)) {
    if (/(^|[\s;])-echo([\s;]|$)/m.test(settings)) onFoundOff?.();
    return () => undefined;
  }
  setEcho(false);
  const release = holdTerminalMode({ leave: () => setEcho(true), retake: () => setEcho(false) });
  const forget = onProcessExit(() => setEcho(true));
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    release();
    forget();
    setEcho(true);
  };
}
