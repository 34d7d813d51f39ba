/**
 * The real scrape interval of a target (providers/scrape-intervals.ts): its own `scrapeInterval` from
 * /api/v1/targets, else its scrape pool's `scrape_interval` in the running config, else the global one, else
 * Prometheus' default 1m. (Read from a real Prometheus in prometheus-real-scrape-interval.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { configIntervals, targetIntervals } from '../../../src/traffic/providers/scrape-intervals.js';

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
});
