/**
 * Local HTTP receivers on 127.0.0.1 for webhook tests: one that records
 * payloads (200), one that hangs, one that answers 500, one that resets the
 * connection. Written from HTTP semantics, not from the notifier.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Behaviour = 'ok' | 'hang' | 'error500' | 'reset';

export interface Receiver {
  url: string;
  received: Array<{ path: string; body: unknown }>;
  hits: number;
  close(): Promise<void>;
}

export async function startReceiver(behaviour: Behaviour): Promise<Receiver> {
  const received: Receiver['received'] = [];
  const state = { hits: 0 };
  const server: Server = createServer((req, res) => {
    state.hits++;
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (behaviour === 'hang') return; // never answers
      if (behaviour === 'reset') return req.socket.destroy();
      if (behaviour === 'error500') return void res.writeHead(500).end('boom');
      received.push({ path: req.url ?? '', body: JSON.parse(body) as unknown });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    get hits() {
      return state.hits;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
