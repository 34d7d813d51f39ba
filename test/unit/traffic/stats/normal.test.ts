/**
 * The normal tail (src/traffic/stats/normal.ts) against SciPy 1.17.1: `scipy.special.erfc(x)` and
 * `scipy.stats.norm.sf(z)`, printed with repr() and written here as literals. Each branch of erfc
 * (negative argument, series below 2.5, continued fraction above) is checked on both sides of its
 * switch, with a relative tolerance: the gate reads p-values of 1e-3 and below, where an absolute
 * tolerance would hide a wrong tail.
 */
import { describe, expect, it } from 'vitest';
import { erfc, normalSf } from '../../../../src/traffic/stats/normal.js';

/** |actual/expected − 1| ≤ tol (expected ≠ 0). */
function expectRelative(actual: number, expected: number, tol: number): void {
  expect(Math.abs(actual / expected - 1), `${actual} vs ${expected}`).toBeLessThanOrEqual(tol);
}

// x -> scipy.special.erfc(x)
const ERFC: Array<[number, number]> = [
  [0.001, 0.9988716212090307],
  [0.1, 0.8875370839817152],
  [0.5, 0.4795001221869535],
  [1, 0.15729920705028516],
  [2, 0.004677734981047266],
  [2.4, 0.0006885138966450789],
  [2.5, 0.00040695201744495886],
  [2.6, 0.000236034416529349],
  [3, 2.2090496998585445e-5],
  [4, 1.541725790028002e-8],
  [6, 2.1519736712498913e-17],
  [10, 2.0884875837625446e-45],
  [20, 5.395865611607901e-176],
  [26.5, 2.2109076642637343e-307],
];

describe('erfc', () => {
  for (const [x, expected] of ERFC) {
    it(`erfc(${x}) = ${expected} to 1e-13 relative (SciPy)`, () => {
      expectRelative(erfc(x), expected, 1e-13);
    });
  }

  it('is exactly 1 at 0 and 2 − erfc(|x|) for negative x (SciPy: erfc(−0.5) = 1.5204998778130465, erfc(−3) = 1.9999779095030015)', () => {
    expect(erfc(0)).toBe(1);
    expectRelative(erfc(-0.5), 1.5204998778130465, 1e-15);
    expectRelative(erfc(-1), 1.8427007929497148, 1e-15);
    expectRelative(erfc(-3), 1.9999779095030015, 1e-15);
  });

  it('passes NaN through instead of looping or answering a number', () => {
    expect(erfc(Number.NaN)).toBeNaN();
    expect(normalSf(Number.NaN)).toBeNaN();
  });

  it('reaches 0 only beyond the double range (erfc(30) underflows to 0) and 2 at −∞', () => {
    expect(erfc(30)).toBe(0);
    expect(erfc(-30)).toBe(2);
  });
});

describe('normalSf = P(Z > z)', () => {
  // z -> scipy.stats.norm.sf(z)
  const SF: Array<[number, number]> = [
    [-2, 0.9772498680518208],
    [0, 0.5],
    [1, 0.15865525393145707],
    [1.6448536269514722, 0.050000000000000044],
    [2.326, 0.010009275340867669],
    [3.5, 0.00023262907903552502],
    [8, 6.22096057427174e-16],
  ];
  for (const [z, expected] of SF) {
    // 1e-12: at z/√2 just below 2.5 the series' 1 − erf keeps ~6.5e-13 relative (measured at z = 3.5).
    it(`sf(${z}) = ${expected} to 1e-12 relative (SciPy)`, () => {
      expectRelative(normalSf(z), expected, 1e-12);
    });
  }
});
