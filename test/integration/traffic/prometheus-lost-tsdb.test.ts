/**
 * Prometheus restarted on an empty TSDB (an emptyDir volume): every series before the restart is gone, on both
 * sides. Neither a healthy canary's first windows after it nor a baseline read from before the shift (now lost) may
 * roll back or promote: the empty windows wait (a gap, bounded by the slower rule) or are the pipeline's error;
 * a comparison whose baseline is gone never passes. Real Prometheus (Debian's binary), 1 s scrapes, 3 s windows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analysisSchema } from '../../../src/traffic/analysis-config.js';
import { evaluateMetric, type MeasurementContext } from '../../../src/traffic/judges/metric-judge.js';
import { PrometheusProvider } from '../../../src/traffic/providers/prometheus.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { waitFor } from '../shift/harness.js';
import { startPrometheus, type RunningPrometheus } from './prometheus-process.js';
import { WorkspaceExporter } from './workspace-exporter.js';
import { measureContext } from './measure-context.js';

const hasPrometheus = requireBinary('prometheus', 'a restart on a lost TSDB is judged against a real Prometheus');

const STARTS = 'gitpod_ws_manager_workspace_starts_total';
const metrics = analysisSchema.parse({
  provider: { type: 'prometheus', url: 'http://127.0.0.1:1' },
  metrics: [
    { name: 'start-rate', query: `sum(rate(${STARTS}{cluster="{{shortName}}"}[{{interval}}]))`, threshold: { min: 1 }, lookback: '3s' },
    { name: 'start-rate-vs-old', query: `sum(rate(${STARTS}{cluster="{{shortName}}"}[{{window}}]))`, lookback: '12s', comparison: { method: 'mann-whitney', resolution: '3s', direction: 'decrease' } },
  ],
}).metrics;

describe.skipIf(!hasPrometheus)('Prometheus restarted on a lost TSDB (real prometheus)', () => {
  const exporter = new WorkspaceExporter();
  let prometheus: RunningPrometheus;
  let provider: PrometheusProvider;
  const count = async (q: string) => Number((await provider.instant(q))[0]?.points.at(-1)?.[1] ?? 0);
  const ctx = (now: number, extra: Partial<MeasurementContext> = {}) => measureContext(provider, now, { new: 'c2', old: 'c1' }, extra);

  beforeAll(async () => {
    for (const c of ['c1', 'c2']) exporter.set(c, { startsPerTick: 5, failureRatio: 0 });
    prometheus = await startPrometheus([`127.0.0.1:${await exporter.start(100)}`], 20_000, 150_000);
    provider = new PrometheusProvider({ url: prometheus.url, timeoutMs: 10_000 });
    await waitFor('15 scrapes', async () => (await count(`min(count_over_time(${STARTS}[20s]))`)) >= 15, 60_000);
  }, 90_000);

  afterAll(async () => {
    await prometheus?.stop();
    await exporter.stop();
  });

  it('neither rolls back nor promotes on the windows the lost TSDB emptied', async () => {
    const before = Date.now() - 1_000; // a baseline from before the shift, stored, then lost
    await prometheus.restart(2_000, { lose: true });
    const back = Date.now();
    expect(await count(`count_over_time(${STARTS}[1h] @ ${before / 1000})`)).toBe(0);
    // Right after the restart: a 3 s window holding at most the first scrape.
    const first = await evaluateMetric(metrics[0] as NonNullable<(typeof metrics)[0]>, ctx(back));
    expect(['wait', 'error']).toContain(first.outcome);
    // A comparison whose baseline (read from before the shift) is lost never passes, whatever the new cluster shows.
    await waitFor('12 s of scrapes after the restart', async () => (await count(`min(count_over_time(${STARTS}[12s]))`)) >= 11, 60_000);
    const compared = await evaluateMetric(metrics[1] as NonNullable<(typeof metrics)[1]>, ctx(Date.now() - 1_000, { baselineAt: new Date(before) }));
    expect(compared.outcome, compared.message).not.toBe('pass');
    expect(compared.outcome, compared.message).not.toBe('fail');
  }, 120_000);
});
