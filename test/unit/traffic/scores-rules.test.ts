/**
 * The score compiler's rules one at a time (src/traffic/scores.ts): which clusters take part, what is
 * refused and how it is worded, and the edge cases of the solver. Every expected value is worked out
 * by hand here (the server's rule, design §4: weighted random over AVAILABLE clusters of one
 * constraint set, weight min(score, max_score)); none is taken from the module under test.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WsdError } from '../../../src/core/errors.js';
import { compileScores, constraintSetKey, effectiveWeight, type ScoreCluster } from '../../../src/traffic/scores.js';

function cluster(name: string, role: 'new' | 'old', extra: Partial<ScoreCluster> = {}): ScoreCluster {
  return { name, role, region: 'europe-west1', state: 'AVAILABLE', score: role === 'old' ? 100 : 0, maxScore: 100, constraintSet: '', ...extra };
}

const scoresOf = (r: ReturnType<typeof compileScores>[number]) => Object.fromEntries(r.assignments.map((a) => [a.name, a.score]));

function thrown(f: () => unknown): WsdError {
  try {
    f();
  } catch (error) {
    return error as WsdError;
  }
  throw new Error('expected a throw');
}

describe('score compiler rules', () => {
  it('keys a constraint set independently of order, joined with &', () => {
    expect(constraintSetKey(['has-permission=x', 'has-feature-preview'])).toBe('has-feature-preview&has-permission=x');
    expect(constraintSetKey(['has-feature-preview', 'has-permission=x'])).toBe('has-feature-preview&has-permission=x');
    expect(constraintSetKey([])).toBe('');
  });

  it('keys a constraint the bridge lists twice as the set it is in once (the same users admitted); each unknown kind counts', () => {
    expect(constraintSetKey(['has-permission=x', 'has-feature-preview', 'has-permission=x'])).toBe('has-feature-preview&has-permission=x');
    expect(constraintSetKey(['unknown', 'unknown'])).toBe('unknown&unknown');
  });

  it('weighs a cluster as the server does: min(score, max_score) when AVAILABLE, never negative, else 0', () => {
    expect(effectiveWeight({ state: 'AVAILABLE', score: 30, maxScore: 100 })).toBe(30);
    expect(effectiveWeight({ state: 'AVAILABLE', score: 100, maxScore: 40 })).toBe(40);
    expect(effectiveWeight({ state: 'AVAILABLE', score: -5, maxScore: 100 })).toBe(0);
    for (const state of ['CORDONED', 'DRAINING', 'UNKNOWN'] as const) expect(effectiveWeight({ state, score: 50, maxScore: 100 })).toBe(0);
  });

  it('compiles only regions that have new clusters, in name order', () => {
    const cs = [
      cluster('us18', 'new', { region: 'us-west1' }),
      cluster('us17', 'old', { region: 'us-west1' }),
      cluster('ap17', 'old', { region: 'asia-east1' }), // old only: not part of this shift
      cluster('eu18', 'new'),
      cluster('eu17', 'old'),
    ];
    expect(compileScores(10, cs).map((r) => r.region)).toEqual(['europe-west1', 'us-west1']);
  });

  it.each([-1, 101, 12.5])('refuses percent %s as an internal error (the config schema allows only integers 0..100)', (p) => {
    const e = thrown(() => compileScores(p, [cluster('n', 'new'), cluster('o', 'old')]));
    expect(e).toBeInstanceOf(WsdError);
    expect(e).toMatchObject({ code: 'Internal', source: 'internal', message: `traffic percent ${p} is outside 0..100` });
  });

  it('accepts the ends 0 and 100', () => {
    expect(compileScores(0, [cluster('n', 'new'), cluster('o', 'old')])[0]?.effectivePercent).toBe(0);
    expect(compileScores(100, [cluster('n', 'new'), cluster('o', 'old')])[0]?.effectivePercent).toBe(100);
  });

  it('refuses new clusters in different constraint sets, naming each set ("none" for no constraints)', () => {
    const e = thrown(() => compileScores(10, [cluster('a', 'new'), cluster('b', 'new', { constraintSet: 'has-permission=new-workspace-cluster' }), cluster('o', 'old')]));
    expect(e).toMatchObject({
      code: 'PreCheckRefused',
      message: 'new clusters in europe-west1 have different admission constraints (none | has-permission=new-workspace-cluster); give them the same constraints before shifting',
    });
  });

  it('shifts within the new clusters own constraint set, leaving old clusters of other sets (and of none) alone', () => {
    const set = constraintSetKey(['has-feature-preview']);
    const cs = [cluster('new', 'new', { constraintSet: set }), cluster('old', 'old', { constraintSet: set }), cluster('plain', 'old')];
    const r = compileScores(25, cs)[0]!;
    expect(scoresOf(r)).toEqual({ new: 25, old: 75, plain: undefined });
    expect(r.assignments.find((a) => a.name === 'plain')).toMatchObject({ share: 0, excluded: 'other constraint set (none)' });
  });

  it('refuses when no new cluster can take traffic, listing each one with why', () => {
    const e = thrown(() => compileScores(10, [cluster('a', 'new', { state: 'CORDONED' }), cluster('b', 'new', { state: 'DRAINING' }), cluster('o', 'old')]));
    expect(e).toMatchObject({ code: 'PreCheckRefused', message: 'no new cluster in europe-west1 can take traffic (a: state CORDONED, b: state DRAINING)' });
  });

  it('for plan, counts only cordoned NEW clusters as available: a draining new one and cordoned old ones stay out', () => {
    const cs = [cluster('n1', 'new', { state: 'CORDONED' }), cluster('n2', 'new', { state: 'DRAINING' }), cluster('o1', 'old'), cluster('o2', 'old', { state: 'CORDONED' })];
    const r = compileScores(50, cs, { assumeNewAvailable: true })[0]!;
    expect(scoresOf(r)).toEqual({ n1: 50, n2: undefined, o1: 50, o2: undefined });
    expect(r.assignments.filter((a) => a.excluded).map((a) => [a.name, a.excluded])).toEqual([
      ['n2', 'state DRAINING'],
      ['o2', 'state CORDONED'],
    ]);
  });

  it('leaves a cluster in a state it does not know out, untouched, and says the state by its number (UNKNOWN(7))', () => {
    const cs = [cluster('n', 'new'), cluster('o', 'old'), cluster('u', 'old', { state: 'UNKNOWN', unknownState: 7 }), cluster('z', 'old', { state: 'UNKNOWN' })];
    const r = compileScores(50, cs)[0]!;
    expect(scoresOf(r)).toEqual({ n: 50, o: 50, u: undefined, z: undefined });
    expect(r.assignments.filter((a) => a.excluded).map((a) => [a.name, a.excluded])).toEqual([
      ['u', 'state UNKNOWN(7) (a state this ws-deployment does not know)'],
      ['z', 'state UNKNOWN'],
    ]);
  });

  it('leaves a cluster with max_score 0 out (the server never picks it), new or old', () => {
    const r = compileScores(50, [cluster('n', 'new'), cluster('capped', 'new', { maxScore: 0 }), cluster('o', 'old'), cluster('off', 'old', { maxScore: 0 })])[0]!;
    expect(scoresOf(r)).toEqual({ n: 50, capped: undefined, o: 50, off: undefined });
    expect(r.assignments.find((a) => a.name === 'off')?.excluded).toBe('max_score 0');
    expect(r.assignments.find((a) => a.name === 'capped')?.excluded).toBe('max_score 0');
  });

  it('with no old cluster taking part, gives the new clusters their full score (max_score-capped) at any percent above 0', () => {
    expect(scoresOf(compileScores(50, [cluster('n', 'new')])[0]!)).toEqual({ n: 100 });
    expect(scoresOf(compileScores(5, [cluster('n', 'new', { maxScore: 30 }), cluster('m', 'new')])[0]!)).toEqual({ n: 30, m: 30 });
    expect(scoresOf(compileScores(50, [cluster('n', 'new'), cluster('parked', 'old', { score: 0 })])[0]!)).toEqual({ n: 100, parked: undefined });
  });

  it('at 0 % with no old cluster taking part, reports 0 % and zero shares (nothing to divide by)', () => {
    const r = compileScores(0, [cluster('n', 'new')])[0]!;
    expect(r.effectivePercent).toBe(0);
    expect(r.assignments).toEqual([{ name: 'n', role: 'new', score: 0, share: 0 }]);
  });

  it('never scores an old cluster above its max_score (4 new at 1 % against old 100/100 and 100/max 10: 1, 1, 1, 1, 100, 10)', () => {
    // Each new cluster needs at least 1, so the new total is at least 4 and the old side would need
    // 4·0.99/0.01 = 396 > 100 + 10: both old clusters end at their max_score; 4/114 = 3.51 %.
    const cs = [...['a', 'b', 'c', 'd'].map((n) => cluster(n, 'new')), cluster('big', 'old'), cluster('small', 'old', { maxScore: 10 })];
    const r = compileScores(1, cs)[0]!;
    expect(scoresOf(r)).toEqual({ a: 1, b: 1, c: 1, d: 1, big: 100, small: 10 });
    expect(r.effectivePercent).toBe(3.51);
  });

  it('keeps every old score within 1..max_score between 0 and 100 % (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.record({ score: fc.integer({ min: 1, max: 100 }), maxScore: fc.integer({ min: 1, max: 100 }) }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 99 }),
        (n, olds, p) => {
          const cs = [...Array.from({ length: n }, (_, i) => cluster(`n${i}`, 'new')), ...olds.map((o, i) => cluster(`o${i}`, 'old', o))];
          const r = compileScores(p, cs)[0]!;
          return olds.every((o, i) => {
            const s = r.assignments.find((a) => a.name === `o${i}`)?.score ?? -1;
            return s >= 1 && s <= o.maxScore;
          });
        },
      ),
    );
  });
});
