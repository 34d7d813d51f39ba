/**
 * A tiny Prometheus exporter on 127.0.0.1 that counts workspace starts and
 * start failures per cluster, like ws-manager does. The test sets each cluster's
 * start rate and failure ratio; counters grow on a timer and stay integers.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface ClusterTraffic {
  startsPerTick: number;
  failureRatio: number;
  starts: number;
  failures: number;
  failureCarry: number;
  /** When false the cluster's series vanish from /metrics, as if the cluster died. */
  visible: boolean;
  /**
   * Like a labelled counter of a Prometheus client library (client_golang's CounterVec): the failure series
   * is exported only from the cluster's first failure on, not as 0 before it.
   */
  failuresFromFirst: boolean;
  /** The same for the starts series: exported from the cluster's first start on (a labelled starts counter). */
  startsFromFirst: boolean;
}

export class WorkspaceExporter {
  private readonly clusters = new Map<string, ClusterTraffic>();
  private server?: Server;
  private timer?: NodeJS.Timeout;
  /** Scrapes held unanswered while the exporter hangs (Prometheus gives up at its scrape timeout). */
  private hanging?: Set<ServerResponse>;

  /** Sets (or adds) a cluster's traffic. */
  set(cluster: string, traffic: { startsPerTick?: number; failureRatio?: number; visible?: boolean; failuresFromFirst?: boolean; startsFromFirst?: boolean }): void {
    const current = this.clusters.get(cluster) ?? { startsPerTick: 0, failureRatio: 0, starts: 0, failures: 0, failureCarry: 0, visible: true, failuresFromFirst: false, startsFromFirst: false };
    this.clusters.set(cluster, { ...current, ...traffic });
  }

  /** `n` starts of the cluster now, `failed` of them failing (a CounterVec's series are born here if it had none). */
  addStarts(cluster: string, n: number, failed = 0): void {
    const c = this.clusters.get(cluster);
    if (c) Object.assign(c, { starts: c.starts + n, failures: c.failures + failed });
  }

  /** `n` starts of the cluster fail now (a CounterVec's failure series is born here if it had none). */
  fail(cluster: string, n: number): void {
    const c = this.clusters.get(cluster);
    if (c) c.failures += n;
  }

  /** The cluster's ws-manager restarts: its counters start again from 0 (a counter reset), same labels. */
  restart(cluster: string): void {
    const c = this.clusters.get(cluster);
    if (c) Object.assign(c, { starts: 0, failures: 0, failureCarry: 0 });
  }

  /**
   * When set, /metrics carries `process_start_time_seconds` at this time (epoch ms), as client_golang's process
   * collector (and controller-runtime's registry, ws-manager's) exports it: when the exporting process started.
   */
  processStartMs?: number;

  /** Scrapes are answered this long after they arrive: Prometheus stamps a scrape when it starts and stores it when answered. */
  respondAfterMs = 0;

  /** The exporter hangs (accepts scrapes, never answers) or answers again: a stall of this one target, Prometheus running. */
  hang(on: boolean): void {
    if (on) this.hanging ??= new Set();
    else {
      for (const res of this.hanging ?? []) res.destroy();
      this.hanging = undefined;
    }
  }

  async start(tickMs = 100): Promise<number> {
    this.timer = setInterval(() => this.tick(), tickMs);
    this.server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      if (this.hanging) {
        this.hanging.add(res);
        return;
      }
      const answer = () => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(this.render());
      if (this.respondAfterMs > 0) setTimeout(answer, this.respondAfterMs);
      else answer();
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return (this.server?.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.hang(false);
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private tick(): void {
    for (const c of this.clusters.values()) {
      c.starts += c.startsPerTick;
      c.failureCarry += c.startsPerTick * c.failureRatio;
      const whole = Math.floor(c.failureCarry + 1e-9);
      c.failures += whole;
      c.failureCarry -= whole;
    }
  }

  private render(): string {
    const lines = [
      '# HELP gitpod_ws_manager_workspace_starts_total Workspace starts.',
      '# TYPE gitpod_ws_manager_workspace_starts_total counter',
    ];
    const visible = [...this.clusters.entries()].filter(([, c]) => c.visible);
    for (const [name, c] of visible) if (!c.startsFromFirst || c.starts > 0) lines.push(`gitpod_ws_manager_workspace_starts_total{cluster="${name}"} ${c.starts}`);
    lines.push('# HELP gitpod_ws_manager_workspace_starts_failure_total Failed workspace starts.');
    lines.push('# TYPE gitpod_ws_manager_workspace_starts_failure_total counter');
    for (const [name, c] of visible) if (!c.failuresFromFirst || c.failures > 0) lines.push(`gitpod_ws_manager_workspace_starts_failure_total{cluster="${name}"} ${c.failures}`);
    if (this.processStartMs !== undefined) {
      lines.push('# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.');
      lines.push('# TYPE process_start_time_seconds gauge');
      lines.push(`process_start_time_seconds ${(this.processStartMs / 1000).toFixed(3)}`);
    }
    return `${lines.join('\n')}\n`;
  }
}
