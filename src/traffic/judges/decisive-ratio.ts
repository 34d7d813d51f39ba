/**
 * Count-aware early failure for ratio metrics (failed starts / starts). Workspace
 * starts are a low-rate signal: waiting for `minSamples` before judging lets a
 * cluster that fails 2 of its first 3 starts keep taking users for a whole
 * window. When even the lower confidence bound of the observed ratio is above
 * the threshold, more samples cannot rescue it: fail now.
 *
 * Wilson score interval, one-sided at 98 % (Kayenta's default confidence).
 */
import { fmt } from './decision.js';

/** z for a one-sided 98 % bound. */
const Z = 2.054;

/** Lower bound of the Wilson score interval of a proportion `p` observed over `n` trials. */
export function wilsonLowerBound(p: number, n: number, z = Z): number {
  if (n <= 0) return 0;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const margin = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return Math.max(0, (centre - margin) / (1 + z2 / n));
}

/**
 * A message when some new cluster's ratio is decisively above `max` with only
 * `samples` events behind it; undefined when more samples are needed. Only
 * ratios (values in [0, 1]) with a per-cluster sample count qualify.
 */
export function decisiveRatioFailure(
  metric: string,
  max: number | undefined,
  clusters: ReadonlyArray<{ cluster: string; value: number | undefined; samples: number }>,
): string | undefined {
  if (max === undefined || max >= 1) return undefined;
  for (const { cluster, value, samples } of clusters) {
    if (value === undefined || !Number.isFinite(value) || value < 0 || value > 1 || samples <= 0) continue;
    const lower = wilsonLowerBound(value, samples);
    if (lower > max) {
      return `${metric} on ${cluster} is ${fmt(value)} over only ${fmt(samples)} starts, but even its 98 % lower bound ${fmt(lower)} is above the maximum ${fmt(max)}: failing without waiting for more samples`;
    }
  }
  return undefined;
}
