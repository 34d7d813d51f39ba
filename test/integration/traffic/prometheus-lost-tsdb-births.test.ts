/**
 * Prometheus restarted on an empty TSDB (an emptyDir volume) mid-shift: every series comes back at the total its
 * exporter has counted since ws-manager started, with no sample before. The judge counts a failure or start series
 * "born in the window" from 0 (counter-births.ts: a labelled counter's first failure, which rate() misses); taken for
 * born here, a cluster's whole history entered one window: a new cluster whose first starts failed while it was set
 * up (100 of 120), healthy since, failed its gate at the first window after the loss ("30 % of 300 starts"), a
 * rollback. A series counts as born only where its target was scraped before the window, or its process started in or
 * shortly before it (a new pod: prometheus-new-pod-births.test.ts). Real Prometheus, 1 s scrapes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measure } from '../../../src/traffic/judges/measure.js';
import { ZERO_COUNTERS } from '../../../src/traffic/judges/step-verdict.js';
import { PrometheusProvider } from '../../../src/traffic/providers/prometheus.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { waitFor } from '../shift/harness.js';
import { measureContext, STARTS, startFailureRatioAnalysis } from './measure-context.js';
import { startPrometheus, type RunningPrometheus } from './prometheus-process.js';
import { WorkspaceExporter } from './workspace-exporter.js';

const hasPrometheus = requireBinary('prometheus', 'counter births after a lost TSDB are judged against a real Prometheus');

const analysis = startFailureRatioAnalysis();

describe.skipIf(!hasPrometheus)('series after a lost TSDB are not born in the window (real prometheus)', () => {
  const exporter = new WorkspaceExporter();
  let prometheus: RunningPrometheus;
  let provider: PrometheusProvider;

  /** Times (ms) of the raw samples Prometheus holds for a selector in the last `range`. */
  async function sampleTimes(selector: string, range: string): Promise<number[]> {
    const raw = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(`${selector}[${range}]`)}`);
    const body = (await raw.json()) as { data: { result: Array<{ values: Array<[number, string]> }> } };
    return (body.data.result[0]?.values ?? []).map(([t]) => Math.round(t * 1000));
  }

  beforeAll(async () => {
    exporter.set('c1', { startsPerTick: 1, failureRatio: 0.02 });
    exporter.set('c2', { startsPerTick: 1, failureRatio: 0 });
    // The new cluster's first starts failed while it was set up; it has been healthy since. Its ws-manager started
    // then, half an hour ago, and says so (process_start_time_seconds): a process that old is no new pod.
    exporter.processStartMs = Date.now() - 30 * 60_000;
    exporter.addStarts('c2', 120, 100);
    prometheus = await startPrometheus([`127.0.0.1:${await exporter.start(100)}`], 20_000, 150_000);
    provider = new PrometheusProvider({ url: prometheus.url, timeoutMs: 10_000 });
    await waitFor('10 s of scrapes', async () => (await sampleTimes(STARTS.replace('{{shortName}}', 'c2'), '10s')).length >= 9, 60_000);
  }, 90_000);

  afterAll(async () => {
    await prometheus?.stop();
    await exporter.stop();
  });

  it('judges the first windows after the loss on what happened in them, not on the totals since ws-manager started', async () => {
    const healthyBefore = await measure(analysis, measureContext(provider, Date.now() - 500, { new: 'c2', old: 'c1' }), ZERO_COUNTERS);
    expect(healthyBefore.decisions[0], healthyBefore.decisions[0]?.message).toMatchObject({ outcome: 'pass' });
    await prometheus.restart(1_000, { lose: true });
    let times: number[] = [];
    await waitFor('three scrapes after the restart', async () => (times = await sampleTimes(STARTS.replace('{{shortName}}', 'c2'), '30s')).length >= 3, 30_000);
    // A 3 s window holding the first three samples after the loss (the first within its first 0.9 s).
    const at = (times[0] ?? 0) + 2_900;
    const m = await measure(analysis, measureContext(provider, at, { new: 'c2', old: 'c1' }), ZERO_COUNTERS);
    const d = m.decisions[0];
    expect(d?.clusters?.[0]?.failures, d?.message).toBe(0);
    expect(d?.clusters?.[0]?.samples ?? 0, d?.message).toBeLessThan(60);
    expect(d?.outcome, d?.message).not.toBe('fail');
    expect(d?.warnings.join('\n')).not.toMatch(/began in the window/);
  }, 90_000);
});
