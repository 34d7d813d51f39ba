/**
 * Random draws the judge benchmarks share, from a seeded `rng()` (uniform on [0, 1)) so a
 * run is reproducible.
 */

/** A Poisson(λ) sampler by inversion: one uniform draw per sample (λ up to a few hundred). */
export function poissonSampler(rng) {
  return (lambda) => {
    let k = 0;
    let p = Math.exp(-lambda);
    let s = p;
    const u = rng();
    while (u > s) {
      k++;
      p *= lambda / k;
      s += p;
    }
    return k;
  };
}
