/**
 * `{{interval}}` / `{{lookback}}` in a point comparison's query (mann-whitney, ratio) makes every point
 * of the range query cover the whole lookback: the compared points overlap and are not independent.
 * validate refuses it at the query, naming the fix ({{window}} / {{resolution}}); plan and deploy load
 * the config through the same parse, so they cannot get past it (e2e: test/e2e/bad-config.test.ts).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { BASE, configDir, problems, valid, type ConfigDir } from './helpers.js';

let ctx: ConfigDir;
beforeAll(async () => {
  ctx = await configDir();
});
afterAll(() => ctx.cleanup());

const FIX = /use \{\{window\}\} \(or \{\{resolution\}\}\), e\.g\. rate\(x\[\{\{window\}\}\]\), so each point covers its own resolution-long window$/;

function shift(metric: string): string {
  return `trafficShift:\n  steps: [50, 100]\n  interval: 5m\n  analysis:\n    provider: { type: prometheus, url: "http://prometheus:9090" }\n    metrics:\n${metric}`;
}
const P95 = (window: string) => `histogram_quantile(0.95, sum by (le) (rate(start_seconds_bucket{cluster="{{shortName}}"}[${window}])))`;

describe('a comparison over overlapping windows is refused', () => {
  it('refuses {{interval}} in a mann-whitney query, positioned at the query, naming the fix', () => {
    const text = BASE + shift(`      - name: startup-p95\n        query: '${P95('{{interval}}')}'\n        comparison: { method: mann-whitney, resolution: 30s }\n`);
    const lines = problems(text, ctx.file);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^22:16: trafficShift\.analysis\.metrics\[0\]\.query: startup-p95: \{\{interval\}\} in a mann-whitney comparison query makes each point cover the whole lookback, so the compared points come from overlapping windows and are not independent; /);
    expect(lines[0]).toMatch(FIX);
  });

  it('refuses {{lookback}} too, and in a ratio comparison', () => {
    const text = BASE + shift(`      - { name: backups, query: 'sum(rate(backup_failures{c="{{shortName}}"}[{{lookback}}]))', comparison: { method: ratio, maxRatio: 1.5 } }\n`);
    const lines = problems(text, ctx.file);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^21:33: trafficShift\.analysis\.metrics\[0\]\.query: backups: \{\{lookback\}\} in a ratio comparison query /);
    expect(lines[0]).toMatch(FIX);
  });

  it('accepts {{window}} and {{resolution}} in comparison queries', () => {
    const text = shift(
      `      - { name: startup-p95, query: '${P95('{{window}}')}', comparison: { method: mann-whitney, resolution: 30s } }\n` +
        `      - { name: backups, query: 'sum(rate(backup_failures{c="{{shortName}}"}[{{resolution}}]))', comparison: { method: ratio, maxRatio: 1.5, resolution: 1m } }\n`,
    );
    expect(() => valid(BASE + text, ctx.file)).not.toThrow();
  });

  it('accepts {{interval}} where it is the right window: thresholds, proportion comparisons (instant queries over the lookback) and samplesQuery', () => {
    const ratio = 'sum(rate(f{c="{{shortName}}"}[{{interval}}])) / sum(rate(s{c="{{shortName}}"}[{{interval}}]))';
    const samples = 'sum(increase(s{c="{{shortName}}"}[{{interval}}]))';
    const text = shift(
      `      - { name: ratio-max, query: '${ratio}', threshold: { max: 0.05 }, samplesQuery: '${samples}' }\n` +
        `      - { name: ratio-vs-old, query: '${ratio}', comparison: { method: proportion, maxDifference: 0.02 }, samplesQuery: '${samples}' }\n` +
        `      - { name: p95, query: '${P95('{{window}}')}', comparison: { method: mann-whitney, resolution: 30s }, samplesQuery: '${samples}' }\n`,
    );
    expect(() => valid(BASE + text, ctx.file)).not.toThrow();
  });

  it('the README, examples and docs configs still validate', () => {
    for (const file of ['examples/sandbox.yaml', 'examples/production.yaml']) {
      expect(() => parseConfig(readFileSync(file, 'utf8'), file), file).not.toThrow();
    }
  });
});
