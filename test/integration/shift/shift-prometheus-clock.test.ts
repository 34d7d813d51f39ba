/**
 * The shift on a machine whose clock is ahead of the Prometheus server's (a laptop without NTP, a VM resumed from a
 * snapshot): windows ending at this clock's now lie in Prometheus' future. Before, a 3 s window 30 s ahead read no
 * sample on any cluster, every measurement said "the metrics pipeline looks broken", and the healthy shift halted
 * and rolled back. The measurement is evaluated at Prometheus' time (src/traffic/evaluation-time.ts), saying so.
 * Real Prometheus (Debian's binary) scraping the workspace exporter; registries are the sandbox simulators.
 */
import { describe, expect, it } from 'vitest';
import { requireBinary } from '../../helpers/require-binary.js';
import { realClock } from '../../../src/traffic/clock.js';
import type { Clock } from '../../../src/traffic/shift-ports.js';
import { createTrafficShiftStep } from '../../../src/steps/traffic/traffic-shift-step.js';
import { METAS, scoresOf, wideStep, type Harness } from './harness.js';
import { usePrometheusShift } from './real-prometheus-shift.js';

const hasPrometheus = requireBinary('prometheus', 'the shift gates on a real Prometheus');

/** How far this test's shift clock runs ahead of the machine's (and so of Prometheus'). */
const AHEAD_MS = 30_000;
const ahead: Clock = { now: () => Date.now() + AHEAD_MS, sleep: realClock.sleep };

describe.skipIf(!hasPrometheus)('traffic shift with its clock ahead of prometheus', () => {
  const { exporter, setup } = usePrometheusShift({ analysis: ['scrapeInterval: 1s'] });
  let h: Harness;

  const measurements = (harness: Harness) => harness.sink.events.filter((e) => e.code === 'traffic.measurement');

  it('promotes on healthy data, measuring at Prometheus\' time and saying the clock is ahead', async () => {
    exporter.set('eu2', { failureRatio: 0.02 });
    h = await setup();
    const snap = await h.deploy([createTrafficShiftStep({ pollMs: 100, clock: ahead, sandbox: { startsPerSecond: 0 } })]);
    expect(snap.state, JSON.stringify(snap.error)).toBe('succeeded');
    for (const meta of METAS) expect((await h.list(meta)).find((c) => c.name === 'eu2')).toMatchObject({ state: 'AVAILABLE', score: 100 });
    const first = measurements(h)[0]?.data as { at: string; decisions: Array<{ warnings: string[] }> } | undefined;
    // Evaluated at Prometheus' time: well behind the shift's clock.
    expect(Date.parse(first?.at ?? '')).toBeLessThan(ahead.now() - AHEAD_MS / 2);
    // At 100 % the baseline is read from before the shift began, in Prometheus' time too (not 30 s into its future).
    const atFull = measurements(h).map((e) => e.data as { at: string; percent: number; decisions: Array<{ clusters?: Array<{ baseline?: { at: string } }> }> }).filter((d) => d.percent === 100);
    expect(atFull.length).toBeGreaterThan(0);
    for (const d of atFull) expect(Date.parse(d.decisions[0]?.clusters?.[0]?.baseline?.at ?? '')).toBeLessThan(Date.parse(first?.at ?? ''));
    expect(first?.decisions[0]?.warnings.join('\n')).toMatch(/this machine's clock is \S+ ahead of prometheus http:\/\/127\.0\.0\.1:\d+'s: measured at its time .*synchronise the clock \(NTP\)/);
  });

  it('still rolls back on a failure spike of the new cluster', async () => {
    exporter.set('eu2', { failureRatio: 0.5 });
    h = await setup();
    const before = scoresOf(await h.lists(), ['eu1']);
    const snap = await h.deploy([createTrafficShiftStep({ pollMs: 100, clock: ahead, sandbox: { startsPerSecond: 0 } })]);
    expect(snap.state).toBe('failed');
    expect(wideStep(snap, 'traffic-shift')?.error?.message ?? '').toMatch(/fail: start-failure-ratio failed on gp-dev-ws-eu2-eu-west1 \(rule threshold\.max(\.decisive)?\)/);
    expect(scoresOf(await h.lists(), ['eu1'])).toEqual(before);
  });
});
