/**
 * A decision's evidence in words, for the summary of `deploy` and `status`: per
 * metric and per new cluster the value, the sample count, the threshold or test
 * with its numbers, the baseline's value and samples, the rule and the verdict;
 * then the scores the step had set. It is printed once per failing decision —
 * the live log and the step's error only name what failed (traffic/judges/decision-brief.ts).
 *
 * Pure and defensive: it reads the journaled decision summary (older journals
 * may lack fields), so every number is optional.
 */
import { fmt, type ClusterEvidence, type DecisionStatistics } from '../traffic/judges/decision.js';

/** The journaled decision summary as far as the words need it (steps/traffic/shift-journal.ts: DecisionSummary). */
export interface DecisionForWords {
  at: string;
  percent: number;
  verdict: string;
  rule: string;
  limit?: string;
  scores?: Record<string, Record<string, number>>;
  metrics: Array<{ metric: string; outcome: string; rule: string; message: string; dryRun: boolean; clusters?: ClusterEvidence[] }>;
}

/** `start-failure-ratio on gp-dev-ws-eu201-eu-west1: fail, 2 of 2 starts failed (ratio 1 > max 0.1, …); baseline …: 0 of 39 starts failed (ratio 0) [rule threshold.max.decisive]` */
export function clusterEvidenceWords(metric: string, e: ClusterEvidence): string {
  const parts = [`${metric} on ${e.cluster}: ${e.outcome}`, observed(e)];
  // No value at all (a no-data rule): the judge's own words say why; there are no numbers to test.
  const test = e.value === undefined && e.failures === undefined ? '' : testWords(e);
  const base = baselineWords(e);
  return `${parts.filter(Boolean).join(', ')}${test ? ` (${test})` : ''}${base ? `; ${base}` : ''} [rule ${e.rule}]`;
}

/** The lines that explain one decision: a head line, one line per metric and cluster, the scores set. */
export function decisionEvidenceLines(d: DecisionForWords, indent = '  '): string[] {
  const head = `decision at ${d.at.slice(11, 19)}, ${d.percent} % of new starts: ${d.verdict}${d.limit ? ` (${d.limit})` : ''} [rule ${d.rule}]`;
  const lines = [head];
  for (const m of d.metrics) {
    const label = m.dryRun ? `${m.metric} [dry run]` : m.metric;
    if (!m.clusters || m.clusters.length === 0) lines.push(`${indent}${label}: ${m.outcome}, ${m.message} [rule ${m.rule}]`);
    else for (const e of m.clusters) lines.push(`${indent}${clusterEvidenceWords(label, e)}`);
  }
  const scores = scoresWords(d.scores);
  if (scores) lines.push(`${indent}scores during the measurement: ${scores}`);
  return lines;
}

/** `dev-meta-eu01: eu200 90, eu201 10`; one group per meta cluster. */
function scoresWords(scores: DecisionForWords['scores']): string {
  if (!scores) return '';
  return Object.entries(scores)
    .map(([meta, byCluster]) => `${meta}: ${Object.entries(byCluster).map(([name, score]) => `${name} ${fmt(score)}`).join(', ')}`)
    .join('; ');
}

/** What the cluster showed: counts for a ratio of events, a value over samples otherwise. */
function observed(e: ClusterEvidence): string {
  if (e.failures !== undefined && e.samples !== undefined) return `${fmt(e.failures)} of ${fmt(e.samples)} starts failed`;
  if (e.value === undefined) {
    // The judge's message names the metric and cluster first (`m: cluster …`); the line already does.
    const prefix = e.message?.indexOf(`: ${e.cluster} `) ?? -1;
    const why = e.message && prefix >= 0 ? e.message.slice(prefix + e.cluster.length + 3) : (e.message ?? '');
    const head = e.samples !== undefined ? `${fmt(e.samples)} samples, no value` : 'no value';
    return why ? `${head}: ${why}` : head;
  }
  const over = e.samples !== undefined ? ` over ${fmt(e.samples)} samples` : e.points !== undefined ? ` over ${fmt(e.points)} points` : '';
  return `value ${fmt(e.value)}${over}`;
}

/** The threshold or test with its numbers. */
function testWords(e: ClusterEvidence): string {
  const s: DecisionStatistics | undefined = e.statistics;
  const level = s?.confidence !== undefined ? `${fmt(s.confidence * 100)} %` : undefined;
  if (e.threshold && (s?.method === 'proportion' || s?.method === 'threshold' || !s)) {
    const value = e.value !== undefined ? `${e.failures !== undefined ? 'ratio' : 'value'} ${fmt(e.value)}` : 'value';
    const bounds = [e.threshold.max !== undefined ? `${boundOp(e, 'max')} max ${fmt(e.threshold.max)}` : '', e.threshold.min !== undefined ? `${boundOp(e, 'min')} min ${fmt(e.threshold.min)}` : '']
      .filter(Boolean)
      .map((b) => `${value} ${b}`);
    const wilson = s?.method === 'proportion' && s.lower !== undefined && s.upper !== undefined ? `${level ?? ''} bounds [${fmt(s.lower)}, ${fmt(s.upper)}]`.trim() : '';
    return [...bounds, wilson].filter(Boolean).join(', ');
  }
  if (e.threshold && s?.method === 'sequential') {
    // SPRT: the log likelihood ratio of "at the maximum" against "healthy" (p0), with its error rates.
    const value = e.value !== undefined ? `ratio ${fmt(e.value)} vs max ${fmt(e.threshold.max)}, ` : '';
    return `${value}sequential test LLR ${fmt(s.llr)} (healthy ${fmt(s.p0)}, alpha ${fmt(s.alpha)}, beta ${fmt(s.beta)})`;
  }
  if (!s) return '';
  if (s.method === 'mann-whitney') {
    return `Mann-Whitney U=${fmt(s.u)}, p=${fmt(s.pValue)} (alpha ${fmt(s.alpha)}, ${s.alternative ?? 'two-sided'}, ${s.exactness ?? 'exact'}), effect size ${fmt(s.rankBiserial)}, new mean ${fmt(s.meanNew)} vs baseline ${fmt(s.meanOld)}, ${fmt(s.n1)} vs ${fmt(s.n2)} points`;
  }
  if (s.method === 'ratio') return `ratio of means ${fmt(s.ratio)} (new ${fmt(s.meanNew)} / baseline ${fmt(s.meanOld)})`;
  if (s.method === 'proportion') {
    return `difference ${fmt((s.meanNew ?? 0) - (s.meanOld ?? 0))}, ${level ?? ''} bounds [${fmt(s.lower)}, ${fmt(s.upper)}] vs max difference ${fmt(s.maxDifference)}`.replace('  ', ' ');
  }
  return '';
}

/** `>` when the value is beyond the bound, `≤`/`≥` when within (the verdict may still rest on the Wilson bound). */
function boundOp(e: ClusterEvidence, side: 'max' | 'min'): string {
  const bound = e.threshold?.[side];
  if (bound === undefined || e.value === undefined) return 'vs';
  if (side === 'max') return e.value > bound ? '>' : '≤';
  return e.value < bound ? '<' : '≥';
}

function baselineWords(e: ClusterEvidence): string {
  const b = e.baseline;
  if (!b) return '';
  const who = b.clusters.length > 0 ? `baseline ${b.clusters.join(' + ')}` : 'baseline';
  if (b.failures !== undefined && b.samples !== undefined) {
    return `${who}: ${fmt(b.failures)} of ${fmt(b.samples)} starts failed${b.value !== undefined ? ` (ratio ${fmt(b.value)})` : ''}`;
  }
  if (b.value === undefined) return `${who}: no data`;
  return `${who}: value ${fmt(b.value)}${b.points !== undefined ? ` over ${fmt(b.points)} points` : ''}`;
}
