import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { trafficShiftSchema } from '../../../src/traffic/config.js';
import { describeJudging } from '../../../src/traffic/judging-plan.js';

/** The `trafficShift:` block of the README's example config. */
function readmeShift(): unknown {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf('\ntrafficShift:\n');
  const end = readme.indexOf('```', start);
  expect(start).toBeGreaterThan(0);
  const shift = (parse(readme.slice(start, end)) as { trafficShift: { analysis: { provider: { bearerTokenFile?: string } } } }).trafficShift;
  // The example's token file sits beside its config, which this fragment has none of; the file must exist
  // at validate (tested with the config loader), so the fragment gets one of its own.
  expect(shift.analysis.provider.bearerTokenFile).toBe('./token');
  const token = join(mkdtempSync(join(tmpdir(), 'wsd-readme-token-')), 'token');
  writeFileSync(token, 'example-token\n', { mode: 0o600 });
  shift.analysis.provider.bearerTokenFile = token;
  return shift;
}

describe("the README's analysis example", () => {
  it('is valid, judges counts on counts and has comparisons that can reject', () => {
    const shift = trafficShiftSchema.parse(readmeShift());
    const judged = describeJudging(shift.analysis, { kind: 'step', percent: 5 });
    expect(judged).toMatch(/start-failure-ratio: threshold max 0\.05, 95 % Wilson bounds on each cluster's counts/);
    expect(judged).toMatch(/startup-time-p95 \[dry run\]: Mann-Whitney one-sided at 98 %.*against the old clusters' current values/);
    expect(describeJudging(shift.analysis, { kind: 'bake' })).toMatch(/against the old clusters' values from before the shift began/);
  });

  it('refuses a comparison that can never reject, naming the fix', () => {
    const input = readmeShift() as { interval: string; analysis: { metrics: Array<Record<string, unknown>>; scrapeInterval?: string } };
    input.interval = '45s';
    // Only this problem: 15 s windows of the README's 30 s scrapes would also be refused (too short for rate()).
    delete input.analysis.scrapeInterval;
    input.analysis.metrics[1] = { ...input.analysis.metrics[1], comparison: { method: 'mann-whitney', confidence: 0.98, resolution: '15s' } };
    const r = trafficShiftSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/startup-time-p95: 3 point\(s\) per side \(lookback 45s \/ resolution 15s\) can never show a difference at confidence 0\.98 \(smallest possible p 0\.05\); lengthen lookback/);
  });
});
