/**
 * Seeded randomness for the simulator: the same seed gives the same sequence of
 * cluster picks, so tests and sandbox runs are reproducible.
 */

/** A source of uniform numbers in [0, 1). */
export type Random = () => number;

/** mulberry32: tiny, fast, good enough for weighted picks (not for anything secret). */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Picks one item with probability proportional to its weight; undefined when
 * no item has a positive weight.
 */
export function weightedPick<T>(items: readonly T[], weight: (item: T) => number, random: Random): T | undefined {
  const weights = items.map((item) => Math.max(0, weight(item)));
  const total = weights.reduce((sum, w) => sum + w, 0);
  if (total <= 0) return undefined;
  let point = random() * total;
  for (let i = 0; i < items.length; i++) {
    point -= weights[i] ?? 0;
    if (point < 0 && (weights[i] ?? 0) > 0) return items[i];
  }
  // Floating-point leftovers: the last positively weighted item.
  for (let i = items.length - 1; i >= 0; i--) if ((weights[i] ?? 0) > 0) return items[i];
  return undefined;
}
