/**
 * A tiled window (a proportion metric's window starts where its previous counted one ended) is short when the
 * previous measurement ran late and this one is on time, and negative when evaluation times come out of order
 * (a clock stepped back). On a real Prometheus a window shorter than two scrapes holds one sample or none, so
 * rate()/increase() answer nothing on some or all clusters: judged, that is "no data on both sides" (an error
 * toward the halt), a gap, or worse a second gap (stopped reporting) of a healthy cluster. The gate must wait
 * without reading it, so the next window starts where this one would have. Real Prometheus (Debian's binary),
 * one exporter scraped every second.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateMetric, type MeasurementContext } from '../../../src/traffic/judges/metric-judge.js';
import { PrometheusProvider } from '../../../src/traffic/providers/prometheus.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { waitFor } from '../shift/harness.js';
import { startPrometheus, type RunningPrometheus } from './prometheus-process.js';
import { startFailureRatioAnalysis, target } from './measure-context.js';
import { WorkspaceExporter } from './workspace-exporter.js';

const hasPrometheus = requireBinary('prometheus', 'a late tiled window is read from a real Prometheus');

const metric = startFailureRatioAnalysis().metrics[0]!;

describe.skipIf(!hasPrometheus)('a tiled window that covers fewer than two scrapes (real prometheus)', () => {
  const exporter = new WorkspaceExporter();
  let prometheus: RunningPrometheus;
  let provider: PrometheusProvider;

  const ctx = (now: number, windowStart: number, extra: Partial<MeasurementContext> = {}): MeasurementContext => ({
    provider,
    newClusters: [target('eu18')],
    oldClusters: [target('eu17')],
    intervalMs: 5_000,
    now: new Date(now),
    elapsedInStepMs: 5_000,
    sampleDeadlineMs: 60_000,
    reported: new Set([target('eu18').cluster]),
    windowStarts: { [metric.name]: windowStart },
    ...extra,
  });

  beforeAll(async () => {
    exporter.set('eu17', { startsPerTick: 5, failureRatio: 0.02 });
    exporter.set('eu18', { startsPerTick: 5, failureRatio: 0.02 });
    prometheus = await startPrometheus([`127.0.0.1:${await exporter.start(100)}`], 20_000, 120_000);
    provider = new PrometheusProvider({ url: prometheus.url, timeoutMs: 5_000 });
    await waitFor('7 s of scrapes', async () => {
      const n = await provider.range('gitpod_ws_manager_workspace_starts_total', { start: new Date(Date.now() - 7_000), end: new Date(), stepMs: 1_000 });
      return n.length === 2 && n.every((s) => s.points.length >= 7);
    }, 30_000);
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await exporter.stop();
  });

  it('waits, reading nothing, when the window since the last counted one is shorter than two scrapes, or runs backwards', async () => {
    const now = Date.now() - 1_500;
    // Premise: Prometheus answers nothing (or one cluster only) for such a window, and a full one for the usual span.
    const short = await provider.instant(`sum(increase(gitpod_ws_manager_workspace_starts_total[700ms])) by (cluster)`, { time: new Date(now) });
    expect(short.length).toBeLessThan(2);
    for (const [windowStart, extra] of [
      [now - 700, { scrapeIntervalMs: 1_000 }],
      [now - 700, {}],
      [now + 2_000, { scrapeIntervalMs: 1_000 }],
    ] as const) {
      const d = await evaluateMetric(metric, ctx(now, windowStart, extra));
      expect(d, JSON.stringify(d)).toMatchObject({ outcome: 'wait', rule: 'window.too-short' });
      expect(d.queries).toEqual([]);
      expect(d.clusters).toBeUndefined();
      expect(d.message).toMatch(/the previous measurement ran late|out of order/);
    }
    // A window of the metric's own span is read and judged as usual.
    const d = await evaluateMetric(metric, ctx(now, now - 5_000, { scrapeIntervalMs: 1_000 }));
    expect(d).toMatchObject({ outcome: 'pass' });
  });
});
