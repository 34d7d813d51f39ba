/**
 * A proportion (failed starts / starts) is one ratio per cluster. A query that
 * returns several series for one cluster (per pod, per node: a missing sum)
 * cannot be judged: taking one of them (the last Prometheus happens to list)
 * hid 20 failed starts of 40 and promoted the cluster.
 */
import { describe, expect, it } from 'vitest';
import { metricSchema } from '../../../../src/traffic/analysis-config.js';
import { evaluateMetric } from '../../../../src/traffic/judges/metric-judge.js';
import { FakeMetricProvider } from '../fake-metric-provider.js';

const NEW = { cluster: 'gp-prod-ws-eu18-eu-west1', shortName: 'eu18', region: 'europe-west1' };
const OLD = { cluster: 'gp-prod-ws-eu17-eu-west1', shortName: 'eu17', region: 'europe-west1' };
const NOW = new Date('2025-01-01T12:00:00Z');
const metric = metricSchema.parse({ name: 'fail-ratio', query: 'r{c="{{shortName}}"}', samplesQuery: 's{c="{{shortName}}"}', threshold: { max: 0.1 }, minSamples: 10 });
const ctx = (provider: FakeMetricProvider) => ({ provider, newClusters: [NEW], oldClusters: [OLD], intervalMs: 300_000, now: NOW, elapsedInStepMs: 0, sampleDeadlineMs: 1_800_000 });

describe('proportion metric whose value query returns several series for one cluster', () => {
  for (const order of [[[1], [0]], [[0], [1]]]) {
    it(`never passes, whatever the order of the series (${JSON.stringify(order)})`, async () => {
      const p = new FakeMetricProvider().set('r{c="eu18"}', ...order).set('s{c="eu18"}', [20], [20]).set('r{c="eu17"}', [0.01]).set('s{c="eu17"}', [100]);
      const d = await evaluateMetric(metric, ctx(p));
      expect(d.outcome).not.toBe('pass');
    });
  }

  it('is an error that names the query, the cluster and the fix', async () => {
    const p = new FakeMetricProvider().set('r{c="eu18"}', [1], [0]).set('s{c="eu18"}', [20], [20]).set('r{c="eu17"}', [0.01]).set('s{c="eu17"}', [100]);
    const d = await evaluateMetric(metric, ctx(p));
    expect(d.outcome).toBe('error');
    expect(d.rule).toBe('query.many-series');
    expect(d.message).toContain('r{c="eu18"}');
    expect(d.message).toContain('2 series');
    expect(d.message).toMatch(/sum/);
  });

  it('applies to the baseline too (its ratio weighs its starts)', async () => {
    const p = new FakeMetricProvider().set('r{c="eu18"}', [0]).set('s{c="eu18"}', [40]).set('r{c="eu17"}', [0.5], [0]).set('s{c="eu17"}', [100]);
    const d = await evaluateMetric(metricSchema.parse({ ...metric, threshold: undefined, comparison: { method: 'proportion', maxDifference: 0.02 } }), ctx(p));
    expect(d.rule).toBe('query.many-series');
  });

  it('still sums a samples query over its series (starts per pod add up)', async () => {
    const p = new FakeMetricProvider().set('r{c="eu18"}', [0]).set('s{c="eu18"}', [20], [20]).set('r{c="eu17"}', [0.01]).set('s{c="eu17"}', [100]);
    const d = await evaluateMetric(metric, ctx(p));
    expect(d.clusters?.[0]?.samples).toBe(40);
  });
});
