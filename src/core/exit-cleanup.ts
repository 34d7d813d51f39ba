/**
 * What must not outlive the process, however it ends: a signal's `process.exit` (cli/stop-signals.ts) skips every
 * `finally`, so a temp file written asynchronously would stay half-written next to its target, and a tool child
 * that ignored our SIGTERM would run on with nobody waiting for it and no journal naming it. Each such thing
 * registers a synchronous task here while it exists; the tasks run on the process's 'exit' event.
 */
const tasks = new Set<() => void>();
let hooked = false;

function runAll(): void {
  for (const task of [...tasks]) {
    try {
      task();
    } catch {
      // best effort: the process is ending, and one failed task must not keep the next from running
    }
  }
}

/** Runs `task` (synchronous) if the process exits before the returned function is called. */
export function onProcessExit(task: () => void): () => void {
  if (!hooked) {
    process.on('exit', runAll);
    hooked = true;
  }
  tasks.add(task);
  return () => void tasks.delete(task);
}
