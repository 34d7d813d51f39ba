/**
 * A discrete-event clock for the shift controller's `Clock` port: `sleep` only
 * registers a timer; `run` lets every pending promise settle, then jumps to the
 * earliest timer (ties in the order they were set). With in-memory ports and no
 * I/O, the same inputs give the same sequence of events on any machine and load.
 */
import { setImmediate as turn } from 'node:timers/promises';

function abortError(signal) {
  const reason = signal?.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const error = new Error('aborted');
  error.name = 'AbortError';
  return error;
}

export class VirtualClock {
  #t = 0;
  #seq = 0;
  #timers = [];

  now = () => this.#t;

  sleep = (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      const timer = { at: this.#t + Math.max(0, ms), seq: this.#seq++, resolve };
      const onAbort = () => {
        this.#timers = this.#timers.filter((x) => x !== timer);
        reject(abortError(signal));
      };
      timer.done = () => signal?.removeEventListener('abort', onAbort);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#timers.push(timer);
    });

  /** Everything runnable runs (promise jobs queued by promise jobs included). */
  async settle() {
    for (let i = 0; i < 3; i++) await turn();
  }

  /**
   * Advances virtual time until `isDone()` or `limitMs`; returns false when the
   * limit was reached first. Throws when nothing is scheduled and nothing is done (a hang).
   */
  async run(isDone, limitMs) {
    for (;;) {
      await this.settle();
      if (isDone()) return true;
      this.#timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.#timers.shift();
      if (!next) throw new Error(`virtual clock: nothing scheduled at ${this.#t} ms and not done`);
      if (next.at > limitMs) {
        this.#timers.unshift(next);
        return false;
      }
      this.#t = next.at;
      next.done();
      next.resolve();
    }
  }
}
