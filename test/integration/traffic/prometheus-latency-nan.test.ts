/**
 * A latency gate (`histogram_quantile` of the startup-time histogram, threshold, with the starts as its samplesQuery)
 * whose value is NaN on real Prometheus while the cluster has starts:
 * - a quiet new cluster whose one start in the window is still starting (ws-manager counts a start when it is asked
 *   for and observes its startup time when the workspace is up): 1 start, no observation, p95 = NaN. Below
 *   minSamples that is too few starts to judge, as a finite p95 on 1 start would be; it was "the cluster may be dead";
 * - a histogram exported without finite buckets (only `le="+Inf"`): histogram_quantile is NaN on every cluster, the
 *   baseline too. The query measures nothing; it was the new cluster's fault ("may be dead") and a rollback.
 * And what must still fail: a new cluster with minSamples starts in the window and not one of them up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analysisSchema } from '../../../src/traffic/analysis-config.js';
import { measure } from '../../../src/traffic/judges/measure.js';
import { ZERO_COUNTERS } from '../../../src/traffic/judges/step-verdict.js';
import { PrometheusProvider } from '../../../src/traffic/providers/prometheus.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { waitFor } from '../shift/harness.js';
import { HistogramExporter, STARTS_COUNTER, STARTUP } from './histogram-exporter.js';
import { measureContext } from './measure-context.js';
import { startPrometheus, type RunningPrometheus } from './prometheus-process.js';

const hasPrometheus = requireBinary('prometheus', 'latency gates are checked against a real Prometheus');

const analysis = analysisSchema.parse({
  provider: { type: 'prometheus', url: 'http://127.0.0.1:1' },
  metrics: [
    {
      name: 'startup-p95',
      query: `histogram_quantile(0.95, sum by (le) (rate(${STARTUP}_bucket{cluster="{{shortName}}"}[{{interval}}])))`,
      samplesQuery: `sum(increase(${STARTS_COUNTER}{cluster="{{shortName}}"}[{{interval}}]))`,
      threshold: { max: 10 },
      minSamples: 5,
    },
  ],
  consecutiveErrorLimit: 0,
});

describe.skipIf(!hasPrometheus)('a latency gate whose value is NaN on a real prometheus', () => {
  const withBuckets = new HistogramExporter([1, 2, 5, 10, 30]);
  const bucketless = new HistogramExporter([]);
  let prometheus: RunningPrometheus;
  let provider: PrometheusProvider;
  let traffic: NodeJS.Timeout;
  /** Clusters whose starts come up (observed) at once, 4 a second, 3 s each. */
  const steady = new Set(['eu17', 'eu30', 'eu31']);

  beforeAll(async () => {
    for (const c of ['eu17', 'eu18', 'eu19']) withBuckets.start(c, 0);
    for (const c of ['eu30', 'eu31']) bucketless.start(c, 0);
    traffic = setInterval(() => {
      for (const c of steady) {
        const exporter = c.startsWith('eu3') ? bucketless : withBuckets;
        exporter.start(c, 1);
        exporter.observe(c, 1, 3);
      }
    }, 250);
    const ports = await Promise.all([withBuckets.listen(), bucketless.listen()]);
    prometheus = await startPrometheus(ports.map((p) => `127.0.0.1:${p}`), 20_000, 120_000);
    provider = new PrometheusProvider({ url: prometheus.url, timeoutMs: 5_000 });
    await waitFor('5 s of scrapes of every cluster', async () => {
      const n = await provider.range(`${STARTUP}_count`, { start: new Date(Date.now() - 5_000), end: new Date(), stepMs: 1_000 });
      return n.length === 5 && n.every((s) => s.points.length >= 5);
    }, 30_000);
  }, 60_000);

  afterAll(async () => {
    clearInterval(traffic);
    await prometheus?.stop();
    await Promise.all([withBuckets.stop(), bucketless.stop()]);
  });

  /** Judged over 10 s windows: the starts a test adds stay in the window for seconds after Prometheus has them. */
  const WINDOW = { intervalMs: 10_000 };

  /** Waits until Prometheus has the cluster's starts counter at `total` for 2 s, after a lower value within the window. */
  async function inWindow(cluster: string, total: number): Promise<void> {
    await waitFor(`${cluster} at ${total} starts for 2 s`, async () => {
      const [s] = await provider.range(`${STARTS_COUNTER}{cluster="${cluster}"}`, { start: new Date(Date.now() - 8_000), end: new Date(), stepMs: 500 });
      const points = s?.points ?? [];
      return points.some((p) => p[1] < total) && points.filter((p) => p[1] === total).length >= 4;
    }, 15_000);
  }

  it('waits for minSamples on a quiet new cluster whose one start in the window is not up yet (p95 NaN), as on a finite p95', async () => {
    withBuckets.start('eu18', 1);
    await inWindow('eu18', 1);
    const m = await measure(analysis, measureContext(provider, Date.now(), { new: 'eu18', old: 'eu17' }, WINDOW), ZERO_COUNTERS);
    const d = m.decisions[0];
    expect(d?.queries.find((q) => q.cluster.includes('eu18') && q.purpose === 'value')?.series).toBe(1);
    expect(d?.warnings.join('\n')).toMatch(/eu18-eu-west1: 1 NaN value/);
    expect(d).toMatchObject({ outcome: 'wait', rule: 'samples.below-minimum' });
    expect(d?.message).toMatch(/startup-p95: [12] samples on gp-prod-ws-eu18-eu-west1, need 5 \(its value is NaN/);
    expect(m.verdict).toBe('wait');
  });

  it('still fails a new cluster with minSamples starts in the window and none of them up', async () => {
    withBuckets.start('eu19', 6);
    await inWindow('eu19', 6);
    const m = await measure(analysis, measureContext(provider, Date.now(), { new: 'eu19', old: 'eu17' }, WINDOW), ZERO_COUNTERS);
    expect(m.decisions[0]).toMatchObject({ outcome: 'fail', rule: 'no-data.new-silent' });
    expect(m.decisions[0]?.message).toMatch(/gp-prod-ws-eu19-eu-west1 reports \d+ starts but its value is NaN: the cluster may be dead/);
    expect(m.verdict).toBe('fail');
  });

  it('does not blame the new cluster when the value is NaN on the baseline too (a histogram without finite buckets): waits, a human past sampleDeadline', async () => {
    const at = Date.now();
    const m = await measure(analysis, measureContext(provider, at, { new: 'eu31', old: 'eu30' }), ZERO_COUNTERS);
    const d = m.decisions[0];
    expect(d?.clusters?.[0]?.samples).toBeGreaterThanOrEqual(5);
    expect(d).toMatchObject({ outcome: 'wait', rule: 'no-data.no-value' });
    expect(d?.message).toMatch(/the value is NaN on gp-prod-ws-eu31-eu-west1 and the baseline \(gp-prod-ws-eu30-eu-west1\) has none either, though both had starts: the query measures nothing/);
    const late = await measure(analysis, measureContext(provider, at, { new: 'eu31', old: 'eu30' }, { elapsedInStepMs: 600_000 }), ZERO_COUNTERS);
    expect(late.decisions[0]).toMatchObject({ outcome: 'inconclusive' });
    expect(late.verdict).not.toBe('fail');
  });
});
