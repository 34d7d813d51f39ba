/**
 * The shift gated by a real Prometheus (Debian's binary) scraping a workspace
 * exporter: it promotes on healthy data and rolls back on a failure spike of the
 * new cluster. Registries are the sandbox simulators (two meta clusters).
 * CI installs Prometheus with: apt-get update && apt-get install -y prometheus
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../../helpers/require-binary.js';
import { renderSummary } from '../../../src/report/summary.js';
import { createTrafficShiftStep } from '../../../src/steps/traffic/traffic-shift-step.js';
import { startPrometheus, type RunningPrometheus } from '../traffic/prometheus-process.js';
import { WorkspaceExporter } from '../traffic/workspace-exporter.js';
import { createHarness, METAS, scoresOf, waitFor, wideStep, type Harness } from './harness.js';

const hasPrometheus = requireBinary('prometheus', 'the shift gates on a real Prometheus');

const STARTS = 'gitpod_ws_manager_workspace_starts_total{cluster="{{shortName}}"}';
const FAILURES = 'gitpod_ws_manager_workspace_starts_failure_total{cluster="{{shortName}}"}';

function shift(url: string): string {
  return `  steps: [50, 100]
  interval: 3s
  analysis:
    provider: { type: prometheus, url: "${url}", timeout: 2s }
    metrics:
      - name: start-failure-ratio
        query: 'sum(rate(${FAILURES}[{{interval}}])) / sum(rate(${STARTS}[{{interval}}]))'
        threshold: { max: 0.1 }
        minSamples: 5
        samplesQuery: 'sum(increase(${STARTS}[{{interval}}]))'
    sampleDeadline: 30s`;
}

describe.skipIf(!hasPrometheus)('traffic shift gated by a real prometheus', () => {
  const exporter = new WorkspaceExporter();
  let prometheus: RunningPrometheus;
  let h: Harness | undefined;

  beforeAll(async () => {
    exporter.set('eu1', { startsPerTick: 5, failureRatio: 0.02 });
    exporter.set('eu2', { startsPerTick: 5, failureRatio: 0.02 });
    prometheus = await startPrometheus([`127.0.0.1:${await exporter.start(100)}`]);
    await waitFor('a few scrapes', async () => {
      const r = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent('count_over_time(gitpod_ws_manager_workspace_starts_total[10s])')}`);
      const body = (await r.json()) as { data: { result: Array<{ value: [number, string] }> } };
      return body.data.result.length === 2 && body.data.result.every((s) => Number(s.value[1]) >= 4);
    }, 20_000);
  });
  afterAll(async () => {
    await prometheus?.stop();
    await exporter.stop();
  });
  afterEach(async () => h?.close());

  async function setup(): Promise<Harness> {
    const harness = await createHarness(shift(prometheus.url));
    await harness.register('eu1', { cordoned: false, preferability: 'Prefer' });
    await harness.register('eu2', { cordoned: true });
    return harness;
  }

  it('promotes on healthy data', async () => {
    exporter.set('eu2', { failureRatio: 0.02 });
    h = await setup();
    const snap = await h.deploy([createTrafficShiftStep({ pollMs: 100, sandbox: { startsPerSecond: 0 } })]);
    expect(snap.state, JSON.stringify(snap.error)).toBe('succeeded');
    for (const meta of METAS) expect((await h.list(meta)).find((c) => c.name === 'eu2')).toMatchObject({ state: 'AVAILABLE', score: 100 });
  });

  it('rolls back on a failure spike of the new cluster', async () => {
    exporter.set('eu2', { failureRatio: 0.5 });
    h = await setup();
    const before = scoresOf(await h.lists(), ['eu1']);
    const snap = await h.deploy([createTrafficShiftStep({ pollMs: 100, sandbox: { startsPerSecond: 0 } })]);
    expect(snap.state).toBe('failed');
    const message = wideStep(snap, 'traffic-shift')?.error?.message ?? '';
    expect(message).toMatch(/fail: start-failure-ratio failed on gp-dev-ws-eu2-eu-west1 \(rule threshold\.max(\.decisive)?\)/);
    // The numbers (ratio 0.5 against max 0.1) are in the decision the summary explains.
    expect(renderSummary(snap)).toMatch(/start-failure-ratio on gp-dev-ws-eu2-eu-west1: fail, .*(ratio|value) 0\.\d+ > max 0\.1/);
    expect(scoresOf(await h.lists(), ['eu1'])).toEqual(before);
  });
});
