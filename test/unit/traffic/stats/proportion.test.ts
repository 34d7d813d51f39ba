/**
 * Count intervals (src/traffic/stats/proportion.ts). Expected values were computed independently in
 * Python with SciPy 1.17.1 (`scipy.stats.norm.ppf` for the quantile; the Wilson and Newcombe
 * closed forms written out from the papers with that z) and are written here as literals.
 *
 *   wilson(f, n, c): z = ppf(c); p = min(1, max(0, f/n)); centre = p + z²/2n;
 *     margin = z·√(p(1−p)/n + z²/4n²); bounds = (centre ∓ margin)/(1 + z²/n), clipped to [0, 1]
 *   newcombe: d = p1 − p2; lower = d − √((p1−l1)² + (u2−p2)²); upper = d + √((u1−p1)² + (p2−l2)²)
 */
import { describe, expect, it } from 'vitest';
import { differenceBounds, normalQuantile, wilsonBounds } from '../../../../src/traffic/stats/proportion.js';

describe('normalQuantile = Φ⁻¹(p)', () => {
  // p -> scipy.stats.norm.ppf(p)
  const PPF: Array<[number, number]> = [
    [0.6, 0.2533471031357997],
    [0.9, 1.2815515655446004],
    [0.95, 1.6448536269514722],
    [0.975, 1.959963984540054],
    [0.99, 2.3263478740408408],
    [0.999, 3.090232306167813],
    [0.2, -0.8416212335729142],
    [0.05, -1.6448536269514729],
    [1e-6, -4.753424308822899],
  ];
  for (const [p, expected] of PPF) {
    it(`Φ⁻¹(${p}) = ${expected} (SciPy)`, () => {
      expect(Math.abs(normalQuantile(p) - expected)).toBeLessThan(1e-9);
    });
  }

  it('is 0 at the median', () => {
    expect(Math.abs(normalQuantile(0.5))).toBeLessThan(1e-12);
  });

  it('refuses p outside (0, 1), naming the value', () => {
    for (const p of [0, 1, -0.1, 1.5, Number.NaN]) expect(() => normalQuantile(p), String(p)).toThrow(new RangeError(`normalQuantile needs 0 < p < 1 (got ${p})`));
  });
});

describe('wilsonBounds', () => {
  // [failures, trials, confidence, lower, upper] from the closed form above.
  const WILSON: Array<[number, number, number, number, number]> = [
    [3, 10, 0.95, 0.1268765839031979, 0.5583002041301649],
    [1, 200, 0.99, 0.0006876980239461753, 0.03539538495225465],
    [7, 40, 0.9, 0.11127749394260136, 0.2643584930740035],
  ];
  for (const [f, n, c, lower, upper] of WILSON) {
    it(`${f} of ${n} at ${c}: [${lower}, ${upper}]`, () => {
      const b = wilsonBounds(f, n, c);
      expect(b.lower).toBeCloseTo(lower, 10);
      expect(b.upper).toBeCloseTo(upper, 10);
    });
  }

  it('has lower bound exactly 0 with no failures (upper 0.21294 for 0 of 10 at 95 %)', () => {
    const b = wilsonBounds(0, 10, 0.95);
    expect(b.lower).toBe(0);
    expect(b.upper).toBeCloseTo(0.21294197008340698, 10);
  });

  it('has bounds exactly 0 with no failures and exactly 1 when every start failed, for any trials and confidence', () => {
    for (const c of [0.8, 0.9, 0.95, 0.99, 0.999]) {
      for (let n = 1; n <= 400; n++) {
        expect(wilsonBounds(0, n, c).lower, `0 of ${n} at ${c}`).toBe(0);
        expect(wilsonBounds(n, n, c).upper, `${n} of ${n} at ${c}`).toBe(1);
      }
    }
  });

  it('has upper bound 1 when every start failed (lower 0.78706 for 10 of 10 at 95 %)', () => {
    const b = wilsonBounds(10, 10, 0.95);
    expect(b.lower).toBeCloseTo(0.7870580299165931, 10);
    expect(b.upper).toBeCloseTo(1, 12);
    expect(b.upper).toBeLessThanOrEqual(1);
  });

  it('counts more failures than trials as all failed and negative failures as none', () => {
    const over = wilsonBounds(12, 5, 0.95);
    expect(over.lower).toBeCloseTo(0.6488834992348987, 10);
    expect(over.upper).toBeCloseTo(1, 12);
    expect(over.upper).toBeLessThanOrEqual(1);
    const under = wilsonBounds(-1, 5, 0.95);
    expect(under.lower).toBe(0);
    expect(under.upper).toBeCloseTo(0.3511165007651012, 10);
  });

  it('knows nothing without trials: [0, 1]', () => {
    expect(wilsonBounds(0, 0, 0.95)).toEqual({ lower: 0, upper: 1 });
    expect(wilsonBounds(3, -1, 0.95)).toEqual({ lower: 0, upper: 1 });
  });
});

describe('differenceBounds (Newcombe, p1 − p2)', () => {
  // [f1, n1, f2, n2, confidence, lower, upper] from the closed form above.
  const NEWCOMBE: Array<[number, number, number, number, number, number, number]> = [
    [5, 50, 2, 100, 0.95, 0.01643102378184355, 0.17250723701746007],
    [9, 30, 1, 60, 0.975, 0.13183978894032397, 0.4626168383127621],
  ];
  for (const [f1, n1, f2, n2, c, lower, upper] of NEWCOMBE) {
    it(`${f1}/${n1} − ${f2}/${n2} at ${c}: [${lower}, ${upper}]`, () => {
      const b = differenceBounds(f1, n1, f2, n2, c);
      expect(b.lower).toBeCloseTo(lower, 10);
      expect(b.upper).toBeCloseTo(upper, 10);
    });
  }

  it('treats a side without trials as rate 0 with the whole [0, 1] interval', () => {
    const noNew = differenceBounds(0, 0, 3, 30, 0.9);
    expect(noNew.lower).toBeCloseTo(-0.19219302593320006, 10);
    expect(noNew.upper).toBeCloseTo(0.9012828817029025, 10);
    const noOld = differenceBounds(4, 20, 0, 0, 0.95);
    expect(noOld.lower).toBeCloseTo(-0.8056956589244753, 10);
    expect(noOld.upper).toBeCloseTo(0.3783766858353678, 10);
  });
});
