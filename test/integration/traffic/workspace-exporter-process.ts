/**
 * A WorkspaceExporter in a process of its own, driven over IPC. Why: the tests that compare exact counts of a real
 * Prometheus' scrapes over ~40 s in real time (prometheus-tiled-window-seams, prometheus-window-ingest-lag) lost
 * scrapes when the exporter shared the test worker's event loop: on a loaded 2-core machine (a CI pair) a stall of a
 * few hundred ms pushed an answer past the 1 s scrape_timeout, Prometheus stored staleness markers, and the counts
 * (and the stored values they were checked against) came out of a scrape that never was. Here the exporter only
 * answers scrapes, ticks, and applies changes in the order they were sent.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { forkBundled } from './exporter-process.js';
import type { WorkspaceExporterMessage } from './workspace-exporter-child.js';
import type { WorkspaceExporter } from './workspace-exporter.js';

/** The parent's handle: WorkspaceExporter's `set`/`addStarts`/`fail`/`respondAfterMs`, applied in the child. */
export class WorkspaceExporterProcess {
  private child?: ChildProcess;
  private dir?: string;

  /** Starts the child, its counters ticking every `tickMs`; answers its port. */
  async start(tickMs = 100): Promise<number> {
    const { child, dir, port } = await forkBundled(join(import.meta.dirname, 'workspace-exporter-child.ts'), [String(tickMs)]);
    Object.assign(this, { child, dir });
    return port;
  }

  set(cluster: string, traffic: Parameters<WorkspaceExporter['set']>[1]): void {
    this.send({ op: 'set', cluster, traffic });
  }

  addStarts(cluster: string, n: number, failed = 0): void {
    this.send({ op: 'addStarts', cluster, n, failed });
  }

  fail(cluster: string, n: number): void {
    this.send({ op: 'fail', cluster, n });
  }

  /** Scrapes are answered this long after they arrive (WorkspaceExporter.respondAfterMs). */
  respondAfter(ms: number): void {
    this.send({ op: 'respondAfter', ms });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  private send(m: WorkspaceExporterMessage): void {
    // A change sent before start() would be lost silently, and the test would count steps that never were.
    if (!this.child?.connected) throw new Error('the workspace exporter is not running: call start() first');
    this.child.send(m);
  }
}
