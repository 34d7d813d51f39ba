/**
 * The child side of exporter-process.ts: serves the scenario exporter's /metrics,
 * applies the parent's changes the moment they arrive, and exits with the parent.
 */
import { ScenarioExporter, type Traffic } from './scenario-exporter.js';

export type ExporterMessage = { op: 'set'; scenario: string; cluster: string; traffic: Partial<Traffic> } | { op: 'visible'; scenario: string; visible: boolean };

async function runChild(): Promise<void> {
  const exporter = new ScenarioExporter();
  const port = await exporter.start();
  const quit = () => void exporter.stop().then(() => process.exit(0));
  process.on('message', (m: ExporterMessage) => {
    if (m.op === 'set') exporter.set(m.scenario, m.cluster, m.traffic);
    else exporter.setScenarioVisible(m.scenario, m.visible);
  });
  process.on('disconnect', quit);
  process.on('SIGTERM', quit);
  process.send?.({ port });
}

if (process.send) void runChild();
