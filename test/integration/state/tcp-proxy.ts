/**
 * A TCP proxy on 127.0.0.1 between a store and PostgreSQL, to break the
 * network the way production breaks it: all at once (`down`), or right after
 * the server committed but before the client heard (`dropAfterNextCommit`).
 *
 * It reads the server-to-client stream as PostgreSQL protocol messages (type
 * byte + int32 length) only to spot the CommandComplete whose tag is COMMIT.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** `url` with host:port replaced by the proxy's. */
  via(url: string): string;
  /** While down, open connections are cut and new ones are reset at once. */
  setDown(down: boolean): void;
  /** While on, bytes are dropped both ways and connections stay open: a silent network partition. */
  setBlackhole(on: boolean): void;
  /** Cuts the connection that next receives a COMMIT confirmation, without forwarding it. */
  dropAfterNextCommit(): void;
  /** How many COMMIT confirmations were swallowed. */
  readonly droppedCommits: number;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let down = false;
  let blackhole = false;
  let armed = false;
  let dropped = 0;

  const server: Server = createServer((client) => {
    if (down) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    // Like pg itself: without it, Nagle + delayed ACK add ~200 ms to every small message.
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    sockets.add(client);
    sockets.add(upstream);
    const cut = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', cut).on('close', cut);
    upstream.on('error', cut).on('close', cut);
    client.on('data', (chunk: Buffer) => {
      if (!blackhole) upstream.write(chunk);
    });
    let pending = Buffer.alloc(0);
    upstream.on('data', (chunk: Buffer) => {
      if (blackhole) return;
      pending = Buffer.concat([pending, chunk]);
      // Forward whole messages only, so we can stop exactly before a COMMIT confirmation.
      while (pending.length >= 5) {
        const length = pending.readInt32BE(1) + 1;
        if (pending.length < length) break;
        const message = pending.subarray(0, length);
        pending = pending.subarray(length);
        if (armed && message[0] === 0x43 /* C */ && message.subarray(5, 11).toString('latin1') === 'COMMIT') {
          armed = false;
          dropped++;
          cut();
          return;
        }
        client.write(message);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    via(url) {
      const u = new URL(url);
      u.host = `127.0.0.1:${port}`;
      return u.toString();
    },
    setDown(value) {
      down = value;
      if (down) for (const s of [...sockets]) s.destroy();
    },
    setBlackhole(on) {
      blackhole = on;
    },
    dropAfterNextCommit() {
      armed = true;
    },
    get droppedCommits() {
      return dropped;
    },
    async close() {
      for (const s of [...sockets]) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
