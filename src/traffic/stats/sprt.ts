/**
 * Sequential probability ratio test on counts (Wald), with Ville's anytime-valid bounds.
 *
 * H0: the failure probability is `p0` (a healthy cluster), H1: it is `p1` (the threshold `max`).
 * After k failures in n starts the log likelihood ratio is
 *   llr = k·ln(p1/p0) + (n−k)·ln((1−p1)/(1−p0)).
 * Under H0 (and any p ≤ p0) exp(llr) is a nonnegative (super)martingale with mean ≤ 1, so by Ville's
 * inequality P(ever llr ≥ ln(1/α)) ≤ α — however often it is looked at. Symmetrically, under H1 (and any
 * p ≥ p1) P(ever llr ≤ ln β) ≤ β. So: reject (roll back) at ln(1/α), accept (promote) at ln β, keep
 * counting in between. These bounds are Wald's A = 1/α, B = β, slightly wider than his approximations
 * (1−β)/α and β/(1−α), and hold exactly rather than approximately.
 */

export interface SprtSettings {
  /** Failure probability of a healthy cluster (H0). */
  p0: number;
  /** Failure probability that must be caught (H1), > p0. */
  p1: number;
  /** Bound on P(reject) for a cluster at or below p0: the false-rollback rate. */
  alpha: number;
  /** Bound on P(accept) for a cluster at or above p1: the false-promotion rate. */
  beta: number;
}

interface SprtResult {
  decision: 'reject' | 'accept' | 'continue';
  llr: number;
  /** ln(1/alpha): reject at or above. */
  upper: number;
  /** ln(beta): accept at or below. */
  lower: number;
}

/** The test after `failures` of `samples` (counts over the whole sequence so far). */
export function bernoulliSprt(failures: number, samples: number, s: SprtSettings): SprtResult {
  const k = Math.max(0, Math.min(failures, samples));
  const llr = k * Math.log(s.p1 / s.p0) + (samples - k) * Math.log((1 - s.p1) / (1 - s.p0));
  const upper = Math.log(1 / s.alpha);
  const lower = Math.log(s.beta);
  const decision = llr >= upper ? 'reject' : llr <= lower ? 'accept' : 'continue';
  return { decision, llr, upper, lower };
}

/** Starts without a failure needed to accept: the fastest possible promotion. */
export function startsToAccept(s: SprtSettings): number {
  return Math.ceil(Math.log(s.beta) / Math.log((1 - s.p1) / (1 - s.p0)));
}
