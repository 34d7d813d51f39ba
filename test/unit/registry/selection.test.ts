/** The server's cluster choice (shared/design.md §4), checked statistically with fixed seeds. */
import { describe, expect, it } from 'vitest';
import { seededRandom, weightedPick } from '../../../src/registry/simulator/random.js';
import { admissible, constraintSets, pickCluster, type Selectable } from '../../../src/registry/simulator/selection.js';

const c = (name: string, score: number, extra: Partial<Selectable> = {}): Selectable => ({ name, state: 'AVAILABLE', score, maxScore: 100, admissionConstraints: [], ...extra });

function shares(clusters: Selectable[], n: number, seed: number, user = {}): Record<string, number> {
  const random = seededRandom(seed);
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const picked = pickCluster(clusters, user, new Set(), random);
    if (picked) counts[picked.name] = (counts[picked.name] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v / n]));
}

describe('weighted selection', () => {
  it('follows min(score, max_score): 90/10 within 2 percentage points over 20 000 starts', () => {
    const s = shares([c('old', 90), c('new', 10)], 20_000, 7);
    expect(s['old']).toBeCloseTo(0.9, 1);
    expect(Math.abs((s['new'] ?? 0) - 0.1)).toBeLessThan(0.02);
  });

  it('caps the weight at max_score', () => {
    const s = shares([c('a', 300, { maxScore: 50 }), c('b', 50)], 20_000, 11);
    expect(Math.abs((s['a'] ?? 0) - 0.5)).toBeLessThan(0.02);
  });

  it('never picks cordoned, draining or zero-score clusters', () => {
    const s = shares([c('a', 10), c('cordoned', 100, { state: 'CORDONED' }), c('draining', 100, { state: 'DRAINING' }), c('zero', 0), c('capped', 100, { maxScore: 0 })], 2_000, 3);
    expect(Object.keys(s)).toEqual(['a']);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const seq = (seed: number) => {
      const r = seededRandom(seed);
      return Array.from({ length: 20 }, () => pickCluster([c('a', 50), c('b', 50)], {}, new Set(), r)?.name).join();
    };
    expect(seq(42)).toBe(seq(42));
    expect(seq(42)).not.toBe(seq(43));
  });

  it('weightedPick returns undefined when nothing has weight, and skips zero weights', () => {
    const r = seededRandom(1);
    expect(weightedPick(['a', 'b'], () => 0, r)).toBeUndefined();
    for (let i = 0; i < 200; i++) expect(weightedPick(['a', 'b', 'c'], (x) => (x === 'b' ? 1 : 0), r)).toBe('b');
  });
});

describe('admission constraints and constraint sets', () => {
  const staff = c('canary', 100, { admissionConstraints: [{ type: 'has-permission', permission: 'new-workspace-cluster' }] });
  const preview = c('preview', 100, { admissionConstraints: [{ type: 'has-feature-preview' }] });
  const regular = c('regular', 100);

  it('a user without the permission never lands on the staff-only cluster', () => {
    expect(admissible([staff, preview, regular], {}).map((x) => x.name)).toEqual(['regular']);
    expect(Object.keys(shares([staff, regular], 1_000, 5))).toEqual(['regular']);
  });

  it('permission holders are served from their set first', () => {
    const user = { permissions: ['new-workspace-cluster'] };
    expect(constraintSets([staff, regular], user).map((set) => set.map((x) => x.name))).toEqual([['canary'], ['canary', 'regular']]);
    expect(shares([staff, regular], 1_000, 5, user)).toEqual({ canary: 1 });
  });

  it('falls back to the next set once the first set is exhausted by failed tries', () => {
    const user = { permissions: ['new-workspace-cluster'] };
    const picked = pickCluster([staff, regular], user, new Set(['canary']), seededRandom(1));
    expect(picked?.name).toBe('regular');
  });

  it('feature preview constraints need the matching trait', () => {
    expect(admissible([preview], { featurePreview: true }).map((x) => x.name)).toEqual(['preview']);
    expect(admissible([preview], {})).toEqual([]);
  });
});
