/**
 * `minSamples` counts events. A threshold metric is one instant query: without a `samplesQuery` its samples would be
 * the series it returns (one per cluster when aggregated), so minSamples above 1 could never be met, or only by having
 * several series. validate refuses it at `minSamples`, naming the fix (a samplesQuery).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, configDir, problems, valid, type ConfigDir } from './helpers.js';

let ctx: ConfigDir;
beforeAll(async () => {
  ctx = await configDir();
});
afterAll(() => ctx.cleanup());

function shift(metric: string): string {
  return `trafficShift:\n  steps: [50, 100]\n  interval: 1m\n  analysis:\n    provider: { type: prometheus, url: "http://prometheus:9090" }\n    metrics:\n${metric}`;
}
const P95 = 'histogram_quantile(0.95, sum by (le) (rate(start_seconds_bucket{cluster="{{cluster}}"}[{{interval}}])))';
const STARTS = 'sum(increase(starts_total{cluster="{{cluster}}"}[{{interval}}]))';

describe('minSamples on a threshold metric without a samplesQuery', () => {
  it('is refused at minSamples, naming the samplesQuery as the fix', () => {
    const text = BASE + shift(`      - name: startup-p95\n        query: '${P95}'\n        threshold: { max: 10 }\n        minSamples: 20\n`);
    const lines = problems(text, ctx.file);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^24:21: trafficShift\.analysis\.metrics\[0\]\.minSamples: minSamples counts events \(e\.g\. workspace starts\), but this threshold metric has no samplesQuery: /);
    expect(lines[0]).toContain('add a samplesQuery that counts the events in the window, e.g. sum(increase(starts_total{cluster="{{cluster}}"}[{{interval}}])), or remove minSamples');
  });

  it('is accepted with a samplesQuery, at 0 or 1, and on comparisons (their points are samples)', () => {
    const text = shift(
      `      - { name: p95-counted, query: '${P95}', threshold: { max: 10 }, minSamples: 20, samplesQuery: '${STARTS}' }\n` +
        `      - { name: p95-one, query: '${P95}', threshold: { max: 10 }, minSamples: 1 }\n` +
        `      - { name: p95-vs-old, query: '${P95.replace('{{interval}}', '{{window}}')}', comparison: { method: mann-whitney, resolution: 30s }, lookback: 10m, minSamples: 5 }\n`,
    );
    expect(() => valid(BASE + text, ctx.file)).not.toThrow();
  });
});
