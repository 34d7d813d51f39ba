/**
 * The shift gated by a real Prometheus (Debian's binary) scraping a workspace
 * exporter: it promotes on healthy data and rolls back on a failure spike of the
 * new cluster. Registries are the sandbox simulators (two meta clusters).
 * CI installs Prometheus with: apt-get update && apt-get install -y prometheus
 */
import { describe, expect, it } from 'vitest';
import { requireBinary } from '../../helpers/require-binary.js';
import { renderSummary } from '../../../src/report/summary.js';
import { createTrafficShiftStep } from '../../../src/steps/traffic/traffic-shift-step.js';
import { METAS, scoresOf, wideStep, type Harness } from './harness.js';
import { usePrometheusShift } from './real-prometheus-shift.js';

const hasPrometheus = requireBinary('prometheus', 'the shift gates on a real Prometheus');

describe.skipIf(!hasPrometheus)('traffic shift gated by a real prometheus', () => {
  const { exporter, setup } = usePrometheusShift();
  let h: Harness;

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
