/**
 * A stall of the canary's own target, Prometheus running: its exporter hangs, every scrape of it times out
 * (`up` 0), its series go stale, while the other targets keep `up` full. The fast "stopped reporting" rule
 * (an empty window of ≥ 3 scrapes fails at once) must not take that for a dead cluster: its premise is that the
 * canary's target was scraped throughout, and a count of `up` over every target says nothing about this one.
 * The empty window is a gap (wait); a second one in a row still fails (the slower rule). A canary whose target
 * answers every scrape without its series still fails at once. Real Prometheus (Debian's binary), three
 * exporters scraped every second; evaluation times are in the past, after Prometheus stored their samples.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analysisSchema } from '../../../src/traffic/analysis-config.js';
import { evaluateMetric, type MeasurementContext } from '../../../src/traffic/judges/metric-judge.js';
import { PrometheusProvider } from '../../../src/traffic/providers/prometheus.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { waitFor } from '../shift/harness.js';
import { startPrometheus, type RunningPrometheus } from './prometheus-process.js';
import { WorkspaceExporter } from './workspace-exporter.js';
import { measureContext, target } from './measure-context.js';

const hasPrometheus = requireBinary('prometheus', 'a stall of one scrape target is judged against a real Prometheus');

const SHORT = ['c1', 'c2', 'c3'] as const;
const STARTS = 'gitpod_ws_manager_workspace_starts_total';
/** 3 s windows, 1 s scrapes (prometheus-process.ts): the fast rule's 3 scrapes. */
const metric = analysisSchema.parse({
  provider: { type: 'prometheus', url: 'http://127.0.0.1:1' },
  metrics: [{ name: 'start-rate', query: `sum(rate(${STARTS}{cluster="{{shortName}}"}[{{interval}}]))`, threshold: { min: 1 }, lookback: '3s' }],
}).metrics[0] as NonNullable<ReturnType<typeof analysisSchema.parse>['metrics'][0]>;

describe.skipIf(!hasPrometheus)("a stall of the canary's own scrape target (real prometheus)", () => {
  const exporters = SHORT.map(() => new WorkspaceExporter());
  let prometheus: RunningPrometheus;
  let provider: PrometheusProvider;
  let ports: number[] = [];
  const up = (i: number) => `up{instance="127.0.0.1:${ports[i] ?? 0}"}`;

  const instant = async (query: string, at: number) => {
    const r = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(query)}&time=${at / 1000}`);
    return ((await r.json()) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } }).data.result;
  };
  const ctx = (at: number, newShort: string, extra: Partial<MeasurementContext> = {}) => measureContext(provider, at, { new: newShort, old: 'c1' }, extra);

  beforeAll(async () => {
    ports = await Promise.all(
      exporters.map((e, i) => {
        e.set(SHORT[i] as string, { startsPerTick: 5, failureRatio: 0 });
        return e.start(100);
      }),
    );
    prometheus = await startPrometheus(ports.map((p) => `127.0.0.1:${p}`), 20_000, 240_000);
    provider = new PrometheusProvider({ url: prometheus.url, timeoutMs: 10_000 });
    await waitFor('5 scrapes of every exporter', async () => (await instant(`count_over_time(${STARTS}[10s]) >= 5`, Date.now())).length === SHORT.length, 60_000);
  }, 90_000);

  afterAll(async () => {
    await prometheus?.stop();
    await Promise.all(exporters.map((e) => e.stop()));
  });

  it('takes the empty window of a hung target for a gap, not a dead cluster, while other targets keep up full', async () => {
    const hungAt = Date.now();
    exporters[1]?.hang(true);
    let at = 0;
    // A window after the hang began (its last good sample is older), in the past (stored), Prometheus scraping throughout.
    await waitFor('a 3s window without c2 in which Prometheus scraped every other target every second', async () => {
      at = Date.now() - 1_500;
      if (at - 3_000 < hungAt + 1_500) return false;
      const full = await instant('max(count_over_time(up[3s]))', at);
      const c2 = await instant(`count_over_time(${STARTS}{cluster="c2"}[3s])`, at);
      return Number(full[0]?.value[1] ?? 0) >= 3 && c2.length === 0;
    }, 60_000);
    // Premise: Prometheus did not restart in the window, and the hung target's scrapes failed (up 0), not stopped.
    expect((await provider.startedAt())?.getTime()).toBeLessThan(at - 3_000);
    expect(Number((await instant(`sum_over_time(${up(1)}[3s])`, at))[0]?.value[1] ?? -1)).toBe(0);

    const d = await evaluateMetric(metric, ctx(at, 'c2'));
    expect(d.queries.find((q) => q.side === 'new')?.series).toBe(0);
    expect(d.clusters?.[0]).toMatchObject({ outcome: 'wait', rule: 'no-data.gap' });
    expect(d.outcome).toBe('wait');
    // A second empty window in a row is the slower rule: it stopped reporting.
    const again = await evaluateMetric(metric, ctx(at, 'c2', { gaps: { [metric.name]: [target('c2').cluster] } }));
    expect(again.clusters?.[0]).toMatchObject({ outcome: 'fail', rule: 'no-data.stopped-reporting' });
    exporters[1]?.hang(false);
  }, 120_000);

  it("still fails at once when the canary's target answers every scrape without its series", async () => {
    exporters[2]?.set('c3', { visible: false });
    const hiddenAt = Date.now();
    let decided: Awaited<ReturnType<typeof evaluateMetric>> | undefined;
    await waitFor('a window after c3 vanished, its target scraped every second', async () => {
      const at = Date.now() - 1_500;
      if (at - 3_000 < hiddenAt + 1_500) return false;
      const scraped = await instant(`sum_over_time(${up(2)}[3s])`, at);
      if (Number(scraped[0]?.value[1] ?? 0) < 3) return false;
      decided = await evaluateMetric(metric, ctx(at, 'c3'));
      return true;
    }, 60_000);
    expect(decided?.clusters?.[0]).toMatchObject({ outcome: 'fail', rule: 'no-data.stopped-reporting' });
  }, 120_000);

});
