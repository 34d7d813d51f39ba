/**
 * The child side of workspace-exporter-process.ts: serves a WorkspaceExporter's /metrics (argv[2]: its tick in ms),
 * applies the parent's changes in the order they arrive, and exits with the parent.
 */
import { WorkspaceExporter } from './workspace-exporter.js';

export type WorkspaceExporterMessage =
  | { op: 'set'; cluster: string; traffic: Parameters<WorkspaceExporter['set']>[1] }
  | { op: 'addStarts'; cluster: string; n: number; failed: number }
  | { op: 'fail'; cluster: string; n: number }
  | { op: 'respondAfter'; ms: number };

async function runChild(): Promise<void> {
  const exporter = new WorkspaceExporter();
  const port = await exporter.start(Number(process.argv[2] ?? 100));
  const quit = () => void exporter.stop().then(() => process.exit(0));
  process.on('message', (m: WorkspaceExporterMessage) => {
    if (m.op === 'set') exporter.set(m.cluster, m.traffic);
    else if (m.op === 'addStarts') exporter.addStarts(m.cluster, m.n, m.failed);
    else if (m.op === 'fail') exporter.fail(m.cluster, m.n);
    else exporter.respondAfterMs = m.ms;
  });
  process.on('disconnect', quit);
  process.on('SIGTERM', quit);
  process.send?.({ port });
}

if (process.send) void runChild();
