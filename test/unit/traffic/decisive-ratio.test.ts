import { describe, expect, it } from 'vitest';
import { decisiveRatioFailure, wilsonLowerBound } from '../../../src/traffic/judges/decisive-ratio.js';

describe('count-aware early failure', () => {
  it('computes the Wilson lower bound (reference values from the closed form, z = 2.054)', () => {
    expect(wilsonLowerBound(2 / 3, 3)).toBeCloseTo(0.1960, 3);
    expect(wilsonLowerBound(0.5, 100)).toBeCloseTo(0.3994, 3);
    expect(wilsonLowerBound(0, 10)).toBe(0);
    expect(wilsonLowerBound(1, 0)).toBe(0);
  });

  it('fails only when more samples could not help', () => {
    expect(decisiveRatioFailure('m', 0.1, [{ cluster: 'eu1', value: 2 / 3, samples: 3 }])).toMatch(/eu1 is 0\.6667 over only 3 starts, but even its 98 % lower bound 0\.196 is above the maximum 0\.1/);
    expect(decisiveRatioFailure('m', 0.1, [{ cluster: 'eu1', value: 1 / 3, samples: 3 }])).toBeUndefined();
    expect(decisiveRatioFailure('m', 0.1, [{ cluster: 'eu1', value: 0.2, samples: 5 }])).toBeUndefined();
  });

  it('never applies to non-ratios, missing values, no samples or an unbounded maximum', () => {
    expect(decisiveRatioFailure('m', 0.1, [{ cluster: 'eu1', value: 4.2, samples: 30 }])).toBeUndefined();
    expect(decisiveRatioFailure('m', 0.1, [{ cluster: 'eu1', value: undefined, samples: 30 }])).toBeUndefined();
    expect(decisiveRatioFailure('m', 0.1, [{ cluster: 'eu1', value: 1, samples: 0 }])).toBeUndefined();
    expect(decisiveRatioFailure('m', undefined, [{ cluster: 'eu1', value: 1, samples: 30 }])).toBeUndefined();
    expect(decisiveRatioFailure('m', 1, [{ cluster: 'eu1', value: 1, samples: 30 }])).toBeUndefined();
  });
});
