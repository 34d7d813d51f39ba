/**
 * Real Prometheus scraping a test exporter: the judges pass on healthy data,
 * fail on a failure spike, fail a new cluster whose series vanish, and classify
 * a broken query or a stopped Prometheus as "metrics pipeline broken" (halt).
 * CI installs Prometheus with: apt-get update && apt-get install -y prometheus
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../../helpers/require-binary.js';
import { analysisSchema } from '../../../src/traffic/analysis-config.js';
import { measure } from '../../../src/traffic/judges/measure.js';
import type { MeasurementContext } from '../../../src/traffic/judges/metric-judge.js';
import { ZERO_COUNTERS } from '../../../src/traffic/judges/step-verdict.js';
import { PrometheusProvider } from '../../../src/traffic/providers/prometheus.js';
import { startPrometheus, type RunningPrometheus } from './prometheus-process.js';
import { WorkspaceExporter } from './workspace-exporter.js';

const hasPrometheus = requireBinary('prometheus', 'traffic gate integration test runs a real Prometheus');

const STARTS = 'gitpod_ws_manager_workspace_starts_total{cluster="{{shortName}}"}';
const FAILURES = 'gitpod_ws_manager_workspace_starts_failure_total{cluster="{{shortName}}"}';
const RATIO = `sum(rate(${FAILURES}[{{interval}}])) / sum(rate(${STARTS}[{{interval}}]))`;
/** The comparison's points: one per non-overlapping 3 s window ({{interval}} there is refused by validate). */
const RATIO_POINTS = `sum(rate(${FAILURES}[{{window}}])) / sum(rate(${STARTS}[{{window}}]))`;
const COMPARISON_LOOKBACK_MS = 15_000;
const COMPARISON_STEP_MS = 3_000;

const analysis = analysisSchema.parse({
  provider: { type: 'prometheus', url: 'http://127.0.0.1:1' },
  metrics: [
    { name: 'start-failure-ratio', query: RATIO, threshold: { max: 0.1 }, minSamples: 20, samplesQuery: `sum(increase(${STARTS}[{{interval}}]))` },
    // 5 independent points per side: 5 vs 5 can reach p = 1/252 < 0.02.
    { name: 'start-failure-ratio-vs-baseline', query: RATIO_POINTS, lookback: '15s', comparison: { method: 'mann-whitney', resolution: '3s', maxEffectSize: 0.5 } },
  ],
  consecutiveErrorLimit: 0,
});

const NEW = { cluster: 'gp-prod-ws-eu18-eu-west1', shortName: 'eu18', region: 'europe-west1' };
const OLD = { cluster: 'gp-prod-ws-eu17-eu-west1', shortName: 'eu17', region: 'europe-west1' };

describe.skipIf(!hasPrometheus)('gates on a real prometheus', () => {
  const exporter = new WorkspaceExporter();
  let prometheus: RunningPrometheus;
  let provider: PrometheusProvider;

  const ctx = (): MeasurementContext => ({
    provider,
    newClusters: [NEW],
    oldClusters: [OLD],
    intervalMs: 5_000,
    now: new Date(),
    elapsedInStepMs: 5_000,
    sampleDeadlineMs: 60_000,
  });

  /** Polls a condition on real data, bounded. */
  async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await check().catch(() => false)) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  const resolved = (template: string, short: string) => template.replaceAll('{{shortName}}', short).replaceAll('{{interval}}', '5s').replaceAll('{{window}}', '3s');
  /** Points of the comparison's lookback, as its range query sees them. */
  const window = async (query: string) =>
    (await provider.range(query, { start: new Date(Date.now() - COMPARISON_LOOKBACK_MS), end: new Date(), stepMs: COMPARISON_STEP_MS })).flatMap((s) => s.points.map((p) => p[1]));

  beforeAll(async () => {
    exporter.set('eu17', { startsPerTick: 5, failureRatio: 0.02 });
    exporter.set('eu18', { startsPerTick: 5, failureRatio: 0.02 });
    const port = await exporter.start(100);
    prometheus = await startPrometheus([`127.0.0.1:${port}`]);
    provider = new PrometheusProvider({ url: prometheus.url, timeoutMs: 2_000 });
    // Six seconds of scrapes so a 5 s rate window is full on both sides.
    await waitFor('a full 5s window of starts on both clusters', async () => {
      const n = await provider.range('gitpod_ws_manager_workspace_starts_total', { start: new Date(Date.now() - 7_000), end: new Date(), stepMs: 1_000 });
      return n.length === 2 && n.every((s) => s.points.length >= 7);
    }, 20_000);
  });

  afterAll(async () => {
    await prometheus?.stop();
    await exporter.stop();
  });

  it('passes healthy clusters and records queries, values and statistics', async () => {
    const m = await measure(analysis, ctx(), ZERO_COUNTERS);
    expect(m.decisions.map((d) => [d.metric, d.outcome, d.rule])).toEqual([
      ['start-failure-ratio', 'pass', 'threshold.within'],
      // Healthy never fails; with the few (often tied) points of one 5 s window the one-sided test
      // may be unable to reject at all, and then says so instead of passing: it waits for later windows
      // (inconclusive once sampleDeadline passed).
      ['start-failure-ratio-vs-baseline', expect.stringMatching(/^(pass|wait|inconclusive)$/), expect.stringMatching(/^mann-whitney\./)],
    ]);
    expect(m.verdict).not.toBe('fail');
    const threshold = m.decisions[0]!;
    expect(threshold.queries[0]?.query).toBe(
      'sum(rate(gitpod_ws_manager_workspace_starts_failure_total{cluster="eu18"}[5s])) / sum(rate(gitpod_ws_manager_workspace_starts_total{cluster="eu18"}[5s]))',
    );
    expect(threshold.queries[0]?.values[0]).toBeGreaterThan(0.005);
    expect(threshold.queries[0]?.values[0]).toBeLessThan(0.05);
    expect(threshold.samples?.new).toBeGreaterThanOrEqual(20);
    expect(m.source).toBe(`prometheus ${prometheus.url}`);
  });

  it('fails on a failure spike on the new cluster', { timeout: 120_000 }, async () => {
    exporter.set('eu18', { failureRatio: 0.5 });
    // The comparison sees a range of rates: wait until the whole range shows the spike (the timeline's "window fill").
    await waitFor('the spike to fill the window', async () => {
      const points = await window(resolved(RATIO_POINTS, 'eu18'));
      return points.length >= 5 && Math.min(...points) > 0.4 && (await window(resolved(RATIO_POINTS, 'eu17'))).length >= 5;
    }, 45_000);
    const m = await measure(analysis, ctx(), ZERO_COUNTERS);
    expect(m.verdict).toBe('fail');
    expect(m.decisions[0]).toMatchObject({ outcome: 'fail', rule: 'threshold.max' });
    expect(m.decisions[0]?.message).toMatch(/^start-failure-ratio on gp-prod-ws-eu18-eu-west1 is 0\.[45]\d*, above the maximum 0\.1: \d+ of \d+ starts, 95 % lower bound 0\.\d+$/);
    expect(m.decisions[0]?.clusters?.[0]).toMatchObject({ cluster: 'gp-prod-ws-eu18-eu-west1', outcome: 'fail', statistics: { method: 'proportion' } });
    expect(m.decisions[1]).toMatchObject({ outcome: 'fail', rule: 'mann-whitney.worse' });
    expect(m.decisions[1]?.statistics?.pValue).toBeLessThan(0.02);
    exporter.set('eu18', { failureRatio: 0.02 });
  });

  it('fails a new cluster whose series vanish while the baseline reports: at the second empty measurement when it reported before, past the deadline when it never did', { timeout: 120_000 }, async () => {
    exporter.set('eu18', { visible: false });
    await waitFor('the eu18 series to leave the comparison window', async () => (await window(resolved(RATIO_POINTS, 'eu18'))).length === 0, 45_000);
    const reported = new Set(['gp-prod-ws-eu18-eu-west1']);
    const gap = await measure(analysis, { ...ctx(), reported }, ZERO_COUNTERS);
    expect(gap.decisions[0]).toMatchObject({ outcome: 'wait', rule: 'no-data.gap' });
    expect(gap.verdict).toBe('wait');
    const gaps = Object.fromEntries(analysis.metrics.map((m) => [m.name, ['gp-prod-ws-eu18-eu-west1']]));
    const stopped = await measure(analysis, { ...ctx(), reported, gaps }, ZERO_COUNTERS);
    expect(stopped.decisions[0]).toMatchObject({ outcome: 'fail', rule: 'no-data.stopped-reporting' });
    expect(stopped.verdict).toBe('fail');
    const m = await measure(analysis, ctx(), ZERO_COUNTERS);
    expect(m.decisions[0]).toMatchObject({ outcome: 'wait', rule: 'no-data.never-reported' });
    const late = await measure(analysis, { ...ctx(), elapsedInStepMs: 60_000 }, ZERO_COUNTERS);
    expect(late.decisions[0]).toMatchObject({ outcome: 'fail', rule: 'no-data.never-reported' });
    expect(late.decisions[1]).toMatchObject({ outcome: 'fail', rule: 'no-data.never-reported' });
    expect(late.verdict).toBe('fail');
    exporter.set('eu18', { visible: true });
  });

  it('classifies a rejected query as a broken pipeline (halt with consecutiveErrorLimit 0)', async () => {
    const broken = { ...analysis, metrics: [{ ...analysis.metrics[0]!, query: 'sum(rate(x[{{interval}}])' }] };
    const m = await measure(broken, ctx(), ZERO_COUNTERS);
    expect(m.decisions[0]).toMatchObject({ outcome: 'error', rule: 'query-error' });
    expect(m.decisions[0]?.queries[0]?.error?.kind).toBe('bad-query');
    expect(m.verdict).toBe('halt');
  });

  it('classifies a stopped prometheus as unreachable and halts', async () => {
    await prometheus.stop();
    const m = await measure(analysis, ctx(), ZERO_COUNTERS);
    expect(m.decisions.map((d) => d.rule)).toEqual(['query-error', 'query-error']);
    expect(m.decisions[0]?.queries.find((q) => q.error)?.error?.kind).toBe('unreachable');
    expect(m.decisions[0]?.message).toMatch(/cannot reach prometheus http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    expect(m.verdict).toBe('halt');
    expect(m.rule).toBe('limit.consecutive-errors');
  });
});
