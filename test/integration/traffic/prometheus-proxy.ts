/**
 * A loopback proxy in front of a real Prometheus that leaves every request as it is except the queries a test picks:
 * those it sends on with the `timeout` form field cut to 1 µs, so the real binary answers its own timeout error
 * (HTTP 503, `errorType: timeout`; `--query.timeout` itself cannot be set that low). What the provider parses is then
 * Prometheus' body, not one written for the test.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PrometheusProxy {
  url: string;
  /** Queries (their PromQL) for which this is true time out in Prometheus; none when unset. */
  timeOut(match: ((query: string) => boolean) | undefined): void;
  /** How many queries were sent on with the tiny timeout. */
  timedOut(): number;
  stop(): Promise<void>;
}

export async function startPrometheusProxy(upstream: string): Promise<PrometheusProxy> {
  let match: ((query: string) => boolean) | undefined;
  let count = 0;
  const server: Server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const form = new URLSearchParams(body);
    const query = form.get('query');
    if (query !== null && match?.(query)) {
      form.set('timeout', '0.000001');
      body = form.toString();
      count++;
    }
    try {
      const answer = await fetch(`${upstream}${req.url ?? '/'}`, {
        method: req.method,
        headers: req.method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {},
        body: req.method === 'POST' ? body : undefined,
      });
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(await answer.text());
    } catch {
      res.writeHead(502).end('upstream unreachable');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    timeOut: (m) => {
      match = m;
    },
    timedOut: () => count,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
