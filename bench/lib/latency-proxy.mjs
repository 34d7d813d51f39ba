/**
 * An in-process TCP proxy that makes loopback look like a Kubernetes
 * port-forward: every chunk is delayed by `delayMs ± jitterMs` (uniform,
 * seeded), order kept per direction; `reset()` drops every open connection
 * with a TCP RST mid-stream, as a port-forward that dies does.
 */
import { createServer, connect } from 'node:net';
// The simulator's seeded generator (mulberry32): the same jitter sequence on every run.
import { seededRandom } from '../../dist/registry/simulator/random.js';

/**
 * Forwards `from` to `to`, each chunk after its delay, strictly in order: one queue and one
 * timer per direction (separate timers could fire two chunks due in the same millisecond out
 * of order, which corrupts the HTTP/2 stream).
 */
function delayedPipe(from, to, delay) {
  const queue = [];
  let timer;
  const drain = () => {
    timer = undefined;
    while (queue.length > 0 && queue[0].at <= Date.now()) {
      const { chunk } = queue.shift();
      if (!to.destroyed) to.write(chunk);
    }
    if (queue.length > 0) timer = setTimeout(drain, queue[0].at - Date.now());
  };
  from.on('data', (chunk) => {
    const at = Math.max(queue.at(-1)?.at ?? 0, Date.now() + delay());
    queue.push({ at, chunk });
    timer ??= setTimeout(drain, at - Date.now());
  });
}

/**
 * Starts a proxy to `target` ("host:port"). Returns its `address`, `reset()` (RST on every open
 * connection; returns how many), `connections()` and `close()`.
 */
export async function startLatencyProxy(target, { delayMs = 20, jitterMs = 5, seed = 1 } = {}) {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const next = seededRandom(seed);
  const delay = () => Math.max(0, delayMs + (next() * 2 - 1) * jitterMs);
  const pairs = new Set();
  const server = createServer((client) => {
    const upstream = connect(port, host);
    // No Nagle: it would hold small HTTP/2 frames back for the peer's delayed ACK, on top of our delay.
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const pair = { client, upstream };
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    delayedPipe(client, upstream, delay);
    delayedPipe(upstream, client, delay);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${server.address().port}`,
    connections: () => pairs.size,
    reset() {
      const n = pairs.size;
      for (const { client, upstream } of [...pairs]) {
        client.resetAndDestroy();
        upstream.destroy();
      }
      pairs.clear();
      return n;
    },
    close: () =>
      new Promise((resolve) => {
        for (const { client, upstream } of pairs) {
          client.destroy();
          upstream.destroy();
        }
        server.close(() => resolve());
      }),
  };
}
