/**
 * What a long-running command needs around the core: the event sink with the
 * renderer for this terminal, one abort signal wired to SIGINT/SIGTERM/SIGHUP/SIGQUIT, the
 * state store and the redactor.
 */
import { setMaxListeners } from 'node:events';
import { FanoutSink, type EventSink } from '../core/events.js';
import { Redactor } from '../core/redact.js';
import { GatePrompter } from './gate-prompter.js';
import { canAsk } from './render/question-terminal.js';
import { openStore } from './open-store.js';
import { routeProcessWarnings } from './process-warnings.js';
import { onStopSignal } from './stop-signals.js';
import type { StateStore } from '../state/store.js';
import { JsonRenderer, LineRenderer } from './render/line-renderer.js';
import { TtyRenderer } from './render/tty-renderer.js';
import { canRedraw, isCI } from './render/terminal.js';
import { ECHO_FOUND_OFF, holdEchoOff } from './render/terminal-echo.js';
import type { GlobalOptions } from './options.js';
import type { NextCommands } from '../core/next-command.js';

export interface Runtime {
  sink: FanoutSink;
  redactor: Redactor;
  signal: AbortSignal;
  store: StateStore;
  /** Completes the commands the run suggests with how it reached its state: everything it prints goes through it. */
  next: NextCommands;
  /**
   * Withdraws an open gate question, erases the live area, closes the store, then removes the signal
   * handlers (meanwhile a second signal still exits 130). Call it before printing results (nothing may
   * redraw over them); calling it again does nothing.
   */
  close(): Promise<void>;
}

/** Picks the renderer: NDJSON with --json-log, live progress on a TTY that can redraw, prefixed lines otherwise (CI, TERM=dumb). */
function createRenderer(options: Pick<GlobalOptions, 'jsonLog' | 'verbose'>): EventSink & { close?(): void } {
  const err = process.stderr;
  if (options.jsonLog) return new JsonRenderer(err, options.verbose);
  if (canRedraw(err) && !isCI()) return new TtyRenderer(err, options.verbose);
  return new LineRenderer(err, options.verbose);
}

/**
 * The run's sink: every event is redacted before any renderer sees it; then the commands in it get the flags that
 * reach this state (after: the state URL they may name is the redacted one, without its password).
 */
export function redactedSink(renderer: EventSink, redactor: Redactor, next: NextCommands): FanoutSink {
  return new FanoutSink({ emit: (e) => renderer.emit(next.value(redactor.redactValue(e))) });
}

export async function createRuntime(options: GlobalOptions): Promise<Runtime> {
  const redactor = new Redactor();
  const renderer = createRenderer(options);
  // Keys pressed while the live view draws are not echoed into it (render/terminal-echo.ts).
  let echoFoundOff = false;
  const releaseEcho = renderer instanceof TtyRenderer ? holdEchoOff(process.stderr, () => (echoFoundOff = true)) : () => undefined;
  const sink = redactedSink(renderer, redactor, options.next);
  if (echoFoundOff) sink.emit({ level: 'warn', code: 'terminal.echo-off', message: ECHO_FOUND_OFF });
  const restoreWarnings = routeProcessWarnings(sink);
  const controller = new AbortController();
  // Every running child process and gRPC call listens on this one signal.
  setMaxListeners(0, controller.signal);
  let signals = 0;
  let closing: Promise<void> | undefined;
  const onSignal = (name: NodeJS.Signals): void => {
    signals++;
    // Closing, the run is over: nothing left to stop, and the live area is going. The handler stays until the
    // store is closed (releasing the lock takes I/O), so a signal then is not Node's default death by signal.
    if (signals === 1 && closing !== undefined) return;
    // A SIGHUP once the run is stopping is the terminal closing (its shell passes it on; at a question the closed
    // input interrupted the run already), not a second Ctrl-C: the stop goes on, and is journaled.
    if (signals > 1 && name === 'SIGHUP') return;
    if (signals === 1) {
      sink.emit({ level: 'warn', code: 'run.interrupt', message: `received ${name}: stopping running steps (press Ctrl-C again to exit at once)` });
      controller.abort(new Error(name));
    } else {
      process.exit(130);
    }
  };
  // SIGHUP too: the terminal closed (ssh dropped, window closed): stop like Ctrl-C, so the journal says
  // interrupted and tools get their grace time.
  const releaseSignals = onStopSignal(onSignal);
  const store = await openStore(options, {
    redactor,
    sink,
    onLockLost: (error) => {
      sink.emit({ level: 'error', code: 'run.lock-lost', message: `${error.message}: stopping` });
      controller.abort(error);
    },
  });
  // Manual gates ask on a terminal (and only there); elsewhere they wait for `shift resume` or --yes.
  const prompter = canAsk() && !options.yes ? new GatePrompter(store, { next: options.next, area: renderer instanceof TtyRenderer ? renderer : undefined, onInterrupt: (name) => onSignal(name) }) : undefined;
  if (prompter) sink.add(prompter);
  return {
    sink,
    redactor,
    signal: controller.signal,
    store,
    next: options.next,
    close: () =>
      (closing ??= (async () => {
        await prompter?.close();
        renderer.close?.();
        releaseEcho();
        restoreWarnings();
        try {
          await store.close();
        } finally {
          releaseSignals();
        }
      })()),
  };
}
