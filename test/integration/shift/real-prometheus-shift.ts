/**
 * The setup the shift's real-Prometheus suites share: Debian's Prometheus scraping a workspace exporter of two
 * clusters, eu1 serving and eu2 new (cordoned), and a shift section gated by eu2's start-failure ratio.
 * `usePrometheusShift()` registers the suite's hooks; each test sets the exporter, then calls `setup()`.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startPrometheus, type RunningPrometheus } from '../traffic/prometheus-process.js';
import { WorkspaceExporter } from '../traffic/workspace-exporter.js';
import { createHarness, waitFor, type Harness } from './harness.js';

const STARTS = 'gitpod_ws_manager_workspace_starts_total{cluster="{{shortName}}"}';
const FAILURES = 'gitpod_ws_manager_workspace_starts_failure_total{cluster="{{shortName}}"}';

/** Two steps 3 s apart gated by the start-failure ratio (max 0.1, at least 5 starts); `analysis` adds lines to the analysis. */
function shiftSection(url: string, analysis: string[]): string {
  return `  steps: [50, 100]
  interval: 3s
  analysis:
    provider: { type: prometheus, url: "${url}", timeout: 2s }
${analysis.map((line) => `    ${line}\n`).join('')}    metrics:
      - name: start-failure-ratio
        query: 'sum(rate(${FAILURES}[{{interval}}])) / sum(rate(${STARTS}[{{interval}}]))'
        threshold: { max: 0.1 }
        minSamples: 5
        samplesQuery: 'sum(increase(${STARTS}[{{interval}}]))'
    sampleDeadline: 30s`;
}

export function usePrometheusShift(options: { analysis?: string[] } = {}): { exporter: WorkspaceExporter; setup(): Promise<Harness> } {
  const exporter = new WorkspaceExporter();
  let prometheus: RunningPrometheus | undefined;
  let harness: Harness | undefined;

  beforeAll(async () => {
    exporter.set('eu1', { startsPerTick: 5, failureRatio: 0.02 });
    exporter.set('eu2', { startsPerTick: 5, failureRatio: 0.02 });
    const running = await startPrometheus([`127.0.0.1:${await exporter.start(100)}`]);
    prometheus = running;
    await waitFor('a few scrapes', async () => {
      const r = await fetch(`${running.url}/api/v1/query?query=${encodeURIComponent('count_over_time(gitpod_ws_manager_workspace_starts_total[10s])')}`);
      const body = (await r.json()) as { data: { result: Array<{ value: [number, string] }> } };
      return body.data.result.length === 2 && body.data.result.every((s) => Number(s.value[1]) >= 4);
    }, 20_000);
  });
  afterAll(async () => {
    await prometheus?.stop();
    await exporter.stop();
  });
  afterEach(async () => harness?.close());

  return {
    exporter,
    async setup(): Promise<Harness> {
      if (!prometheus) throw new Error('usePrometheusShift: Prometheus did not start');
      harness = await createHarness(shiftSection(prometheus.url, options.analysis ?? []));
      await harness.register('eu1', { cordoned: false, preferability: 'Prefer' });
      await harness.register('eu2', { cordoned: true });
      return harness;
    },
  };
}
