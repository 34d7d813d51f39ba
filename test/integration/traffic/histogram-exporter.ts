/**
 * A tiny exporter on 127.0.0.1 for the latency gate tests: per cluster a starts counter (counted when a start is
 * asked for, as ws-manager does) and a startup-time histogram (observed when the workspace is up, later), both set
 * by the test. `buckets` are the histogram's finite `le` bounds; [] leaves only `le="+Inf"` (a histogram declared
 * without buckets).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Cluster {
  starts: number;
  /** Observations per bucket bound (cumulative counts are rendered). */
  observed: number[];
  count: number;
  sum: number;
}

export const STARTUP = 'gitpod_ws_manager_workspace_startup_seconds';
export const STARTS_COUNTER = 'gitpod_ws_manager_workspace_starts_total';

export class HistogramExporter {
  private readonly clusters = new Map<string, Cluster>();
  private server?: Server;

  constructor(private readonly buckets: readonly number[]) {}

  /** `n` starts asked for on the cluster (its histogram sees them only once they are up). */
  start(cluster: string, n: number): void {
    this.get(cluster).starts += n;
  }

  /** `n` workspaces of the cluster came up after `seconds` each. */
  observe(cluster: string, n: number, seconds: number): void {
    const c = this.get(cluster);
    this.buckets.forEach((le, i) => {
      if (seconds <= le) c.observed[i] = (c.observed[i] ?? 0) + n;
    });
    c.count += n;
    c.sum += n * seconds;
  }

  async listen(): Promise<number> {
    this.server = createServer((req, res) => {
      if (req.url !== '/metrics') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(this.render());
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return (this.server?.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private get(cluster: string): Cluster {
    let c = this.clusters.get(cluster);
    if (!c) this.clusters.set(cluster, (c = { starts: 0, observed: this.buckets.map(() => 0), count: 0, sum: 0 }));
    return c;
  }

  private render(): string {
    const lines = [`# TYPE ${STARTS_COUNTER} counter`];
    for (const [name, c] of this.clusters) lines.push(`${STARTS_COUNTER}{cluster="${name}"} ${c.starts}`);
    lines.push(`# TYPE ${STARTUP} histogram`);
    for (const [name, c] of this.clusters) {
      this.buckets.forEach((le, i) => lines.push(`${STARTUP}_bucket{cluster="${name}",le="${le}"} ${c.observed[i] ?? 0}`));
      lines.push(`${STARTUP}_bucket{cluster="${name}",le="+Inf"} ${c.count}`, `${STARTUP}_sum{cluster="${name}"} ${c.sum}`, `${STARTUP}_count{cluster="${name}"} ${c.count}`);
    }
    return `${lines.join('\n')}\n`;
  }
}
