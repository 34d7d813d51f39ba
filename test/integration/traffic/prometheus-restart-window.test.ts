/**
 * A Prometheus restart is no reason to roll back. With `scrapeInterval` known, a new cluster that reported before
 * and has no series in a window of ≥ 3 scrapes "stopped reporting" at once: one missed scrape leaves 2 samples, enough
 * for rate(). After a restart that premise is gone for every target: they resume at their own scrape offsets, and a
 * live new cluster may have one sample in the window (no rate()) where the old clusters already have two. The judge
 * asks whether Prometheus restarted inside the window, and whether the new cluster's own targets were scraped
 * throughout it (sum_over_time(up[…]) of the targets that exposed its series), and if not takes the empty window
 * for a gap (wait). Real Prometheus (Debian's binary), restarted on its own TSDB, scraping three exporters
 * (three targets: three scrape offsets); the evaluation time is chosen from the samples Prometheus stored, not from
 * wall-clock timing, so a loaded machine changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analysisSchema } from '../../../src/traffic/analysis-config.js';
import { evaluateMetric } from '../../../src/traffic/judges/metric-judge.js';
import { PrometheusProvider } from '../../../src/traffic/providers/prometheus.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { waitFor } from '../shift/harness.js';
import { startPrometheus, type RunningPrometheus } from './prometheus-process.js';
import { WorkspaceExporter } from './workspace-exporter.js';
import { measureContext } from './measure-context.js';

const hasPrometheus = requireBinary('prometheus', 'the stopped-reporting rule across a Prometheus restart runs a real Prometheus');

const SHORT = ['c1', 'c2', 'c3'] as const;
const STARTS = 'gitpod_ws_manager_workspace_starts_total';
/** 3 s windows, 1 s scrapes (prometheus-process.ts): the fast rule's 3 scrapes. */
const metric = analysisSchema.parse({
  provider: { type: 'prometheus', url: 'http://127.0.0.1:1' },
  metrics: [{ name: 'start-rate', query: `sum(rate(${STARTS}{cluster="{{shortName}}"}[{{interval}}]))`, threshold: { min: 1 }, lookback: '3s' }],
}).metrics[0];
const DOWN_MS = 6_000;

describe.skipIf(!hasPrometheus)('an empty window after a Prometheus restart (real prometheus)', () => {
  const exporters = SHORT.map(() => new WorkspaceExporter());
  let prometheus: RunningPrometheus;
  let provider: PrometheusProvider;

  /** Raw sample timestamps (ms) per cluster in the last `seconds`, as Prometheus stored them. */
  async function sampleTimes(seconds: number): Promise<Map<string, number[]>> {
    const r = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(`${STARTS}[${seconds}s]`)}`);
    const body = (await r.json()) as { data: { result: Array<{ metric: { cluster: string }; values: Array<[number, string]> }> } };
    return new Map(body.data.result.map((s) => [s.metric.cluster, s.values.map(([t]) => Math.round(t * 1000))]));
  }
  /** The samples after the outage: those after the last gap longer than the window. */
  const afterOutage = (times: number[]) => times.slice(times.findLastIndex((t, i) => i > 0 && t - (times[i - 1] ?? t) > 3_000));
  const ctx = (now: Date, clusters: { old: string; new: string }) => measureContext(provider, now, clusters);

  beforeAll(async () => {
    const ports = await Promise.all(
      exporters.map((e, i) => {
        e.set(SHORT[i] as string, { startsPerTick: 5, failureRatio: 0 });
        return e.start(100);
      }),
    );
    prometheus = await startPrometheus(ports.map((p) => `127.0.0.1:${p}`), 20_000, 240_000);
    provider = new PrometheusProvider({ url: prometheus.url, timeoutMs: 10_000 });
    await waitFor('5 scrapes of every exporter', async () => [...(await sampleTimes(10)).values()].filter((t) => t.length >= 5).length === SHORT.length, 60_000);
  }, 90_000);

  afterAll(async () => {
    await prometheus?.stop();
    await Promise.all(exporters.map((e) => e.stop()));
  });

  it('waits (a gap) where a live cluster has one sample after the restart and the old cluster two, and still fails a dead one at once', async () => {
    const stoppedAt = Date.now();
    await prometheus.restart(DOWN_MS);
    // runtimeinfo's startTime, as the judge reads it: the new process started after the old one was stopped.
    expect((await provider.startedAt())?.getTime()).toBeGreaterThan(stoppedAt);
    let resumed = new Map<string, number[]>();
    await waitFor('3 scrapes of every exporter after the restart', async () => {
      resumed = new Map([...(await sampleTimes(60)).entries()].map(([c, t]) => [c, afterOutage(t)]));
      return resumed.size === SHORT.length && [...resumed.values()].every((t) => t.length >= 3);
    }, 60_000);
    // The target scraped first after the restart is the old cluster, the last the new one: there is a time when the
    // old one has its second sample and the new one only its first.
    const bySecond = [...resumed.entries()].sort(([, a], [, b]) => (a[1] ?? 0) - (b[1] ?? 0));
    const [oldCluster, oldTimes] = bySecond[0] ?? ['', []];
    const [newCluster, newTimes] = bySecond.at(-1) ?? ['', []];
    const at = Math.max(oldTimes[1] ?? 0, newTimes[0] ?? 0);
    expect(at, `scrape offsets: ${JSON.stringify(Object.fromEntries(resumed))}`).toBeLessThan(newTimes[1] ?? 0);
    const clusters = { old: oldCluster.replace(/^gp-prod-ws-|-eu-west1$/g, ''), new: newCluster.replace(/^gp-prod-ws-|-eu-west1$/g, '') };

    const d = await evaluateMetric(metric as NonNullable<typeof metric>, ctx(new Date(at), clusters));
    // The premise of the test holds: the old cluster has its rate, the new one none.
    expect(d.queries.find((q) => q.side === 'old')?.values.length).toBe(1);
    expect(d.queries.find((q) => q.side === 'new')?.series).toBe(0);
    expect(d.outcome).toBe('wait');
    expect(d.clusters?.[0]).toMatchObject({ outcome: 'wait', rule: 'no-data.gap' });
    // Told by Prometheus' start time (runtimeinfo) when the restart is inside the window, else by its target's up.
    expect(d.message).toMatch(
      /\(Prometheus \(re\)started at \S+, inside the 3s window, and the targets resumed at their own scrape offsets: no evidence against the cluster\)|\(its scrape targets were not scraped throughout the 3s window \(a target that exposed its series had [0-2] successful scrapes \(up = 1\) of 3 of 1s: its exporter hung or failed, or Prometheus stalled or restarted\): no evidence against the cluster\)/,
    );

    // A new cluster that really stops reporting, with Prometheus scraping throughout, still fails at once.
    exporters[SHORT.indexOf(clusters.new as (typeof SHORT)[number])]?.set(clusters.new, { visible: false });
    const hiddenAt = Date.now();
    let decided: Awaited<ReturnType<typeof evaluateMetric>> | undefined;
    await waitFor('a window after the new cluster vanished in which Prometheus scraped every second', async () => {
      const now = Date.now();
      if (now - 3_000 < hiddenAt + 1_000) return false;
      const full = await provider.targetScrapes([`${STARTS}{cluster="${clusters.new}"}`], 3_000, 60_000, { time: new Date(now) });
      if ((full ?? 0) < 3) return false;
      decided = await evaluateMetric(metric as NonNullable<typeof metric>, ctx(new Date(now), clusters));
      return true;
    }, 60_000);
    expect(decided?.clusters?.[0]).toMatchObject({ outcome: 'fail', rule: 'no-data.stopped-reporting' });
  }, 180_000);
});
