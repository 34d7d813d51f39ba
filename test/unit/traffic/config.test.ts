import { describe, expect, it } from 'vitest';
import { expandSteps, trafficShiftSchema, type TrafficShiftInput } from '../../../src/traffic/config.js';

const analysis = {
  provider: { type: 'prometheus', url: 'http://127.0.0.1:9090' },
  metrics: [
    {
      name: 'start-failure-rate',
      query: 'sum(rate(starts_failed_total{cluster="{{cluster}}"}[{{interval}}]))',
      threshold: { max: 0.05 },
      minSamples: 20,
      samplesQuery: 'sum(increase(starts_total{cluster="{{cluster}}"}[{{interval}}]))',
    },
  ],
};

function parse(input: Record<string, unknown>) {
  return trafficShiftSchema.safeParse(input as TrafficShiftInput);
}

function messages(input: Record<string, unknown>): string {
  const r = parse(input);
  return r.success ? '' : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
}

describe('trafficShift config', () => {
  it('fills defaults and parses durations into milliseconds', () => {
    const r = trafficShiftSchema.parse({ steps: [5, 25, 50, 100], analysis });
    expect(r.interval).toBe(60_000);
    expect(r.bake).toBe(0);
    expect(r.oldClusters).toBe('auto');
    expect(r.rollback).toEqual({ mode: 'instant', duration: 300_000, steps: 4 });
    expect(r.retire).toEqual({ drainTimeout: 86_400_000, destroy: false });
    expect(r.gates).toEqual({ beforeStart: 'auto', beforeIncrease: 'auto', beforePromotion: 'auto', beforeDestroy: 'manual' });
    expect(r.analysis?.consecutiveErrorLimit).toBe(4);
    expect(r.analysis?.failureLimit).toBe(0);
    expect(r.analysis?.sampleDeadline).toBe(1_800_000);
    expect(r.analysis?.provider).toEqual({ type: 'prometheus', url: 'http://127.0.0.1:9090', headers: {}, timeout: 10_000 });
    expect(r.analysis?.metrics[0]?.dryRun).toBe(false);
  });

  it('parses a full section', () => {
    const r = trafficShiftSchema.parse({
      stepWeight: 10,
      maxWeight: 50,
      interval: '5m',
      bake: '1h',
      staffStage: { duration: '30m' },
      oldClusters: ['eu16'],
      analysis: {
        ...analysis,
        provider: { type: 'prometheus', url: 'https://prom.example.com', headers: { 'X-Org': '1' }, bearerTokenFile: import.meta.filename, timeout: '5s' },
        metrics: [
          ...analysis.metrics,
          { name: 'startup-time', query: 'x{cluster="{{cluster}}"}', comparison: { method: 'mann-whitney', maxEffectSize: 0.3 }, dryRun: true },
          { name: 'backup-failures', query: 'y{c="{{shortName}}",r="{{region}}"}', comparison: { method: 'ratio', maxRatio: 1.5 } },
        ],
        failureLimit: 1,
        initialDelay: '2m',
      },
      rollback: { mode: 'gradual', duration: '10m' },
      retire: { destroy: true, drainTimeout: '8h' },
      gates: { beforePromotion: 'manual' },
    });
    expect(expandSteps(r)).toEqual([10, 20, 30, 40, 50, 100]);
    expect(r.staffStage).toEqual({ permission: 'new-workspace-cluster', duration: 1_800_000 });
    expect(r.analysis?.metrics[1]?.comparison).toMatchObject({ method: 'mann-whitney', confidence: 0.98, direction: 'increase', resolution: 15_000 });
    expect(r.rollback.mode).toBe('gradual');
  });

  it('expands schedules', () => {
    expect(expandSteps({ steps: [5, 25, 50, 100] })).toEqual([5, 25, 50, 100]);
    expect(expandSteps({ stepWeight: 25 })).toEqual([25, 50, 75, 100]);
    expect(expandSteps({ stepWeight: 30 })).toEqual([30, 60, 90, 100]);
  });

  it('accepts command mode without steps or analysis', () => {
    const r = trafficShiftSchema.parse({ command: { argv: ['./shift.sh', '--region', 'eu'] } });
    expect(r.command?.timeout).toBe(7_200_000);
  });

  it('refuses typos, bad schedules and bad durations with useful messages', () => {
    expect(messages({ steps: [5, 100], analysis, intervall: '1m' })).toMatch(/Unrecognized key: "intervall"/);
    expect(messages({ steps: [50, 25, 100], analysis })).toMatch(/steps.1: steps must increase: 25 follows 50/);
    expect(messages({ steps: [5, 50], analysis })).toMatch(/last step must be 100/);
    expect(messages({ steps: [5, 100], stepWeight: 5, analysis })).toMatch(/either steps or stepWeight/);
    expect(messages({ steps: [5, 100], analysis, interval: '60' })).toMatch(/interval: invalid duration "60"/);
    expect(messages({ steps: [2.5, 100], analysis })).toMatch(/whole numbers/);
    expect(messages({ analysis })).toMatch(/give steps/);
    expect(messages({ steps: [100] })).toMatch(/needs analysis/);
    expect(messages({ stepWeight: 50, maxWeight: 20, analysis })).toMatch(/maxWeight 20 is below stepWeight 50/);
  });

  it('validates metrics', () => {
    const withMetric = (m: Record<string, unknown>) => messages({ steps: [100], analysis: { ...analysis, metrics: [m] } });
    expect(withMetric({ name: 'a', query: 'x{c="{{clustr}}"}', threshold: { max: 1 } })).toMatch(/unknown placeholder "\{\{clustr\}\}"/);
    expect(withMetric({ name: 'a', query: 'x', threshold: { max: 1 }, comparison: { method: 'ratio', maxRatio: 2 } })).toMatch(/exactly one of threshold or comparison/);
    expect(withMetric({ name: 'a', query: 'x', comparison: { method: 'ratio' } })).toMatch(/needs maxRatio/);
    expect(withMetric({ name: 'a', query: 'x', threshold: {} })).toMatch(/needs min, max or both/);
    expect(withMetric({ name: 'a', query: 'x', threshold: { max: 1 }, dryRun: true })).toMatch(/every metric is dryRun/);
    expect(withMetric({ name: 'A b', query: 'x', threshold: { max: 1 } })).toMatch(/lowercase letters, digits and dashes/);
    expect(
      messages({ steps: [100], analysis: { ...analysis, metrics: [analysis.metrics[0], analysis.metrics[0]] } }),
    ).toMatch(/duplicate metric name "start-failure-rate"/);
    expect(messages({ steps: [100], analysis: { ...analysis, provider: { type: 'prometheus', url: 'ftp://x' } } })).toMatch(/http\(s\) URL/);
  });
});

// rate()/increase() need two samples in their window: on real Prometheus a shorter one is empty on every cluster
// (test/integration/traffic/prometheus-counter-semantics.test.ts).
describe('a query window shorter than two scrapes (analysis.scrapeInterval)', () => {
  const withScrape = (scrape: string, metric: Record<string, unknown>, interval = '5m') => ({ steps: [50, 100], interval, analysis: { ...analysis, scrapeInterval: scrape, metrics: [metric] } });
  const points = { name: 'p95', query: 'histogram_quantile(0.95, sum by (le) (rate(b{cluster="{{cluster}}"}[{{window}}])))', comparison: { method: 'mann-whitney', resolution: '30s' } };

  it('refuses a comparison resolution below two scrapes, naming the window, the scrape and the fix', () => {
    expect(messages(withScrape('30s', points))).toBe(
      'analysis.metrics.0.comparison.resolution: p95: its {{window}} window of 30s holds fewer than two scrapes of 30s (analysis.scrapeInterval), and rate()/increase() need two samples in their window: Prometheus answers nothing for every cluster; make resolution at least 1m (2m keeps one missed scrape harmless)',
    );
    expect(messages(withScrape('30s', { ...points, comparison: { method: 'mann-whitney', resolution: '1m' } }))).toBe('');
    // Unknown scrape interval: nothing to check against.
    expect(messages({ steps: [50, 100], interval: '5m', analysis: { ...analysis, metrics: [points] } })).toBe('');
  });

  it('refuses a lookback (or interval) below two scrapes for {{interval}} and for {{window}} outside a point comparison', () => {
    expect(messages(withScrape('30s', analysis.metrics[0] as Record<string, unknown>, '45s'))).toMatch(/^analysis\.metrics\.0\.lookback: start-failure-rate: its \{\{interval\}\} window of 45s holds fewer than two scrapes of 30s .*make lookback \(or interval\) at least 1m/);
    expect(messages(withScrape('30s', { ...analysis.metrics[0], lookback: '1m' }, '45s'))).toBe('');
    const instant = { name: 'p95', query: 'histogram_quantile(0.95, sum by (le) (rate(b[{{window}}])))', threshold: { max: 10 }, lookback: '50s' };
    expect(messages(withScrape('30s', instant))).toMatch(/^analysis\.metrics\.0\.lookback: p95: its \{\{window\}\} window of 50s/);
    // A query with its own fixed window is the author's choice.
    expect(messages(withScrape('30s', { name: 'up', query: 'min(up{cluster="{{cluster}}"})', threshold: { min: 1 }, lookback: '10s' }))).toBe('');
  });

  it('refuses a window written into the query (rate(x[45s])) below two scrapes, naming the gate, the window, the minimum and the fix', () => {
    const literal = { name: 'start-rate', query: 'sum(rate(starts_total{cluster="{{shortName}}"}[45s] offset 1m))', threshold: { min: 1 } };
    expect(messages(withScrape('30s', literal))).toBe(
      'analysis.metrics.0.query: start-rate: the window [45s] written into its query (read by rate()) holds fewer than two scrapes of 30s (analysis.scrapeInterval), and rate() needs two samples in its window: Prometheus answers nothing for every cluster; write [{{interval}}] (the metric\'s lookback) instead, or a window of at least 1m (2m keeps one missed scrape harmless)',
    );
    expect(messages(withScrape('30s', { ...literal, query: 'sum(rate(starts_total[1m]))' }))).toBe('');
    // In the samplesQuery too; an *_over_time window takes one sample, and without scrapeInterval nothing is known.
    expect(messages(withScrape('30s', { ...literal, query: 'sum(rate(s[{{interval}}]))', samplesQuery: 'sum(increase(s[30s]))', threshold: { max: 0.1 } }))).toMatch(
      /^analysis\.metrics\.0\.samplesQuery: start-rate: the window \[30s\] written into its samplesQuery \(read by increase\(\)\)/,
    );
    expect(messages(withScrape('30s', { ...literal, query: 'max(max_over_time(up[45s]))' }))).toBe('');
    expect(messages({ steps: [50, 100], interval: '5m', analysis: { ...analysis, metrics: [literal] } })).toBe('');
  });
});
