/**
 * The real scrape interval of a target (providers/scrape-intervals.ts): its own `scrapeInterval` from
 * /api/v1/targets, else its scrape pool's `scrape_interval` in the running config, else the global one, else
 * Prometheus' default 1m; for a recording rule's series, its group's evaluation interval from /api/v1/rules. (Read
 * from a real Prometheus in prometheus-real-scrape-interval.test.ts and prometheus-recording-rule.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { configIntervals, ruleIntervals, selectorMetricName, targetIntervals } from '../../../src/traffic/providers/scrape-intervals.js';

const YAML = ['global:', '  scrape_interval: 15s', 'scrape_configs:', '  - job_name: ws-manager', '    scrape_interval: 1m', '  - job_name: other', ''].join('\n');

describe('real scrape intervals', () => {
  it("takes a target's own scrapeInterval, else its scrape pool's from the config (the config asked only then)", async () => {
    let asked = 0;
    const config = async () => {
      asked++;
      return configIntervals(YAML);
    };
    const active = [
      { labels: { job: 'ws', instance: 'a:1' }, scrapePool: 'ws-manager', scrapeInterval: '30s' },
      { labels: { job: 'ws', instance: 'b:1' }, scrapePool: 'ws-manager' },
      { labels: { job: 'other', instance: 'c:1' }, scrapePool: 'other' },
    ];
    expect(await targetIntervals([{ job: 'ws', instance: 'a:1' }], active, config)).toEqual([{ target: 'ws/a:1', job: 'ws', intervalMs: 30_000 }]);
    expect(asked).toBe(0);
    expect(await targetIntervals([{ job: 'ws', instance: 'b:1' }, { job: 'other', instance: 'c:1' }, { job: 'gone', instance: 'd:1' }], active, config)).toEqual([
      { target: 'ws/b:1', job: 'ws', intervalMs: 60_000 },
      { target: 'other/c:1', job: 'other', intervalMs: 15_000 },
    ]);
    expect(asked).toBe(1);
  });

  it("uses Prometheus' default 1m without a global scrape_interval, and nothing from unreadable YAML", () => {
    expect(configIntervals('scrape_configs:\n  - job_name: a\n')).toEqual(new Map([['a', 60_000]]));
    expect(configIntervals('scrape_configs: [')).toBeUndefined();
  });

  it("takes a recording rule's group interval for the series it writes, and nothing from alerting rules or other records", () => {
    expect(selectorMetricName('cluster:starts:rate5m{cluster="eu18"}')).toBe('cluster:starts:rate5m');
    expect(selectorMetricName('{__name__="cluster:starts:rate5m", cluster="eu18"}')).toBe('cluster:starts:rate5m');
    const groups = [
      { name: 'ws', file: '/etc/rules.yml', interval: 30, rules: [{ name: 'cluster:starts:rate5m', type: 'recording' }, { name: 'cluster:other', type: 'recording' }] },
      { name: 'alerts', file: '/etc/alerts.yml', interval: 120, rules: [{ name: 'cluster:starts:rate5m', type: 'alerting' }] },
      { name: 'broken', interval: 'soon', rules: [{ name: 'cluster:starts:rate5m', type: 'recording' }] },
    ];
    expect(ruleIntervals(new Set(['cluster:starts:rate5m']), groups)).toEqual([{ target: 'rule group "ws" (/etc/rules.yml)', job: '', intervalMs: 30_000, rule: 'cluster:starts:rate5m' }]);
  });
});
