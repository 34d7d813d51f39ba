/**
 * The deployment configs of the scenario suite: the sandbox (real Terraform, one
 * meta cluster, one `eu` workspace cluster) with the `prometheus` analysis
 * provider and gates close to the README's, the scenario's label baked into
 * every query so one Prometheus serves all scenarios at once.
 */
import { join } from 'node:path';
import { REPO } from '../../../helpers/cli.js';
import { INTERVAL_MS, type ConfigName } from './catalog.js';

const sel = (scenario: string) => `scenario="${scenario}",cluster="{{shortName}}"`;

function metrics(scenario: string) {
  const starts = `gitpod_ws_manager_workspace_starts_total{${sel(scenario)}}`;
  const failures = `gitpod_ws_manager_workspace_starts_failure_total{${sel(scenario)}}`;
  const buckets = `gitpod_ws_manager_workspace_startup_seconds_bucket{${sel(scenario)}}`;
  const ratio = `sum(rate(${failures}[{{interval}}])) / sum(rate(${starts}[{{interval}}]))`;
  const samples = `sum(increase(${starts}[{{interval}}]))`;
  return {
    /** The README's failure ratio: counts judged by Wilson bounds, minSamples per cluster. */
    ratio: (extra = '') => `      - name: start-failure-ratio
        query: '${ratio}'
        threshold: { max: 0.05 }
        minSamples: 20
        samplesQuery: '${samples}'${extra}`,
    /**
     * p95 start time by one-sided Mann-Whitney on independent 3 s windows: 24 s lookback, 8 windows a side, 6 needed.
     * rate() needs two samples in a window: a 3 s window holds three 1 s scrapes, so one scrape missed or stamped late
     * costs no point (a 2 s window lost its point), and two spare windows absorb the rest. Before the shift (the
     * baseline at 100 % and in the bake) a lost point is lost for good, and the history there must begin after
     * Prometheus' first scrape (prometheus-scenarios.test.ts takes oldSinceMs once it is up).
     */
    mannWhitney: `      - name: startup-time-p95
        query: 'histogram_quantile(0.95, sum by (le) (rate(${buckets}[{{window}}])))'
        comparison: { method: mann-whitney, confidence: 0.99, maxEffectSize: 0.3, resolution: 3s }
        lookback: 24s
        minSamples: 6
        failureLimit: 1`,
    /** p95 start time against a fixed bound, judged once the window holds 10 starts. */
    p95Threshold: `      - name: startup-time-p95
        query: 'histogram_quantile(0.95, sum by (le) (rate(${buckets}[{{interval}}])))'
        threshold: { max: 45 }
        minSamples: 10
        samplesQuery: '${samples}'`,
    /** The same without samplesQuery (as a p95 gate is often written): a window without starts reads NaN. */
    p95Bare: `      - name: startup-time-p95
        query: 'histogram_quantile(0.95, sum by (le) (rate(${buckets}[{{interval}}])))'
        threshold: { max: 45 }`,
    /** The failure ratio against the old generation's (Newcombe bounds on the difference). */
    proportion: `      - name: start-failure-ratio-vs-old
        query: '${ratio}'
        comparison: { method: proportion, maxDifference: 0.03 }
        minSamples: 20
        samplesQuery: '${samples}'`,
  };
}

/**
 * The `trafficShift` block of a config. `scrapeInterval: 1s` is the suite's Prometheus' own scrape_interval
 * (prometheus-process.ts), stated as the README's example states its pipeline's: a 4 s window then spans 4
 * scrapes, so a vanished cluster fails at its first empty window instead of waiting one gap.
 */
export function shiftBlock(config: ConfigName, scenario: string, prometheusUrl: string): string {
  const m = metrics(scenario);
  let list = [m.ratio()];
  let bake = '0s';
  let extra = '';
  let deadline = '60s';
  if (config === 'ratio-limit1') extra = '\n    failureLimit: 1';
  if (config === 'ratio-mw') list = [m.ratio(), m.mannWhitney];
  if (config === 'ratio-p95') list = [m.ratio(), m.p95Threshold];
  if (config === 'p95-only') list = [m.p95Bare];
  if (config === 'bake-compare') {
    list = [m.ratio(), m.proportion, m.mannWhitney];
    bake = '8s';
  }
  if (config === 'ratio-watch') extra = '\n    firstGenerationWatch: 8s';
  if (config === 'p95-watch') {
    list = [m.ratio(), m.p95Threshold];
    extra = '\n    firstGenerationWatch: 8s';
  }
  if (config === 'ratio-short-deadline') deadline = '12s';
  if (config === 'ratio-errors') extra = '\n    consecutiveErrorLimit: 1';
  return `trafficShift:
  steps: [50, 100]
  interval: ${INTERVAL_MS / 1000}s
  bake: ${bake}
  analysis:
    provider: { type: prometheus, url: "${prometheusUrl}", timeout: 10s }
    metrics:
${list.join('\n')}
    sampleDeadline: ${deadline}
    scrapeInterval: 1s${extra}
  retire: { drainTimeout: 60s, destroy: false }
  gates: { beforeDestroy: auto }
`;
}

/** The whole config file: the sandbox with one eu workspace cluster. */
export function configText(config: ConfigName, scenario: string, prometheusUrl: string): string {
  const sandbox = join(REPO, 'examples', 'sandbox');
  return `version: v1
environment: development
project: { id: sandbox-project, network: sandbox-net, dnsZone: sandbox.gitpod-dev.test }
metaClusters:
  - { name: dev-meta-eu01, region: europe-west1, type: sandbox }
workspaceClusters:
  - { region: europe-west1, prefix: eu, governedBy: dev-meta-eu01, type: sandbox }
gitpod:
  chart: { path: ${join(sandbox, 'charts', 'gitpod')}, name: gitpod }
  versionsManifest: ${join(sandbox, 'versions.yaml')}
aliveTest: { timeoutSeconds: 10, pollIntervalSeconds: 1 }
registration: { cordoned: true }
${shiftBlock(config, scenario, prometheusUrl)}`;
}
