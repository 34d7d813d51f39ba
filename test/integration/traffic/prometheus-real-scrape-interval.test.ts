/**
 * `validate` checks a gate's windows against analysis.scrapeInterval, which is what the operator believes. Here the
 * gate's series are exposed by a job that a real Prometheus (Debian's binary) scrapes every 3 s while the config
 * says 1 s: a 5 s window passes validate but holds one or two samples, and rate() often answers nothing. Before the
 * shift starts, the real interval is read from Prometheus (/api/v1/targets, /api/v1/status/config) and such a window
 * refuses it; what cannot be read is a warning.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trafficShiftSchema } from '../../../src/traffic/config.js';
import { configIntervals } from '../../../src/traffic/providers/scrape-intervals.js';
import { PrometheusProvider } from '../../../src/traffic/providers/prometheus.js';
import { checkRealScrapeIntervals } from '../../../src/traffic/scrape-interval-check.js';
import { createTrafficShiftStep } from '../../../src/steps/traffic/traffic-shift-step.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { createHarness, scoresOf, waitFor, wideStep } from '../shift/harness.js';
import { startPrometheus, type RunningPrometheus } from './prometheus-process.js';
import { WorkspaceExporter } from './workspace-exporter.js';

const hasPrometheus = requireBinary('prometheus', 'real scrape intervals are read from a real Prometheus');

const STARTS = 'gitpod_ws_manager_workspace_starts_total{cluster="{{shortName}}"}';
const FAILURES = 'gitpod_ws_manager_workspace_starts_failure_total{cluster="{{shortName}}"}';
const target = (short: string) => ({ cluster: `gp-prod-ws-${short}-eu-west1`, shortName: short, region: 'europe-west1' });

describe.skipIf(!hasPrometheus)('the real scrape interval of a gate series, before the shift', () => {
  const slow = new WorkspaceExporter();
  const fast = new WorkspaceExporter();
  let prometheus: RunningPrometheus;
  let provider: PrometheusProvider;
  let slowTarget = '';

  const shift = (opts: { interval: string; scrapeInterval?: string }) =>
    trafficShiftSchema.parse({
      steps: [50, 100],
      interval: opts.interval,
      analysis: {
        provider: { type: 'prometheus', url: prometheus.url },
        ...(opts.scrapeInterval ? { scrapeInterval: opts.scrapeInterval } : {}),
        metrics: [
          {
            name: 'start-failure-ratio',
            query: `sum(rate(${FAILURES}[{{interval}}])) / sum(rate(${STARTS}[{{interval}}]))`,
            samplesQuery: `sum(increase(${STARTS}[{{interval}}]))`,
            threshold: { max: 0.1 },
          },
        ],
      },
    });

  beforeAll(async () => {
    // The gate's clusters (eu17 old, eu18 new) behind a job scraped every 3 s; another region's behind the global 1 s.
    for (const short of ['eu17', 'eu18', 'eu1', 'eu2']) slow.set(short, { startsPerTick: 5, failureRatio: 0.02 });
    fast.set('eu40', { startsPerTick: 5, failureRatio: 0.02 });
    const slowPort = await slow.start(100);
    slowTarget = `ws-slow/127.0.0.1:${slowPort}`;
    prometheus = await startPrometheus([`127.0.0.1:${await fast.start(100)}`], 20_000, 120_000, [{ name: 'ws-slow', targets: [`127.0.0.1:${slowPort}`], scrapeInterval: '3s' }]);
    provider = new PrometheusProvider({ url: prometheus.url, timeoutMs: 5_000 });
    await waitFor('both jobs scraped', async () => (await provider.instant('count(gitpod_ws_manager_workspace_starts_total)'))[0]?.points[0]?.[1] === 5, 30_000);
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await slow.stop();
    await fast.stop();
  });

  it('refuses a window that validate lets through (1 s configured) but that holds fewer than two of the real 3 s scrapes', async () => {
    // validate sees 5 s ≥ two scrapes of the configured 1 s.
    const config = shift({ interval: '5s', scrapeInterval: '1s' });
    const found = await checkRealScrapeIntervals(config, provider, [target('eu18'), target('eu17')]);
    expect(found.refusals).toEqual([
      `start-failure-ratio: its {{interval}} window of 5s holds fewer than two scrapes of 3s (Prometheus' real scrape interval of ${slowTarget}, which exposes its series; analysis.scrapeInterval says 1s), and rate()/increase() need two samples in their window: Prometheus answers nothing for every cluster; make lookback (or interval) at least 6s (12s keeps one missed scrape harmless), and set analysis.scrapeInterval to 3s so that validate checks the windows against what Prometheus does`,
    ]);
    // Without scrapeInterval validate cannot check anything: the real interval still refuses.
    const unset = await checkRealScrapeIntervals(shift({ interval: '5s' }), provider, [target('eu18'), target('eu17')]);
    expect(unset.refusals[0]).toMatch(/window of 5s holds fewer than two scrapes of 3s \(.*analysis\.scrapeInterval is not set\)/);
  });

  it('refuses the shift in deploy before its first registry change: the new cluster stays cordoned, the old one keeps its traffic', { timeout: 60_000 }, async () => {
    const q = (t: string) => `'${t}'`; // YAML single quotes: the queries hold double quotes only
    const h = await createHarness(
      [
        '  steps: [50, 100]',
        '  interval: 5s',
        '  analysis:',
        `    provider: { type: prometheus, url: '${prometheus.url}' }`,
        '    scrapeInterval: 1s',
        '    metrics:',
        '      - name: start-failure-ratio',
        `        query: ${q(`sum(rate(${FAILURES}[{{interval}}])) / sum(rate(${STARTS}[{{interval}}]))`)}`,
        `        samplesQuery: ${q(`sum(increase(${STARTS}[{{interval}}]))`)}`,
        '        threshold: { max: 0.1 }',
      ].join('\n'),
    );
    try {
      await h.register('eu1', { cordoned: false, preferability: 'Prefer' });
      await h.register('eu2', { cordoned: true });
      const before = scoresOf(await h.lists(), ['eu1', 'eu2']);
      const snap = await h.deploy([createTrafficShiftStep()]);
      const error = wideStep(snap, 'traffic-shift')?.error;
      expect(error).toMatchObject({ code: 'PreCheckRefused' });
      expect(error?.message).toMatch(/^the traffic shift did not start: start-failure-ratio: its \{\{interval\}\} window of 5s holds fewer than two scrapes of 3s \(Prometheus' real scrape interval of ws-slow\/127\.0\.0\.1:\d+/);
      expect(scoresOf(await h.lists(), ['eu1', 'eu2'])).toEqual(before);
    } finally {
      await h.close();
    }
  });

  it('lets a window of two real scrapes start, warning that scrapeInterval is not what Prometheus does', async () => {
    const found = await checkRealScrapeIntervals(shift({ interval: '6s', scrapeInterval: '1s' }), provider, [target('eu18'), target('eu17')]);
    expect(found.refusals).toEqual([]);
    expect(found.warnings).toEqual([expect.stringContaining(`Prometheus scrapes ${slowTarget}, which exposes its series, every 3s, but analysis.scrapeInterval says 1s`)]);
    // A matching scrapeInterval: nothing to say.
    expect(await checkRealScrapeIntervals(shift({ interval: '6s', scrapeInterval: '3s' }), provider, [target('eu18'), target('eu17')])).toEqual({ refusals: [], warnings: [] });
  });

  it("reads only the gate's own targets: another job's faster scrapes do not count, nor does a slow job the gate does not read", async () => {
    expect(await checkRealScrapeIntervals(shift({ interval: '5s', scrapeInterval: '1s' }), provider, [target('eu40')])).toEqual({ refusals: [], warnings: [] });
  });

  it('warns where no target of this Prometheus exposes the series (federated, remote-written, or none yet)', async () => {
    const found = await checkRealScrapeIntervals(shift({ interval: '5s', scrapeInterval: '1s' }), provider, [target('eu99')]);
    expect(found.refusals).toEqual([]);
    expect(found.warnings).toEqual([expect.stringMatching(/^start-failure-ratio: the real scrape interval of its series cannot be read \(no scrape target of prometheus .* exposed them in the last 10m/)]);
  });

  it("reads the job's scrape_interval from the config Prometheus runs, for a target that does not say its own", async () => {
    const body = (await (await fetch(`${prometheus.url}/api/v1/status/config`)).json()) as { data: { yaml: string } };
    expect(configIntervals(body.data.yaml)).toEqual(new Map([['ws', 1_000], ['ws-slow', 3_000]]));
  });
});
