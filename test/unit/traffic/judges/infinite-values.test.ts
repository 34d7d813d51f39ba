/**
 * Prometheus answers +Inf where histogram_quantile falls in the +Inf bucket:
 * every start of the window was slower than the largest bucket. That is the
 * worst value a latency can have, not "no events": a threshold must judge it
 * (above any max), never wait on it as if it were NaN (0/0).
 */
import { describe, expect, it } from 'vitest';
import { metricSchema } from '../../../../src/traffic/analysis-config.js';
import { evaluateMetric } from '../../../../src/traffic/judges/metric-judge.js';
import { FakeMetricProvider } from '../fake-metric-provider.js';

const NEW = { cluster: 'gp-prod-ws-eu18-eu-west1', shortName: 'eu18', region: 'europe-west1' };
const OLD = { cluster: 'gp-prod-ws-eu17-eu-west1', shortName: 'eu17', region: 'europe-west1' };
const NOW = new Date('2025-01-01T12:00:00Z');
const p95 = metricSchema.parse({ name: 'p95-start', query: 'q{c="{{shortName}}"}', threshold: { max: 60 }, minSamples: 1 });
const ctx = (provider: FakeMetricProvider) => ({ provider, newClusters: [NEW], oldClusters: [OLD], intervalMs: 300_000, now: NOW, elapsedInStepMs: 0, sampleDeadlineMs: 1_800_000 });

describe('+Inf from a latency quantile', () => {
  it('fails a max threshold, and says the value is infinite', async () => {
    const d = await evaluateMetric(p95, ctx(new FakeMetricProvider().set('q{c="eu18"}', [Infinity]).set('q{c="eu17"}', [12])));
    expect(d.outcome).toBe('fail');
    expect(d.rule).toBe('threshold.max');
    expect(d.message).toContain('Infinity');
  });

  it('is not hidden by a finite series next to it', async () => {
    const d = await evaluateMetric(p95, ctx(new FakeMetricProvider().set('q{c="eu18"}', [Infinity], [5]).set('q{c="eu17"}', [12])));
    expect(d.outcome).toBe('fail');
  });

  it('passes a min threshold (+Inf is above it) without a "NaN ignored" warning', async () => {
    const m = metricSchema.parse({ name: 'x', query: 'q{c="{{shortName}}"}', threshold: { min: 1 }, minSamples: 1 });
    const d = await evaluateMetric(m, ctx(new FakeMetricProvider().set('q{c="eu18"}', [Infinity]).set('q{c="eu17"}', [12])));
    expect(d.outcome).toBe('pass');
    expect(d.warnings.join(' ')).not.toMatch(/NaN/);
  });

  it('still waits on NaN (0/0: a quiet window)', async () => {
    const d = await evaluateMetric(p95, ctx(new FakeMetricProvider().set('q{c="eu18"}', [NaN]).set('q{c="eu17"}', [12])));
    expect(d.outcome).toBe('wait');
    expect(d.rule).toBe('no-data.no-events');
  });
});
