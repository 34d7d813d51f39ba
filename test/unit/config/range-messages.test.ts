import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, configDir, problems, type ConfigDir } from './helpers.js';

let ctx: ConfigDir;
beforeAll(async () => {
  ctx = await configDir();
});
afterAll(() => ctx.cleanup());

const SHIFT = 'trafficShift:\n  analysis:\n    provider: { type: prometheus, url: "https://prom.example" }\n    metrics: [{ name: m, query: q, threshold: { max: 1 } }]\n';

describe('config: numbers out of range and empty lists', () => {
  it('a number out of range names its value and the range, not "characters"', () => {
    expect(problems(`${BASE}${SHIFT}  steps: [5, 25, 150]\n`, ctx.file)).toEqual([
      '19:18: trafficShift.steps[2]: must be at most 100, got number 150; use a number at most 100',
    ]);
    expect(problems(`${BASE}${SHIFT}  steps: [0, 100]\n`, ctx.file)).toEqual([
      '19:11: trafficShift.steps[0]: must be at least 1, got number 0; use a number at least 1',
    ]);
  });

  it('an empty list is reported once, at the list', () => {
    expect(problems(`${BASE}${SHIFT}  steps: []\n`, ctx.file)).toEqual(['19:10: trafficShift.steps: needs at least 1 item']);
  });
});
