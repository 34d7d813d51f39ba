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
  purpose: 'value' | 'samples';
  /** The query after placeholder substitution, exactly as sent. */
  query: string;
  /** Number of series the query matched. */
  series: number;
  /** Values returned (points of all series, in order). */
  values: number[];
  /** Set when the query failed: the error kind and message. */
  error?: { kind: string; message: string };
}

export interface DecisionStatistics {
  method: 'threshold' | 'mann-whitney' | 'ratio';
  n1?: number;
  n2?: number;
  u?: number;
  pValue?: number;
  alpha?: number;
  rankBiserial?: number;
  hodgesLehmann?: number;
  meanNew?: number;
  meanOld?: number;
  ratio?: number;
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
  warnings: string[];
}

/** Formats a number for messages: short, but never hides a small failure rate as 0. */
export function fmt(value: number | undefined): string {
  if (value === undefined) return 'none';
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  return Number(value.toPrecision(4)).toString();
}
