import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { averageRanks, hodgesLehmann, mannWhitneyU } from '../../../src/traffic/stats/mann-whitney.js';
import { erfc, normalSf } from '../../../src/traffic/stats/normal.js';

interface ReferenceCase {
  name: string;
  x: number[];
  y: number[];
  results: Partial<Record<'exact' | 'asymptotic', { u: number; pValue: number }>>;
  rankBiserial: number;
  hodgesLehmann: number;
}

// Produced by test/fixtures/traffic/mann-whitney-reference.py with SciPy (see its header).
const reference = JSON.parse(
  readFileSync(new URL('../../fixtures/traffic/mann-whitney-reference.json', import.meta.url), 'utf8'),
) as { generator: string; cases: ReferenceCase[] };

describe('mann-whitney U against SciPy reference values', () => {
  it('has the fixture cases', () => {
    expect(reference.cases.length).toBeGreaterThanOrEqual(10);
  });

  for (const c of reference.cases) {
    for (const [method, expected] of Object.entries(c.results)) {
      it(`${c.name} (${method})`, () => {
        const r = mannWhitneyU(c.x, c.y, method as 'exact' | 'asymptotic');
        expect(r.method).toBe(method);
        expect(r.u).toBe(expected.u);
        expect(r.u + r.uOther).toBe(c.x.length * c.y.length);
        expect(r.pValue).toBeCloseTo(expected.pValue, 12);
        expect(r.rankBiserial).toBeCloseTo(c.rankBiserial, 12);
        expect(r.hodgesLehmann).toBeCloseTo(c.hodgesLehmann, 9);
      });
    }
  }

  it('reproduces the documented published values', () => {
    // SciPy docstring: U = 17, exact p = 0.1111; R ?wilcox.test: W = 35, p = 0.2544.
    const ages = mannWhitneyU([19, 22, 16, 29, 24], [20, 11, 17, 12], 'exact');
    expect(ages.u).toBe(17);
    expect(ages.pValue.toFixed(4)).toBe('0.1111');
    const perm = mannWhitneyU([0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46], [1.15, 0.88, 0.9, 0.74, 1.21]);
    expect(perm.method).toBe('exact');
    expect(perm.u).toBe(35);
    expect(perm.pValue.toFixed(4)).toBe('0.2544');
  });
});

describe('mann-whitney U behaviour', () => {
  it('auto picks the exact permutation p for small tied samples and exact when there are no ties', () => {
    expect(mannWhitneyU([1, 2, 2], [3, 4]).method).toBe('permutation');
    expect(mannWhitneyU([1, 2, 5], [3, 4]).method).toBe('exact');
  });

  it('refuses exact with ties, empty samples and non-finite values', () => {
    expect(() => mannWhitneyU([1, 1], [2], 'exact')).toThrow(/tied/);
    expect(() => mannWhitneyU([], [1])).toThrow(/both sides/);
    expect(() => mannWhitneyU([Number.NaN], [1])).toThrow(/non-finite/);
  });

  it('is symmetric: swapping samples swaps U and negates the effect, p unchanged', () => {
    const x = [3, 5, 7, 9, 11.5];
    const y = [1, 2, 4, 6];
    const a = mannWhitneyU(x, y);
    const b = mannWhitneyU(y, x);
    expect(a.u).toBe(b.uOther);
    expect(a.rankBiserial).toBeCloseTo(-b.rankBiserial, 15);
    expect(a.pValue).toBeCloseTo(b.pValue, 15);
  });

  it('gives p = 1 for identical constant samples', () => {
    const r = mannWhitneyU([2, 2, 2], [2, 2]);
    expect(r.pValue).toBe(1);
    expect(r.rankBiserial).toBe(0);
  });

  it('averages tied ranks', () => {
    expect(averageRanks([10, 20, 20, 30]).ranks).toEqual([1, 2.5, 2.5, 4]);
    expect(averageRanks([10, 20, 20, 30]).tieSizes).toEqual([1, 2, 1]);
  });

  it('computes the Hodges-Lehmann shift as the median pairwise difference', () => {
    expect(hodgesLehmann([5, 6], [1, 2])).toBe(4);
    expect(hodgesLehmann([1], [1, 2, 3])).toBe(-1);
  });
});

describe('normal tail', () => {
  it('matches known values of erfc and the normal survival function', () => {
    // Abramowitz & Stegun / high-precision tables.
    expect(erfc(0)).toBe(1);
    expect(erfc(0.5)).toBeCloseTo(0.4795001221869535, 15);
    expect(erfc(1)).toBeCloseTo(0.15729920705028513, 15);
    expect(erfc(3) / 2.209049699858544e-5).toBeCloseTo(1, 12);
    expect(erfc(6) / 2.1519736712498913e-17).toBeCloseTo(1, 10);
    expect(erfc(-1)).toBeCloseTo(1.8427007929497148, 15);
    expect(normalSf(1.959963984540054)).toBeCloseTo(0.025, 14);
  });
});
