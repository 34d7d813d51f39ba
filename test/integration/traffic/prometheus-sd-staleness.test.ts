/**
 * A target that leaves service discovery mid-shift (file_sd: the targets file rewritten without it), on a real
 * Prometheus (Debian's binary). Prometheus stops scraping it and writes staleness markers for its series, so they
 * end at once instead of lingering 5 minutes. The canary's target leaving is "stopped reporting": its first empty
 * window a gap (no `up` of its own in the window: the slower rule), the next one a fail, within the documented one
 * lookback + two intervals; never a pass. Back in service discovery, it is measured again (a pass on fresh samples,
 * also after a gap). The baseline's target leaving never fails the canary. Evaluation times are in the past, after
 * Prometheus stored their samples; 3 s windows, 1 s scrapes.
 */
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analysisSchema } from '../../../src/traffic/analysis-config.js';
import { evaluateMetric, type MeasurementContext } from '../../../src/traffic/judges/metric-judge.js';
import { PrometheusProvider } from '../../../src/traffic/providers/prometheus.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { waitFor } from '../shift/harness.js';
import { startPrometheus, type RunningPrometheus } from './prometheus-process.js';
import { WorkspaceExporter } from './workspace-exporter.js';

const hasPrometheus = requireBinary('prometheus', 'a target leaving service discovery is judged against a real Prometheus');

const target = (short: string) => ({ cluster: `gp-prod-ws-${short}-eu-west1`, shortName: short, region: 'europe-west1' });
const STARTS = 'gitpod_ws_manager_workspace_starts_total';
const FAILURES = 'gitpod_ws_manager_workspace_starts_failure_total';
const analysis = analysisSchema.parse({
  provider: { type: 'prometheus', url: 'http://127.0.0.1:1' },
  metrics: [
    { name: 'start-rate', query: `sum(rate(${STARTS}{cluster="{{shortName}}"}[{{interval}}]))`, threshold: { min: 1 }, lookback: '3s' },
    {
      name: 'start-failure-ratio',
      query: `sum(rate(${FAILURES}{cluster="{{shortName}}"}[{{interval}}])) / sum(rate(${STARTS}{cluster="{{shortName}}"}[{{interval}}]))`,
      samplesQuery: `sum(increase(${STARTS}{cluster="{{shortName}}"}[{{interval}}]))`,
      threshold: { max: 0.2 },
      minSamples: 20,
      lookback: '3s',
    },
  ],
});
const [rateMetric, ratioMetric] = analysis.metrics as [(typeof analysis.metrics)[0], (typeof analysis.metrics)[0]];

describe.skipIf(!hasPrometheus)('a target leaving service discovery (real prometheus, file_sd)', () => {
  const oldExporter = new WorkspaceExporter();
  const newExporter = new WorkspaceExporter();
  let prometheus: RunningPrometheus;
  let provider: PrometheusProvider;
  let dir = '';
  let sdFile = '';
  const addr: Record<'old' | 'new', string> = { old: '', new: '' };

  const instant = async (query: string, at = Date.now()) => {
    const r = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(query)}&time=${at / 1000}`);
    return ((await r.json()) as { data: { result: Array<{ value: [number, string] }> } }).data.result;
  };
  const ctx = (at: number, extra: Partial<MeasurementContext> = {}): MeasurementContext => ({
    provider,
    newClusters: [target('new')],
    oldClusters: [target('old')],
    intervalMs: 3_000,
    now: new Date(at),
    elapsedInStepMs: 3_000,
    sampleDeadlineMs: 600_000,
    scrapeIntervalMs: 1_000,
    reported: new Set([target('new').cluster]),
    ...extra,
  });
  /** Rewrites the file_sd targets and waits until Prometheus scrapes exactly those; returns when it did. */
  const discover = async (which: ReadonlyArray<'old' | 'new'>): Promise<number> => {
    // Written aside and renamed over it: Prometheus never reads half a file.
    await writeFile(`${sdFile}.tmp`, JSON.stringify([{ targets: which.map((w) => addr[w]), labels: {} }]));
    await rename(`${sdFile}.tmp`, sdFile);
    await waitFor(`service discovery of ${which.join(', ') || 'no target'}`, async () => {
      const r = (await (await fetch(`${prometheus.url}/api/v1/targets`)).json()) as { data: { activeTargets: Array<{ labels: { instance: string } }> } };
      const seen = r.data.activeTargets.map((t) => t.labels.instance).sort();
      return JSON.stringify(seen) === JSON.stringify(which.map((w) => addr[w]).sort());
    }, 30_000);
    return Date.now();
  };
  /** A time in the past whose 3 s window starts after `since` (+ a scrape), once Prometheus has stored it. */
  const windowAfter = async (since: number): Promise<number> => {
    let at = 0;
    await waitFor('a stored 3 s window after the change', async () => {
      at = Date.now() - 1_500;
      return at - 3_000 > since + 1_000;
    }, 30_000);
    return at;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wsd-sd-'));
    sdFile = join(dir, 'targets.json');
    oldExporter.set('old', { startsPerTick: 2, failureRatio: 0.02 });
    newExporter.set('new', { startsPerTick: 2, failureRatio: 0.02 });
    addr.old = `127.0.0.1:${await oldExporter.start(100)}`;
    addr.new = `127.0.0.1:${await newExporter.start(100)}`;
    await writeFile(sdFile, JSON.stringify([{ targets: [addr.old, addr.new], labels: {} }]));
    prometheus = await startPrometheus([], 20_000, 170_000, [{ name: 'sd', targets: [], fileSd: sdFile }]);
    provider = new PrometheusProvider({ url: prometheus.url, timeoutMs: 10_000 });
    await waitFor('5 scrapes of both targets', async () => (await instant(`count_over_time(${STARTS}[10s]) >= 5`)).length === 2, 60_000);
  }, 90_000);

  afterAll(async () => {
    await prometheus?.stop();
    await Promise.all([oldExporter.stop(), newExporter.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  it("judges the canary's target leaving service discovery as stopped reporting (a gap, then a fail), never a pass", async () => {
    const healthy = await evaluateMetric(rateMetric, ctx(Date.now() - 1_500));
    expect(healthy.outcome).toBe('pass');
    const removedAt = await discover(['old']);
    // Premise: Prometheus wrote staleness markers: the series end now, not 5 minutes (the lookback delta) later.
    await waitFor('the staleness marker of the removed target', async () => (await instant(`up{instance="${addr.new}"}`)).length === 0, 10_000);
    expect(await instant(`${STARTS}{cluster="new"}`)).toHaveLength(0);

    const first = await windowAfter(removedAt);
    for (const metric of [rateMetric, ratioMetric]) {
      const d = await evaluateMetric(metric, ctx(first));
      expect(d.clusters?.[0], metric.name).toMatchObject({ outcome: 'wait', rule: 'no-data.gap' });
    }
    // The metric's next measurement, one interval later: the gap is kept (progress.gaps), the window is empty again, and
    // it fails. Gap then fail is the documented bound: one lookback (the last sample leaves the window) + two intervals.
    const second = first + 3_000;
    await waitFor('the next window stored', async () => Date.now() - 1_500 >= second, 30_000);
    for (const metric of [rateMetric, ratioMetric]) {
      const d = await evaluateMetric(metric, ctx(second, { gaps: { [metric.name]: [target('new').cluster] } }));
      expect(d.clusters?.[0], metric.name).toMatchObject({ outcome: 'fail', rule: 'no-data.stopped-reporting' });
      expect(d.outcome).toBe('fail');
    }
  }, 120_000);

  it('measures a canary target that comes back again: a pass on its fresh samples, also right after a gap', async () => {
    const backAt = await discover(['old', 'new']);
    const at = await windowAfter(backAt);
    for (const metric of [rateMetric, ratioMetric]) {
      const d = await evaluateMetric(metric, ctx(at, { gaps: { [metric.name]: [target('new').cluster] } }));
      expect(d.outcome, `${metric.name}: ${d.message}`).toBe('pass');
      expect(d.queries.find((q) => q.side === 'new' && q.purpose === 'value')?.series).toBe(1);
    }
  }, 120_000);

  it("never fails the canary when the baseline's target leaves service discovery", async () => {
    const removedAt = await discover(['new']);
    const at = await windowAfter(removedAt);
    expect(await instant(`count_over_time(${STARTS}{cluster="old"}[3s])`, at)).toHaveLength(0);
    for (const metric of [rateMetric, ratioMetric]) {
      const d = await evaluateMetric(metric, ctx(at));
      expect(d.clusters?.[0]?.outcome, `${metric.name}: ${d.message}`).not.toBe('fail');
      expect(d.outcome, `${metric.name}: ${d.message}`).not.toBe('fail');
    }
  }, 120_000);
});
