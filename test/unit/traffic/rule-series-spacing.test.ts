/**
 * How the fast "stopped reporting" rule spaces a canary's recording-rule series (rule-spacing.ts): by the slowest
 * evaluation interval of the groups that write them, asking after the targets of the series the rules read, and not
 * at all past a rule that reports itself unhealthy.
 */
import { describe, expect, it } from 'vitest';
import { ruleSeriesSpacing } from '../../../src/traffic/judges/rule-spacing.js';
import { MetricQueryError, type MetricProvider } from '../../../src/traffic/providers/provider.js';
import type { TargetInterval } from '../../../src/traffic/providers/scrape-intervals.js';

const provider = (rules: TargetInterval[] | undefined | Error): MetricProvider => ({
  description: 'fake',
  instant: () => Promise.resolve([]),
  range: () => Promise.resolve([]),
  ruleIntervals: () => (rules instanceof Error ? Promise.reject(rules) : Promise.resolve(rules)),
});
const rule = (name: string, intervalMs: number, extra: Partial<TargetInterval> = {}): TargetInterval => ({ target: `rule group "g${intervalMs}"`, job: '', intervalMs, rule: name, ...extra });

describe('ruleSeriesSpacing', () => {
  it('spaces rule series by the slowest group, keeps the scraped selectors apart and reads the rules\' inputs', async () => {
    const spacing = await ruleSeriesSpacing(
      provider([rule('a:rate', 2_000, { query: 'sum by (cluster) (rate(starts_total[3s]))', health: 'ok' }), rule('b:sum', 5_000, { query: 'sum by (cluster) (failures_total{x="1"})' })]),
      ['a:rate{cluster="c"}', 'b:sum{cluster="c"}', 'up{cluster="c"}'],
    );
    expect(spacing).toEqual({ intervalMs: 5_000, group: 'rule group "g5000"', scraped: ['up{cluster="c"}'], inputs: ['starts_total', 'failures_total{x="1"}'] });
  });

  it('says why an unhealthy rule\'s series say nothing', async () => {
    const spacing = await ruleSeriesSpacing(provider([rule('a:rate', 2_000, { health: 'err', lastError: 'many-to-many matching not allowed' })]), ['a:rate{cluster="c"}']);
    expect(spacing?.unhealthy).toBe('its recording rule a:rate of rule group "g2000" is unhealthy (err: many-to-many matching not allowed), so its series\' absence says nothing of the cluster');
  });

  it('is undefined where no rule writes them, the provider cannot say, or asking fails; rethrows an abort', async () => {
    expect(await ruleSeriesSpacing(provider([]), ['x'])).toBeUndefined();
    expect(await ruleSeriesSpacing(provider(undefined), ['x'])).toBeUndefined();
    expect(await ruleSeriesSpacing(provider(new MetricQueryError('server', 'down')), ['x'])).toBeUndefined();
    await expect(ruleSeriesSpacing(provider(new MetricQueryError('aborted', 'stop')), ['x'])).rejects.toMatchObject({ kind: 'aborted' });
  });
});
