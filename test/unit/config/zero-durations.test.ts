/**
 * Durations where 0s has no meaning (intervals, timeouts, windows, deadlines) are refused at the field,
 * located and naming the fix: `interval: 0s` planned "measure every 0s" and a 0s timeout aborted every
 * query or delivery at once. Fields where 0 means "none" (initialDelay, bake, firstGenerationWatch) keep it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, configDir, problems, valid, type ConfigDir } from './helpers.js';

let ctx: ConfigDir;
beforeAll(async () => {
  ctx = await configDir();
});
afterAll(() => ctx.cleanup());

const METRIC = '      - { name: failures, query: "sum(rate(f{cluster=\\"{{shortName}}\\"}[{{interval}}]))", threshold: { max: 0.1 } }\n';
const COMPARISON = '      - { name: p95, query: "x{c=\\"{{shortName}}\\"}[{{window}}]", comparison: { method: mann-whitney } }\n';

/** A trafficShift section (line 15 on, after BASE's 14 lines) with `shift` lines under it, `analysis` lines under analysis and `metric` as the metric. */
function shift(opts: { shift?: string; analysis?: string; provider?: string; metric?: string } = {}): string {
  return `${BASE}trafficShift:
  steps: [50, 100]
${opts.shift ?? ''}  analysis:
    provider: { type: prometheus, url: "http://prometheus:9090"${opts.provider ?? ''} }
${opts.analysis ?? ''}    metrics:
${opts.metric ?? METRIC}`;
}

describe('a zero duration is refused where it has no meaning', () => {
  const cases: [string, string, RegExp][] = [
    ['interval', shift({ shift: '  interval: 0s\n' }), /^17:13: trafficShift\.interval: must be longer than 0s: it is the time between measurements .*; write e\.g\. 60s$/],
    ['staffStage.duration', shift({ shift: '  staffStage: { duration: 0s }\n' }), /^17:27: trafficShift\.staffStage\.duration: must be longer than 0s: the staff canary would end at once; .*drop staffStage/],
    ['rollback.duration', shift({ shift: '  rollback: { mode: gradual, duration: 0m }\n' }), /^17:40: trafficShift\.rollback\.duration: must be longer than 0s: .*use mode: instant/],
    ['retire.drainTimeout', shift({ shift: '  retire: { drainTimeout: 0h }\n' }), /^17:27: trafficShift\.retire\.drainTimeout: must be longer than 0s: .*write e\.g\. 24h$/],
    ['provider.timeout', shift({ provider: ', timeout: 0s' }), /^18:75: trafficShift\.analysis\.provider\.timeout: must be longer than 0s: every query would abort at once; write e\.g\. 10s$/],
    ['sampleDeadline', shift({ analysis: '    sampleDeadline: 0s\n' }), /^19:21: trafficShift\.analysis\.sampleDeadline: must be longer than 0s: .*write e\.g\. 30m$/],
    ['scrapeInterval', shift({ analysis: '    scrapeInterval: 0ms\n' }), /^19:21: trafficShift\.analysis\.scrapeInterval: must be longer than 0s: write Prometheus' scrape_interval/],
    ['metric interval', shift({ metric: METRIC.replace(' }\n', ', interval: 0s }\n') }), /^20:126: trafficShift\.analysis\.metrics\[0\]\.interval: must be longer than 0s: .*omit it to use trafficShift\.interval$/],
    ['metric lookback', shift({ metric: METRIC.replace(' }\n', ', lookback: 0s }\n') }), /^20:126: trafficShift\.analysis\.metrics\[0\]\.lookback: must be longer than 0s: a 0s query window holds no data; /],
    ['comparison resolution', shift({ metric: COMPARISON.replace('mann-whitney }', 'mann-whitney, resolution: 0s }') }), /^20:115: trafficShift\.analysis\.metrics\[0\]\.comparison\.resolution: must be longer than 0s: .*write e\.g\. 15s$/],
    ['command.timeout', `${BASE}trafficShift:\n  command: { argv: [./shift.sh], timeout: 0s }\n`, /^16:43: trafficShift\.command\.timeout: must be longer than 0s: the command would be stopped as it starts; write e\.g\. 2h$/],
    ['webhook timeout', `${BASE}notifications:\n  webhooks:\n    - { url: "https://hooks.example.com/x", timeout: 0s }\n`, /^17:54: notifications\.webhooks\[0\]\.timeout: must be longer than 0s: every delivery would abort at once; write e\.g\. 5s$/],
  ];
  for (const [field, text, expected] of cases) {
    it(`refuses ${field}: 0, located, naming the fix`, () => {
      const lines = problems(text, ctx.file);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(expected);
    });
  }

  it('keeps 0s where it means "none": initialDelay, bake, firstGenerationWatch', () => {
    const text = shift({ shift: '  bake: 0s\n', analysis: '    initialDelay: 0s\n    firstGenerationWatch: 0s\n', metric: METRIC.replace(' }\n', ', initialDelay: 0s }\n') });
    const shiftConfig = valid(text, ctx.file).config.trafficShift;
    expect(shiftConfig?.bake).toBe(0);
    expect(shiftConfig?.analysis?.initialDelay).toBe(0);
    expect(shiftConfig?.analysis?.firstGenerationWatch).toBe(0);
    expect(shiftConfig?.analysis?.metrics[0]?.initialDelay).toBe(0);
  });

  it('still accepts short positive values', () => {
    const text = shift({ shift: '  interval: 1s\n', provider: ', timeout: 500ms', analysis: '    sampleDeadline: 1s\n' });
    expect(valid(text, ctx.file).config.trafficShift?.interval).toBe(1_000);
  });
});
