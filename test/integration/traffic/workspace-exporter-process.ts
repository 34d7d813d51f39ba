/**
 * A WorkspaceExporter in a process of its own, driven over IPC. Why: the tests that compare exact counts of a real
 * Prometheus' scrapes over ~40 s in real time (prometheus-tiled-window-seams, prometheus-window-ingest-lag) lost
 * scrapes when the exporter shared the test worker's event loop: on a loaded 2-core machine (a CI pair) a stall of a
 * few hundred ms pushed an answer past the 1 s scrape_timeout, Prometheus stored staleness markers, and the counts
 * (and the stored values they were checked against) came out of a scrape that never was. Here the exporter only
 * answers scrapes, ticks, and applies changes in the order they were sent.
 */
import { join } from 'node:path';
import { BundledChild } from './exporter-process.js';
import type { WorkspaceExporterMessage } from './workspace-exporter-child.js';
import type { WorkspaceExporter } from './workspace-exporter.js';

/** The parent's handle: WorkspaceExporter's `set`/`addStarts`/`fail`/`respondAfterMs`, applied in the child. */
export class WorkspaceExporterProcess extends BundledChild<WorkspaceExporterMessage> {
  constructor() {
    super(join(import.meta.dirname, 'workspace-exporter-child.ts'), 'workspace exporter');
  }

  /** Starts the child, its counters ticking every `tickMs`; answers its port. */
  start(tickMs = 100): Promise<number> {
    return this.launch([String(tickMs)]);
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
}
