/**
 * A gate on series written by recording rules (real Prometheus, Debian's binary; the rule file is checked by
 * promtool). Such series carry no job/instance of the target that exposed their inputs, so the "own target stall"
 * check finds no target (scrape-continuity.ts) and the real-interval read finds no scrape target: the rule group's
 * evaluation interval (/api/v1/rules) spaces their samples instead. What must hold:
 * - a healthy canary passes measurement after measurement (no gap, no stall, no rollback);
 * - a canary that stops reporting fails at the first empty window of three evaluations of the rule group (the fast
 *   rule, counting the group's evaluations instead of scrapes, and asking after the targets of the series the rule
 *   reads), also where the group is evaluated more slowly (2 s) than the targets are scraped (1 s); a healthy canary
 *   on that group passes measurement after measurement;
 * - a window shorter than two evaluations of the rule group refuses the shift before it starts, naming the group
 *   and the fix (it would hold one sample often: rate() answers nothing there, a healthy canary gets gap after gap
 *   and "stopped reporting"); a shift that got past that check (resumed, the group slowed since) waits on such an
 *   empty window (`no-data.sparse-window`; a human past sampleDeadline), never fails or errors on it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analysisSchema } from '../../../src/traffic/analysis-config.js';
import { trafficShiftSchema } from '../../../src/traffic/config.js';
import { evaluateMetric, type MeasurementContext } from '../../../src/traffic/judges/metric-judge.js';
import { PrometheusProvider } from '../../../src/traffic/providers/prometheus.js';
import { checkRealScrapeIntervals } from '../../../src/traffic/scrape-interval-check.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { waitFor } from '../shift/harness.js';
import { startPrometheus, type RunningPrometheus } from './prometheus-process.js';
import { WorkspaceExporter } from './workspace-exporter.js';
import { measureContext, target } from './measure-context.js';

const hasPrometheus = requireBinary('prometheus', 'gates on recording-rule series are judged against a real Prometheus');

const STARTS = 'gitpod_ws_manager_workspace_starts_total';
const FAST = 'cluster:ws_starts:rate3s';
const SLOW = 'cluster:ws_starts:sum';
/** Evaluated every 2 s, over targets scraped every second. */
const EVERY2S = 'cluster:ws_starts:rate3s_every2s';
const RULES = [
  'groups:',
  '  - name: ws-fast',
  '    interval: 1s',
  '    rules:',
  `      - record: ${FAST}`,
  `        expr: sum by (cluster) (rate(${STARTS}[3s]))`,
  '  - name: ws-2s',
  '    interval: 2s',
  '    rules:',
  `      - record: ${EVERY2S}`,
  `        expr: sum by (cluster) (rate(${STARTS}[3s]))`,
  '  - name: ws-slow',
  '    interval: 5s',
  '    rules:',
  `      - record: ${SLOW}`,
  `        expr: sum by (cluster) (${STARTS})`,
  '',
].join('\n');
const analysis = (query: string, lookback: string) => ({
  provider: { type: 'prometheus' as const, url: 'http://127.0.0.1:1' },
  scrapeInterval: '1s',
  metrics: [{ name: 'start-rate', query, threshold: { min: 1 }, lookback }],
});
/** 3 s windows over a rule evaluated every second. */
const metric = analysisSchema.parse(analysis(`avg_over_time(${FAST}{cluster="{{shortName}}"}[{{interval}}])`, '3s')).metrics[0] as NonNullable<
  ReturnType<typeof analysisSchema.parse>['metrics'][0]
>;

describe.skipIf(!hasPrometheus)('a gate on recording-rule series (real prometheus)', () => {
  const exporter = new WorkspaceExporter();
  let prometheus: RunningPrometheus;
  let provider: PrometheusProvider;

  const count = async (query: string, at: number) => Number((await provider.instant(query, { time: new Date(at) }))[0]?.points.at(-1)?.[1] ?? 0);
  const ctx = (at: number, newShort: string, extra: Partial<MeasurementContext> = {}) => measureContext(provider, at, { new: newShort, old: 'c1' }, extra);

  beforeAll(async () => {
    for (const c of ['c1', 'c2', 'c3', 'c4']) exporter.set(c, { startsPerTick: 5, failureRatio: 0 });
    const port = await exporter.start(100);
    prometheus = await startPrometheus([`127.0.0.1:${port}`], 20_000, 170_000, [], RULES);
    provider = new PrometheusProvider({ url: prometheus.url, timeoutMs: 10_000 });
    // 12 evaluations in 15 s: every window measured below (back to 8.5 s ago) lies after the rule's first ones.
    await waitFor('12 evaluations of the fast rule for every cluster', async () => (await provider.instant(`count_over_time(${FAST}[15s]) >= 12`)).length === 4, 60_000);
  }, 90_000);

  afterAll(async () => {
    await prometheus?.stop();
    await exporter.stop();
  });

  it('passes a healthy canary measurement after measurement, and lets a window of two evaluations start', async () => {
    const first = Date.now() - 1_500;
    for (let k = 0; k < 5; k++) {
      const d = await evaluateMetric(metric, ctx(first - k * 1_000, 'c2'));
      expect(d.outcome, d.message).toBe('pass');
    }
    const config = trafficShiftSchema.parse({ steps: [50, 100], interval: '3s', analysis: { ...analysis(metric.query, '3s'), provider: { type: 'prometheus', url: prometheus.url } } });
    expect(await checkRealScrapeIntervals(config, provider, [target('c2'), target('c1')])).toEqual({ refusals: [], warnings: [] });
  });

  it('fails a canary that stops reporting at its first empty window of three evaluations (the fast rule)', async () => {
    exporter.set('c3', { visible: false });
    const goneAt = Date.now();
    let at = 0;
    await waitFor('a 3s window after c3 vanished, without its rule series', async () => {
      at = Date.now() - 1_500;
      return at - 3_000 > goneAt + 1_500 && (await count(`count_over_time(${FAST}{cluster="c3"}[3s])`, at)) === 0;
    }, 60_000);
    const d = await evaluateMetric(metric, ctx(at, 'c3'));
    expect(d.clusters?.[0]).toMatchObject({ outcome: 'fail', rule: 'no-data.stopped-reporting' });
    expect(d.clusters?.[0]?.message).toMatch(/no series in a 3s window, 3 evaluations of 1s of rule group "ws-fast" \(\/.*rules\.yml\), which writes them: one missed evaluation cannot empty it/);
  }, 90_000);

  it('judges series of a group evaluated every 2 s (targets scraped every 1 s) by its evaluations: healthy passes, stopped fails within about one window', async () => {
    const every2s = analysisSchema.parse(analysis(`avg_over_time(${EVERY2S}{cluster="{{shortName}}"}[{{interval}}])`, '6s')).metrics[0] as typeof metric;
    const ctx6 = (at: number, short: string) => ctx(at, short, { intervalMs: 6_000 });
    await waitFor('4 evaluations of the 2 s group for c4', async () => (await count(`count_over_time(${EVERY2S}{cluster="c4"}[10s])`, Date.now())) >= 4, 60_000);
    // Healthy: every 6 s window holds three evaluations, never judged stopped (nor a gap).
    const first = Date.now() - 1_500;
    for (let k = 0; k < 6; k++) {
      const d = await evaluateMetric(every2s, ctx6(first - k * 700, 'c4'));
      expect(d.outcome, d.message).toBe('pass');
    }
    exporter.set('c4', { visible: false });
    // Measured again and again (judged 1.5 s in the past, for the evaluations to be written): the first measurement that
    // does not pass must be the fast rule's fail, no gap before it.
    let seen: Awaited<ReturnType<typeof evaluateMetric>> | undefined;
    let at = 0;
    await waitFor('a measurement that does not pass after c4 vanished', async () => {
      at = Date.now() - 1_500;
      const d = await evaluateMetric(every2s, ctx6(at, 'c4'));
      if (d.outcome === 'pass') return false;
      seen = d;
      return true;
    }, 60_000);
    expect(seen?.clusters?.[0]).toMatchObject({ outcome: 'fail', rule: 'no-data.stopped-reporting' });
    expect(seen?.clusters?.[0]?.message).toMatch(/no series in a 6s window, 3 evaluations of 2s of rule group "ws-2s" .*one missed evaluation cannot empty it/);
    // Caught one window after its last evaluation, give or take a few evaluations (a measurement on a loaded machine
    // takes seconds); a gap first would take a second measurement on top.
    const raw = await fetch(`${prometheus.url}/api/v1/query?time=${at / 1000}&query=${encodeURIComponent(`${EVERY2S}{cluster="c4"}[1m]`)}`);
    const samples = ((await raw.json()) as { data: { result: Array<{ values: Array<[number, string]> }> } }).data.result[0]?.values ?? [];
    const last = (samples.at(-1)?.[0] ?? 0) * 1000;
    expect(last).toBeGreaterThan(0);
    expect(at - last).toBeGreaterThanOrEqual(6_000);
    expect(at - last).toBeLessThan(6_000 + 3 * 2_000);
  }, 120_000);

  it('refuses a window shorter than two evaluations of the rule group that writes the series, naming it and the fix', async () => {
    const config = trafficShiftSchema.parse({
      steps: [50, 100],
      interval: '6s',
      analysis: { ...analysis(`sum(rate(${SLOW}{cluster="{{shortName}}"}[{{interval}}]))`, '6s'), provider: { type: 'prometheus', url: prometheus.url } },
    });
    const found = await checkRealScrapeIntervals(config, provider, [target('c2'), target('c1')]);
    expect(found.warnings).toEqual([]);
    expect(found.refusals).toEqual([
      expect.stringMatching(
        /^start-rate: its \{\{interval\}\} window of 6s holds fewer than two evaluations of 5s \(the evaluation interval of rule group "ws-slow" \(\/.*rules\.yml\), whose recording rule cluster:ws_starts:sum writes its series\), .*make lookback \(or interval\) at least 10s \(20s keeps one missed evaluation harmless\), or evaluate that rule group more often \(its interval\)$/,
      ),
    ]);
  });

  it('waits, neither failing nor erroring, on a window emptied by a rule group evaluated less than twice in it', async () => {
    const slow = analysisSchema.parse(analysis(`sum(rate(${SLOW}{cluster="{{shortName}}"}[{{interval}}]))`, '6s')).metrics[0] as typeof metric;
    const slowCtx = (at: number, extra: Partial<MeasurementContext> = {}) => ctx(at, 'c2', { intervalMs: 6_000, gaps: { [slow.name]: [target('c2').cluster] }, ...extra });
    // The group writes every cluster's series at each evaluation, 5 s apart: a 6 s window ending 1–5 s after one holds
    // only that one (rate() answers nothing, on both sides); ending within 1 s after one, it holds two.
    let last = 0;
    await waitFor('two evaluations of the slow group, the last one 3 s ago', async () => {
      const stamps = await provider.instant(`timestamp(${SLOW}{cluster="c2"})`);
      last = Number(stamps[0]?.points.at(-1)?.[1] ?? 0) * 1000;
      return last > 0 && Date.now() - last >= 3_000 && (await count(`count_over_time(${SLOW}{cluster="c2"}[12s])`, last)) >= 2;
    }, 60_000);
    const empty = await evaluateMetric(slow, slowCtx(last + 2_500));
    expect(empty.queries.every((q) => q.series === 0)).toBe(true); // the premise: one evaluation, no rate()
    expect(empty).toMatchObject({ outcome: 'wait', rule: 'no-data.sparse-window' });
    expect(empty.message).toMatch(/recording rule cluster:ws_starts:sum of rule group "ws-slow" .*evaluated every 5s: a 6s window holds fewer than two evaluations/);
    expect(await evaluateMetric(slow, slowCtx(last + 2_500, { elapsedInStepMs: 600_000 }))).toMatchObject({ outcome: 'inconclusive', rule: 'no-data.sparse-window' });
    // A window holding two evaluations is judged as any other.
    expect((await evaluateMetric(slow, slowCtx(last + 200))).outcome).toBe('pass');
  });
});

