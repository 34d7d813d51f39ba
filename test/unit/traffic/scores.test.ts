import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileScores, constraintSetKey, type ScoreCluster } from '../../../src/traffic/scores.js';

function cluster(name: string, role: 'new' | 'old', extra: Partial<ScoreCluster> = {}): ScoreCluster {
  return { name, role, region: 'europe-west1', state: 'AVAILABLE', score: role === 'old' ? 100 : 0, maxScore: 100, constraintSet: '', ...extra };
}

function scoresOf(r: ReturnType<typeof compileScores>[number]): Record<string, number | undefined> {
  return Object.fromEntries(r.assignments.map((a) => [a.name, a.score]));
}

/**
 * The server's pick, written here from design §4 and not taken from the module under test:
 * weighted random over AVAILABLE clusters of one constraint set, weight min(score, max_score), never negative.
 */
function serverWeight(c: ScoreCluster): number {
  if (c.state !== 'AVAILABLE' || c.score <= 0) return 0;
  return c.score < c.maxScore ? c.score : c.maxScore;
}

/** What the server would do with the scores: weighted share (in percent) of the new clusters. */
function simulateShares(clusters: ScoreCluster[], scores: Record<string, number | undefined>): number {
  const set = clusters.find((c) => c.role === 'new')?.constraintSet ?? '';
  const after = clusters.filter((c) => c.constraintSet === set).map((c) => ({ ...c, score: scores[c.name] ?? c.score }));
  const total = after.reduce((a, c) => a + serverWeight(c), 0);
  if (total === 0) return 0;
  return (100 * after.filter((c) => c.role === 'new').reduce((a, c) => a + serverWeight(c), 0)) / total;
}

describe('score compiler', () => {
  it('gives exact shares for one new and one old cluster', () => {
    const cs = [cluster('eu18', 'new'), cluster('eu17', 'old')];
    expect(scoresOf(compileScores(5, cs)[0]!)).toEqual({ eu18: 5, eu17: 95 });
    expect(scoresOf(compileScores(25, cs)[0]!)).toEqual({ eu18: 25, eu17: 75 });
    expect(scoresOf(compileScores(50, cs)[0]!)).toEqual({ eu18: 50, eu17: 50 });
    expect(scoresOf(compileScores(100, cs)[0]!)).toEqual({ eu18: 100, eu17: 0 });
    expect(scoresOf(compileScores(0, cs)[0]!)).toEqual({ eu18: 0, eu17: 100 });
    expect(compileScores(25, cs)[0]).toMatchObject({ percent: 25, effectivePercent: 25 });
  });

  // Hand-worked: with one score `a` per new cluster and `b` per old one (old at 100 before),
  // the share is n·a / (n·a + o·b). Of the exact integer solutions the one whose total stays
  // closest to the old total wins, then the larger new score. Each row is exact to the last digit,
  // so a solver that only compared shares to whole points would pick a neighbour 0.2–0.5 points off.
  it.each([
    // new, old, percent, expected scores (new..., old...), why
    [1, 2, 60, [99, 33, 33], 'a = 3b; 99/165 = 0.6; total 165 is the closest to 200 (96/32/32 gives 160)'],
    [1, 2, 75, [96, 16, 16], 'a = 6b, a ≤ 100 ⇒ b ≤ 16; 96/128 = 0.75'],
    [1, 2, 90, [90, 5, 5], 'a = 18b, a ≤ 100 ⇒ b ≤ 5; 90/100 = 0.9'],
    [2, 1, 15, [6, 6, 68], 'c = 34a/3 ⇒ a ∈ {3, 6, 9…}; a = 9 needs c = 102 > 100; 12/80 = 0.15'],
    [2, 1, 75, [39, 39, 26], 'c = 2a/3; totals 104 (a = 39) and 96 (a = 36) are both 4 from 100: the larger new score wins; 78/104 = 0.75'],
  ] as Array<[number, number, number, number[], string]>)('gives %i new / %i old clusters at %i percent exactly the scores %j: %s', (n, o, p, expected, _why) => {
    const cs = [...Array.from({ length: n }, (_, i) => cluster(`new${i}`, 'new')), ...Array.from({ length: o }, (_, i) => cluster(`old${i}`, 'old'))];
    const r = compileScores(p, cs)[0]!;
    expect(r.assignments.map((a) => a.score)).toEqual(expected);
    expect(r.effectivePercent).toBe(p);
    const newWeight = expected.slice(0, n).reduce((a, b) => a + b, 0);
    const total = expected.reduce((a, b) => a + b, 0);
    expect((100 * newWeight) / total).toBeCloseTo(p, 10);
  });

  it('lands within half a point for 1–4 new and 1–4 old clusters, except where max_score makes it impossible', () => {
    for (let n = 1; n <= 4; n++) {
      for (let o = 1; o <= 4; o++) {
        for (const p of [1, 5, 10, 25, 33, 50, 75, 90, 99]) {
          const cs = [...Array.from({ length: n }, (_, i) => cluster(`new${i}`, 'new')), ...Array.from({ length: o }, (_, i) => cluster(`old${i}`, 'old'))];
          const r = compileScores(p, cs)[0]!;
          const simulated = simulateShares(cs, scoresOf(r));
          expect(r.effectivePercent).toBeCloseTo(simulated, 1);
          // With each old cluster at most 100 and each new at least 1, n/(n+100·o) is the floor.
          const floor = (100 * n) / (n + 100 * o);
          const ceiling = (100 * 100 * n) / (100 * n + o);
          const achievable = Math.min(Math.max(p, floor), ceiling);
          expect(Math.abs(simulated - achievable), `${n} new, ${o} old, ${p}%`).toBeLessThan(0.5);
          for (const a of r.assignments) expect(Number.isInteger(a.score)).toBe(true);
        }
      }
    }
  });

  it('reports the effective share when max_score clamps the new side', () => {
    const cs = [cluster('eu18', 'new', { maxScore: 10 }), cluster('eu17', 'old')];
    const r = compileScores(50, cs)[0]!;
    expect(scoresOf(r)).toEqual({ eu18: 10, eu17: 10 });
    expect(r.effectivePercent).toBe(50);
    // 4 new capped at 1 each against one old at 100: 1 % cannot be reached, and we say what we get.
    const tight = compileScores(1, [...['a', 'b', 'c', 'd'].map((n) => cluster(n, 'new')), cluster('old', 'old')])[0]!;
    expect(tight.effectivePercent).toBe(3.85);
  });

  it('keeps the proportions of old clusters and uses their max_score as weight', () => {
    const cs = [cluster('new', 'new'), cluster('big', 'old', { score: 100 }), cluster('small', 'old', { score: 50 }), cluster('clamped', 'old', { score: 100, maxScore: 50 })];
    const r = compileScores(20, cs)[0]!;
    const s = scoresOf(r);
    expect((s.big ?? 0) / (s.small ?? 1)).toBeCloseTo(2, 1);
    expect(Math.min(s.clamped ?? 0, 50)).toBe(s.small);
    expect(simulateShares(cs, s)).toBeCloseTo(20, 0);
  });

  it('leaves cordoned, draining, zero-score and other-constraint-set clusters alone', () => {
    const cs = [
      cluster('new', 'new'),
      cluster('old', 'old'),
      cluster('cordoned', 'old', { state: 'CORDONED' }),
      cluster('draining', 'old', { state: 'DRAINING' }),
      cluster('parked', 'old', { score: 0 }),
      cluster('preview', 'old', { constraintSet: constraintSetKey(['has-feature-preview']) }),
    ];
    const r = compileScores(25, cs)[0]!;
    expect(scoresOf(r)).toEqual({ new: 25, old: 75, cordoned: undefined, draining: undefined, parked: undefined, preview: undefined });
    expect(Object.fromEntries(r.assignments.filter((a) => a.excluded).map((a) => [a.name, a.excluded]))).toEqual({
      cordoned: 'state CORDONED',
      draining: 'state DRAINING',
      parked: 'score 0: kept out of rotation, left as is',
      preview: 'other constraint set (has-feature-preview)',
    });
    expect(r.effectivePercent).toBe(25);
  });

  it('splits regions and refuses when no new cluster can take traffic', () => {
    const cs = [cluster('eu18', 'new'), cluster('eu17', 'old'), cluster('us18', 'new', { region: 'us-west1' }), cluster('us17', 'old', { region: 'us-west1' }), cluster('us16', 'old', { region: 'us-west1' })];
    const r = compileScores(50, cs);
    expect(r.map((x) => [x.region, x.effectivePercent])).toEqual([['europe-west1', 50], ['us-west1', 50]]);
    expect(scoresOf(r[1]!)).toEqual({ us18: 100, us17: 50, us16: 50 });
    expect(() => compileScores(10, [cluster('n', 'new', { state: 'CORDONED' }), cluster('o', 'old')])).toThrow(/no new cluster in europe-west1 can take traffic \(n: state CORDONED\)/);
    expect(compileScores(10, [cluster('n', 'new', { state: 'CORDONED' }), cluster('o', 'old')], { assumeNewAvailable: true })[0]?.effectivePercent).toBe(10);
  });

  it('refuses new clusters in different constraint sets', () => {
    expect(() => compileScores(10, [cluster('a', 'new'), cluster('b', 'new', { constraintSet: 'has-permission=new-workspace-cluster' })])).toThrow(/different admission constraints/);
  });

  it('never gives old clusters weight at 100 % and never new clusters at 0 % (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 1, max: 100 }), (n, o, p, max) => {
        const cs = [...Array.from({ length: n }, (_, i) => cluster(`n${i}`, 'new', { maxScore: max })), ...Array.from({ length: o }, (_, i) => cluster(`o${i}`, 'old'))];
        const r = compileScores(p, cs)[0]!;
        const s = simulateShares(cs, scoresOf(r));
        if (p === 100 || (o === 0 && p > 0)) return s === 100;
        if (p === 0) return s === 0;
        return s > 0 && s < 100 && Math.abs(s - r.effectivePercent) < 0.01;
      }),
    );
  });
});
