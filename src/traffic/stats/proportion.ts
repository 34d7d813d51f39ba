/**
 * Intervals for proportions (failed starts / starts), so count metrics are judged
 * as counts rather than as point estimates:
 * - the Wilson score interval of one proportion (Wilson 1927), which keeps its
 *   coverage near the nominal level even for a handful of trials and p near 0;
 * - Newcombe's hybrid score interval for the difference of two proportions
 *   (Newcombe 1998, method 10), built from the two Wilson intervals.
 * Bounds are one-sided at `confidence` (z = Φ⁻¹(confidence)).
 */
import { normalSf } from './normal.js';

export interface Bounds {
  lower: number;
  upper: number;
}

/** Φ⁻¹(p) for p in (0.5, 1) by bisection on the normal tail (60 halvings: below 1e-15). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile needs 0 < p < 1 (got ${p})`);
  if (p < 0.5) return -normalQuantile(1 - p);
  let lo = 0;
  let hi = 40;
  for (let i = 0; i < 80; i++) {
    const mid = (lo + hi) / 2;
    if (1 - normalSf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Wilson score bounds of `failures` out of `trials`, each one-sided at `confidence`. No trials: [0, 1]. */
export function wilsonBounds(failures: number, trials: number, confidence: number): Bounds {
  if (trials <= 0) return { lower: 0, upper: 1 };
  const z = normalQuantile(confidence);
  const p = Math.min(1, Math.max(0, failures / trials));
  const z2 = z * z;
  const centre = p + z2 / (2 * trials);
  const margin = z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  const denominator = 1 + z2 / trials;
  // With no failures (all failed) the bound is exactly 0 (1); the closed form leaves rounding noise
  // such as 2e-17, which the decision's words and JSON would show the operator.
  const lower = p === 0 ? 0 : Math.max(0, (centre - margin) / denominator);
  const upper = p === 1 ? 1 : Math.min(1, (centre + margin) / denominator);
  return { lower, upper };
}

/** Newcombe's bounds for p1 − p2 (each one-sided at `confidence`). */
export function differenceBounds(f1: number, n1: number, f2: number, n2: number, confidence: number): Bounds {
  const p1 = n1 > 0 ? f1 / n1 : 0;
  const p2 = n2 > 0 ? f2 / n2 : 0;
  const a = wilsonBounds(f1, n1, confidence);
  const b = wilsonBounds(f2, n2, confidence);
  const d = p1 - p2;
  return {
    lower: d - Math.sqrt((p1 - a.lower) ** 2 + (b.upper - p2) ** 2),
    upper: d + Math.sqrt((a.upper - p1) ** 2 + (p2 - b.lower) ** 2),
  };
}
