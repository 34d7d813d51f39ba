/**
 * The normal tail (src/traffic/stats/normal.ts) against SciPy 1.17.1: `scipy.special.erfc(x)` and
 * `scipy.stats.norm.sf(z)`, printed with repr() and written here as literals. Each branch of erfc
 * (negative argument, series below 2.5, continued fraction above) is checked on both sides of its
 * switch, with a relative tolerance: the gate reads p-values of 1e-3 and below, where an absolute
 * tolerance would hide a wrong tail.
 */
import { describe, expect, it } from 'vitest';
import { ERFC_SERIES_BELOW, erfc, normalSf } from '../../../../src/traffic/stats/normal.js';

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
    // 2e-14: SciPy's own sf(8) is 7e-15 below mpmath's 40-digit value (ours 7e-15 above); the tighter check is mpmath's, below.
    it(`sf(${z}) = ${expected} to 2e-14 relative (SciPy)`, () => {
      expectRelative(normalSf(z), expected, 2e-14);
    });
  }
});

/**
 * The accuracy normal.ts states, against an independent high-precision reference: mpmath 1.3 at 40
 * digits (`mpmath.mp.dps = 40; mpmath.erfc(mpmath.mpf(x))`, and `0.5 * mpmath.erfc(mpmath.mpf(z) /
 * mpmath.sqrt(2))` for the tail), printed to 20 digits and kept as strings (Number() rounds them
 * correctly; a double holds ~17). The points straddle the series/continued-fraction
 * switch (x = 1, z = √2) and the old one (x = 2.5, z = 3.5, where 1 − erf lost 6.5e-13).
 */
describe('stated accuracy, against mpmath at 40 digits', () => {
  const ERFC_MP: Array<[number, string]> = [
    [0.5, '0.47950012218695346232'],
    [0.99, '0.16149193044463019642'],
    [1, '0.15729920705028513066'],
    [1.01, '0.15318950377172330211'],
    [2.4, '0.00068851389664507856974'],
    [2.5, '0.00040695201744495893956'],
    [3.5, '7.4309837234141274552e-7'],
  ];
  it('erfc within 4e-15 relative on both sides of the switch', () => {
    expect(ERFC_SERIES_BELOW).toBe(1);
    for (const [x, expected] of ERFC_MP) expectRelative(erfc(x), Number(expected), 4e-15);
  });

  const SF_MP: Array<[number, string]> = [
    [-3, '0.99865010196836990547'],
    [-1, '0.84134474606854294859'],
    [0.5, '0.30853753872598689636'],
    [1, '0.15865525393145705141'],
    [1.4142135623730951, '0.078649603525142557815'],
    [1.5, '0.066807201268858066004'],
    [2, '0.0227501319481792072'],
    [2.5, '0.006209665325776135167'],
    [3, '0.0013498980316300945267'],
    [3.5, '0.00023262907903552503635'],
    [4, '0.000031671241833119921254'],
    [5, '2.8665157187919391167e-7'],
    [6, '9.865876450376981407e-10'],
    [7, '1.2798125438858350044e-12'],
    [8, '6.2209605742717841235e-16'],
  ];
  it('normalSf within 1.1e-14 relative for |z| ≤ 8 (normalSf(3.5) no longer off by 6.5e-13)', () => {
    for (const [z, expected] of SF_MP) expectRelative(normalSf(z), Number(expected), 1.1e-14);
  });
});
