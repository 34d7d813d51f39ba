/**
 * SIGINT, SIGTERM, SIGHUP and SIGQUIT (Ctrl-C, a CI runner's cancel, a closed terminal, Ctrl-\) at any moment of any
 * command. Node's default for them is death by signal (exit 130 only for a shell's Ctrl-C, 143, 129 or 131 otherwise:
 * codes no table documents), mid-write. SIGQUIT's default is the worst: no listener of ours ran, so the journal said
 * `running`, and the tools, each in a process group of its own that the terminal's Ctrl-\ does not reach, ran on with
 * nobody supervising them (a `terraform apply` went on changing the cluster). A Go tool (terraform, helm, kubectl) quits
 * on it with a goroutine dump, which a Node process has no use for; what an operator wants from it is the run stopped,
 * so it stops the run as Ctrl-C does, and once the run is stopping it exits at once as a second Ctrl-C does. So from main's first step one listener per signal is in place for the process's whole life
 * and hands each signal to whoever stops the command gracefully now (the runtime of a run, `status --watch`, the
 * standalone sandbox registry; the newest wins), or, when nobody does (loading the config, building a plan, reading
 * the state, a read-only command), to main's fallback, which exits at once with a documented code. A listener in
 * JavaScript also means a signal is never handled inside synchronous code: an atomic write finishes or has not
 * begun. What `process.exit` must not leave behind (temp files, unjournaled tool children) is core/exit-cleanup.ts.
 */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

type StopHandler = (name: NodeJS.Signals) => void;

const handlers: StopHandler[] = [];
let fallback: StopHandler | undefined;

function dispatch(name: NodeJS.Signals): void {
  const handler = handlers.at(-1) ?? fallback;
  if (handler) handler(name);
  else process.exit(130); // only between a handler's removal and the listeners' (a command run without main)
}

function listening(): boolean {
  return fallback !== undefined || handlers.length > 0;
}

function listen(on: boolean): void {
  for (const signal of STOP_SIGNALS) (on ? process.on : process.off).call(process, signal, dispatch);
}

/** main(): `onUnhandled` gets every signal no command handles; returns the function that removes it. */
export function guardStopSignals(onUnhandled: StopHandler): () => void {
  if (!listening()) listen(true);
  fallback = onUnhandled;
  return () => {
    fallback = undefined;
    if (!listening()) listen(false);
  };
}

/** A command stops gracefully on a signal from now on (`handler` gets each one); returns the function that gives them back. */
export function onStopSignal(handler: StopHandler): () => void {
  if (!listening()) listen(true);
  handlers.push(handler);
  return () => {
    const at = handlers.lastIndexOf(handler);
    if (at >= 0) handlers.splice(at, 1);
    if (!listening()) listen(false);
  };
}
