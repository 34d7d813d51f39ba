/**
 * A reader that goes away (`deploy … | head`, a CI log collector that dies)
 * closes our stdout or stderr. Node then reports EPIPE as an 'error' event on
 * the stream, and an 'error' nobody listens to kills the process: in the middle
 * of `terraform apply`, with the journal not told. Output nobody reads is not
 * worth a half-built cluster, so such writes are dropped and the run goes on
 * (it still journals everything; `status` shows the outcome).
 */
import type { EventEmitter } from 'node:events';

const guarded = new WeakSet<EventEmitter>();

/** Drops writes to `streams` once their reader has closed the pipe; any other stream error stays fatal. */
export function ignoreClosedPipes(streams: EventEmitter[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    if (guarded.has(stream)) continue;
    guarded.add(stream);
    stream.on('error', (error: NodeJS.ErrnoException) => {
      // After EPIPE the stream is destroyed: later writes are no-ops, not new errors. EIO is the
      // same for a terminal that closed (SIGHUP): the run is stopping, and must get to journal it.
      if (error.code === 'EPIPE' || error.code === 'EIO') return;
      // Anything else is what it was without this listener: an uncaught error.
      throw error;
    });
  }
}
