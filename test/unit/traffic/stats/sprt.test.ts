/**
 * Wald's SPRT on failure counts (src/traffic/stats/sprt.ts). Expected values are closed forms worked
 * by hand: llr = k·ln(p1/p0) + (n−k)·ln((1−p1)/(1−p0)), reject at ln(1/α), accept at ln β. The
 * boundary cases use settings whose ratios are exact binary fractions (2, 1.5, ½), so "at the bound"
 * is an exact floating-point equality and the inclusive comparisons are tested, not approximated.
 */
import { describe, expect, it } from 'vitest';
import { bernoulliSprt, startsToAccept, type SprtSettings } from '../../../../src/traffic/stats/sprt.js';

// Typical gate: healthy 1 %, catch 5 %, 5 % false rollbacks, 10 % false promotions.
const GATE: SprtSettings = { p0: 0.01, p1: 0.05, alpha: 0.05, beta: 0.1 };
const LN5 = 1.6094379124341003; // ln(0.05/0.01)
const LN_SUCCESS = -0.041242958534049134; // ln(0.95/0.99), SciPy/numpy log
const LN20 = 2.995732273553991; // ln(1/0.05)
const LN_TENTH = -2.3025850929940455; // ln(0.1)

describe('bernoulliSprt', () => {
  it('reports the bounds ln(1/α) and ln β', () => {
    const r = bernoulliSprt(0, 0, GATE);
    expect(r.upper).toBeCloseTo(LN20, 14);
    expect(r.lower).toBeCloseTo(LN_TENTH, 14);
    expect(r.llr).toBe(0);
    expect(r.decision).toBe('continue');
  });

  it('adds ln(p1/p0) per failure and ln((1−p1)/(1−p0)) per success: 2 of 30 gives 2·1.6094 + 28·(−0.04124) = 2.0641', () => {
    const r = bernoulliSprt(2, 30, GATE);
    expect(r.llr).toBeCloseTo(2 * LN5 + 28 * LN_SUCCESS, 12);
    expect(r.llr).toBeCloseTo(2.0641, 4);
    expect(r.decision).toBe('continue');
  });

  it('rejects (rolls back) at 3 failures in 40 starts: 3·1.6094 + 37·(−0.04124) = 3.3024 ≥ ln 20 = 2.9957', () => {
    const r = bernoulliSprt(3, 40, GATE);
    expect(r.llr).toBeCloseTo(3 * LN5 + 37 * LN_SUCCESS, 12);
    expect(r.decision).toBe('reject');
  });

  it('accepts (promotes) after 56 clean starts, not 55: 55·0.04124 = 2.268 < 2.3026 ≤ 56·0.04124 = 2.310', () => {
    expect(bernoulliSprt(0, 55, GATE).decision).toBe('continue');
    expect(bernoulliSprt(0, 56, GATE).decision).toBe('accept');
    expect(bernoulliSprt(0, 56, GATE).llr).toBeCloseTo(56 * LN_SUCCESS, 12);
  });

  it('rejects when the ratio sits exactly on ln(1/α) (the bound is inclusive)', () => {
    // p1/p0 = 2 and 1/α = 2 exactly: one failure in one start gives llr = ln 2 = upper.
    const s: SprtSettings = { p0: 0.25, p1: 0.5, alpha: 0.5, beta: 0.01 };
    const r = bernoulliSprt(1, 1, s);
    expect(r.llr).toBe(Math.LN2);
    expect(r.upper).toBe(Math.LN2);
    expect(r.decision).toBe('reject');
  });

  it('accepts when the ratio sits exactly on ln β (the bound is inclusive)', () => {
    // (1−p1)/(1−p0) = 0.25/0.5 = ½ and β = ½ exactly: one clean start gives llr = ln ½ = lower.
    const s: SprtSettings = { p0: 0.5, p1: 0.75, alpha: 0.01, beta: 0.5 };
    const r = bernoulliSprt(0, 1, s);
    expect(r.llr).toBe(-Math.LN2);
    expect(r.lower).toBe(-Math.LN2);
    expect(r.decision).toBe('accept');
  });

  it('counts at most every start as a failure and never fewer than none (counter resets, late scrapes)', () => {
    // 5 failures reported for 3 starts: 3 failures, 0 successes.
    expect(bernoulliSprt(5, 3, GATE).llr).toBeCloseTo(3 * LN5, 12);
    // −2 failures: none, 3 successes.
    expect(bernoulliSprt(-2, 3, GATE).llr).toBeCloseTo(3 * LN_SUCCESS, 12);
  });
});

describe('startsToAccept', () => {
  it('is ⌈ln β / ln((1−p1)/(1−p0))⌉: ⌈−2.3026 / −0.04124⌉ = ⌈55.83⌉ = 56 for the typical gate', () => {
    expect(startsToAccept(GATE)).toBe(56);
  });

  it('is exactly 1 when one clean start reaches ln β', () => {
    expect(startsToAccept({ p0: 0.5, p1: 0.75, alpha: 0.01, beta: 0.5 })).toBe(1);
  });

  it('is 50 for p0 = 0.5 %, p1 = 5 %, β = 10 %: ⌈−2.3026 / ln(0.95/0.995)⌉ = ⌈−2.3026 / −0.046281⌉ = ⌈49.75⌉ = 50', () => {
    expect(startsToAccept({ p0: 0.005, p1: 0.05, alpha: 0.05, beta: 0.1 })).toBe(50);
  });
});
