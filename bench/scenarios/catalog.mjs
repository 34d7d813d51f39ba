/**
 * The labelled scenarios of the traffic bench: traffic level × new cluster's
 * failure rate × traffic shape, each with its own seed. A scenario is "bad" when
 * the new cluster's true start-failure rate exceeds the gate's threshold (0.1);
 * the baseline (old clusters) always fails 2 % of starts.
 */

/** Starts per second per meta cluster (two meta clusters) over the whole region. */
export const TRAFFIC = { sparse: 40, medium: 150, high: 500 };

/** True failure rate of the new cluster → label. */
export const NEW_RATES = [
  { rate: 0.02, label: 'good' },
  { rate: 0.05, label: 'good' },
  // Near the gate: 2 points either side of the 0.1 threshold, where a gate earns its keep.
  { rate: 0.08, label: 'good' },
  { rate: 0.12, label: 'bad' },
  { rate: 0.2, label: 'bad' },
  { rate: 0.5, label: 'bad' },
];

export const SHAPES = ['steady', 'noisy'];

export const BASELINE_RATE = 0.02;
export const THRESHOLD = 0.1;

/** 36 scenarios (traffic × rate × shape), base seeds 1..36. */
export function scenarios() {
  const out = [];
  let seed = 1;
  for (const [traffic, perSecond] of Object.entries(TRAFFIC)) {
    for (const { rate, label } of NEW_RATES) {
      for (const shape of SHAPES) {
        out.push({ name: `${traffic}/${shape}/new-fails-${Math.round(rate * 100)}%`, traffic, perSecond, shape, newRate: rate, label, seed: seed++ });
      }
    }
  }
  return out;
}
