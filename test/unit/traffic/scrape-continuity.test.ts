/**
 * The fast "stopped reporting" rule trusts an empty window only when the new cluster's own scrape targets were
 * scraped throughout it (scrape-continuity.ts). A provider that can tell and says they were not, cannot say, or
 * fails to answer: the empty window is a gap (wait). A provider that cannot tell at all (the simulator, a model
 * without outages) keeps the rule. The real-Prometheus cases: a restart (prometheus-restart-window.test.ts), a hung
 * exporter while other targets keep up full (prometheus-target-stall.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { metricSchema } from '../../../src/traffic/analysis-config.js';
import { evaluateMetric, type MeasurementContext } from '../../../src/traffic/judges/metric-judge.js';
import { scrapingInterruption } from '../../../src/traffic/judges/scrape-continuity.js';
import { MetricQueryError, type MetricProvider } from '../../../src/traffic/providers/provider.js';
import { FakeMetricProvider } from './fake-metric-provider.js';

const NEW = { cluster: 'gp-prod-ws-eu18-eu-west1', shortName: 'eu18', region: 'europe-west1' };
const OLD = { cluster: 'gp-prod-ws-eu17-eu-west1', shortName: 'eu17', region: 'europe-west1' };
const NOW = new Date('2025-01-01T12:00:00Z');

/** The old cluster reports, the new one (which reported before) has no series; `up` as the test says. */
function provider(scrapes: () => Promise<number | undefined>): FakeMetricProvider & { asked: Array<{ selectors: readonly string[]; windowMs: number; at?: Date }> } {
  const fake = new FakeMetricProvider().set('fail_rate{c="eu17"}', [0.01]);
  const asked: Array<{ selectors: readonly string[]; windowMs: number; at?: Date }> = [];
  return Object.assign(fake, {
    asked,
    targetScrapes: async (selectors: readonly string[], windowMs: number, _spanMs: number, options?: { time?: Date }) => {
      asked.push({ selectors, windowMs, at: options?.time });
      return scrapes();
    },
  });
}

describe("whether the new cluster's targets were scraped throughout an empty window", () => {
  const metric = metricSchema.parse({ name: 'm', query: 'fail_rate{c="{{shortName}}"}', threshold: { max: 0.05 } });
  const ctx = (p: MetricProvider): MeasurementContext => ({
    provider: p,
    newClusters: [NEW],
    oldClusters: [OLD],
    intervalMs: 60_000,
    now: NOW,
    elapsedInStepMs: 60_000,
    sampleDeadlineMs: 600_000,
    scrapeIntervalMs: 10_000,
    reported: new Set([NEW.cluster]),
  });

  it("fails at once when the cluster's targets have every scrape of the window (asked of its own series, at the window, once)", async () => {
    const p = provider(async () => 6);
    expect(await evaluateMetric(metric, ctx(p))).toMatchObject({ outcome: 'fail', rule: 'no-data.stopped-reporting' });
    expect(p.asked).toEqual([{ selectors: ['fail_rate{c="eu18"}'], windowMs: 60_000, at: NOW }]);
  });

  it('waits (a gap) when a target of the cluster missed scrapes, when none has up, and when the check fails', async () => {
    const cases: Array<[() => Promise<number | undefined>, RegExp]> = [
      [async () => 5, /its scrape targets were not scraped throughout the 1m window \(a target that exposed its series had 5 successful scrapes \(up = 1\) of 6 of 10s: its exporter hung or failed, or Prometheus stalled or restarted\): no evidence against the cluster/],
      [async () => undefined, /\(no target that exposed its series has samples of up there: gone from service discovery, or its series are not scraped by this Prometheus\)/],
      [async () => Promise.reject(new MetricQueryError('server', 'prometheus answered 503')), /whether its scrape targets were scraped throughout the 1m window is unknown \(sum_over_time\(up\[…\]\) failed: prometheus answered 503\)/],
    ];
    for (const [scrapes, message] of cases) {
      const d = await evaluateMetric(metric, ctx(provider(scrapes)));
      expect(d).toMatchObject({ outcome: 'wait', rule: 'no-data.gap' });
      expect(d.message).toMatch(message);
    }
  });

  it('does not ask when the rule would not fire (the new cluster reports), and keeps it for a provider that cannot tell', async () => {
    const p = provider(async () => 0);
    p.set('fail_rate{c="eu18"}', [0.01]);
    expect(await evaluateMetric(metric, ctx(p))).toMatchObject({ outcome: 'pass' });
    expect(p.asked).toEqual([]);
    expect(await scrapingInterruption(new FakeMetricProvider(), ['fail_rate{c="eu18"}'], 60_000, 10_000, NOW)).toBeUndefined();
  });

  it('waits when the server (re)started inside the window, whatever up says; a start before it, or none known, leaves it to up', async () => {
    const restarted = (startedAt: () => Promise<Date | undefined>, scrapes: number) => Object.assign(provider(async () => scrapes), { startedAt });
    const inside = await evaluateMetric(metric, ctx(restarted(async () => new Date(NOW.getTime() - 30_000), 6)));
    expect(inside).toMatchObject({ outcome: 'wait', rule: 'no-data.gap' });
    expect(inside.message).toContain('(Prometheus (re)started at 2025-01-01T11:59:30.000Z, inside the 1m window, and the targets resumed at their own scrape offsets: no evidence against the cluster)');
    expect(await evaluateMetric(metric, ctx(restarted(async () => new Date(NOW.getTime() - 61_000), 6)))).toMatchObject({ outcome: 'fail', rule: 'no-data.stopped-reporting' });
    // runtimeinfo not served (Thanos): up's count decides.
    expect(await evaluateMetric(metric, ctx(restarted(async () => Promise.reject(new MetricQueryError('bad-response', 'not found')), 6)))).toMatchObject({ outcome: 'fail', rule: 'no-data.stopped-reporting' });
    expect(await evaluateMetric(metric, ctx(restarted(async () => undefined, 2)))).toMatchObject({ outcome: 'wait', rule: 'no-data.gap' });
  });

  it('lets our own abort through', async () => {
    const p = provider(async () => Promise.reject(new MetricQueryError('aborted', 'aborted')));
    await expect(evaluateMetric(metric, ctx(p))).rejects.toThrow('aborted');
  });
});
