/**
 * The decision record: what every metric evaluation returns and what the journal
 * and the report keep. It answers "why did the shift stop?" without re-running
 * anything: the queries as sent, the raw values, sample counts, statistics, the
 * rule that fired and a one-line message naming metric, values and threshold.
 */

/** Result of one metric in one measurement. */
export type MetricOutcome = 'pass' | 'fail' | 'wait' | 'inconclusive' | 'error';

/** Which cluster group a query was made for. */
export type Side = 'new' | 'old';

export interface QueryRecord {
  side: Side;
  cluster: string;
  /**
   * `liveness`: at 100 % and in the bake, the old clusters' value query at `now` (their baseline is read
   * from before the shift), sent only when a new cluster's series are gone, to tell "the cluster stopped
   * reporting" from "all scraping broke".
   */
  purpose: 'value' | 'samples' | 'liveness';
  /** The query after placeholder substitution, exactly as sent. */
  query: string;
  /** Number of series the query matched. */
  series: number;
  /** Values returned (points of all series, in order). */
  values: number[];
  /** Set when the query failed: the error kind and message. */
  error?: { kind: string; message: string };
  /** The server's warnings: the answer may be partial (a store down), so its series may be incomplete. */
  warnings?: string[];
  /** PromQL's own warnings about the query (`PromQL warning: …`): the answer is complete, the query questionable. */
  annotations?: string[];
}

export interface DecisionStatistics {
  method: 'threshold' | 'mann-whitney' | 'ratio' | 'proportion' | 'sequential';
  n1?: number;
  n2?: number;
  u?: number;
  pValue?: number;
  /** Smallest p the test could give with these sizes: above alpha it cannot reject (inconclusive). */
  minPValue?: number;
  alpha?: number;
  /** Mann-Whitney: the one-sided (or two-sided) alternative tested; `greater` = new values larger. */
  alternative?: 'two-sided' | 'greater' | 'less';
  /** Mann-Whitney: exact (no ties), permutation (exact with ties) or asymptotic (normal approximation). */
  exactness?: 'exact' | 'permutation' | 'asymptotic';
  /** Mann-Whitney with `permutation` (ties in a small sample): the normal-approximation p SciPy's `auto` would give. */
  asymptoticPValue?: number;
  rankBiserial?: number;
  hodgesLehmann?: number;
  meanNew?: number;
  meanOld?: number;
  ratio?: number;
  /** Proportion judges: one-sided bounds at `confidence` (Wilson for a rate, Newcombe for a difference). */
  lower?: number;
  upper?: number;
  confidence?: number;
  maxDifference?: number;
  /** Sequential (SPRT): log likelihood ratio of `max` against `healthy` (p0), rejected at ≥ ln(1/alpha), accepted at ≤ ln(beta). */
  llr?: number;
  p0?: number;
  beta?: number;
}

/**
 * The evidence for one cluster of one metric in one measurement: everything needed to
 * re-check the decision by hand. A plain JSON shape (documented in docs/canary-analysis.md).
 */
export interface ClusterEvidence {
  /** Full cluster name, as `{{cluster}}`. */
  cluster: string;
  outcome: MetricOutcome;
  rule: string;
  message: string;
  /** The value query as sent (after placeholder substitution). */
  query?: string;
  /** The samples query as sent, when the metric has one. */
  samplesQuery?: string;
  /** Latest value (threshold metrics) or median of the points (comparisons). */
  value?: number;
  /** Data points the value query returned. */
  points?: number;
  /** Events behind the value: starts (samplesQuery, accumulated over the step for proportions) or points. */
  samples?: number;
  /** Proportion metrics: events counted as failures (value × samples, accumulated over the step). */
  failures?: number;
  /** Threshold metrics: the bounds judged against. */
  threshold?: { min?: number; max?: number };
  /** The baseline this cluster was compared with (comparison metrics). */
  baseline?: {
    clusters: string[];
    value?: number;
    points?: number;
    samples?: number;
    failures?: number;
    /** ISO end of the baseline's window: `now`, or the shift's start at 100 % and in the bake (baseline offset). */
    at: string;
  };
  /** The test or bound that decided, with its numbers (U, p, effect size, bounds…). */
  statistics?: DecisionStatistics;
}

export interface MetricDecision {
  metric: string;
  /** Dry-run metrics are evaluated and reported but never decide. */
  dryRun: boolean;
  outcome: MetricOutcome;
  /** Stable identifier of the rule that decided, e.g. `threshold.max` or `no-data.new-silent`. */
  rule: string;
  /** One line for humans: metric, values, threshold. */
  message: string;
  queries: QueryRecord[];
  samples?: { new: number; old?: number; min: number };
  statistics?: DecisionStatistics;
  /** Per cluster: query, value, samples, baseline, test and verdict (worst cluster decides the metric). */
  clusters?: ClusterEvidence[];
  /** The window judged: ISO start and end, and the comparison's resolution in ms. */
  window?: { start: string; end: string; resolutionMs?: number };
  warnings: string[];
}

/** Formats a number for messages: short, but never hides a small failure rate as 0. */
export function fmt(value: number | undefined): string {
  if (value === undefined) return 'none';
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  return Number(value.toPrecision(4)).toString();
}
