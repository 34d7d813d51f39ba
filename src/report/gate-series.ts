/**
 * Per gate (metric), each measurement's values per cluster, samples and
 * outcome, and every decision with its evidence. Decision records grow richer
 * over time (query, value, samples, baseline, threshold, U/p/effect, rule,
 * verdict): everything here is read defensively, so a record without a field
 * renders without it, and a richer one shows more.
 */
import type { JournalRecord } from '../state/model.js';
import { arr, events, isObject, num, str } from './journal-reading.js';

interface GateValue {
  cluster: string;
  side: string;
  value: number;
  query?: string;
}

export interface GatePoint {
  time: string;
  stepIndex?: number;
  percent?: number;
  outcome: string;
  /** The verdict of the whole measurement this point belongs to. */
  verdict: string;
  values: GateValue[];
  samples?: { new?: number; old?: number; min?: number };
  threshold?: { min?: number; max?: number };
  /** Every other scalar field of the decision (statistics: U, p, effect size, baseline...). */
  evidence: Record<string, string | number | boolean>;
  rule?: string;
  message?: string;
  dryRun: boolean;
}

export interface GateSeries {
  metric: string;
  threshold?: { min?: number; max?: number };
  points: GatePoint[];
}

export interface DecisionRow {
  time: string;
  stepIndex?: number;
  percent?: number;
  verdict: string;
  rule: string;
  message: string;
  metrics: Array<{ metric: string; outcome: string; rule?: string; message?: string; samples?: GatePoint['samples']; evidence: GatePoint['evidence'] }>;
}

function thresholdOf(v: unknown): { min?: number; max?: number } | undefined {
  if (typeof v === 'number') return { max: v };
  if (!isObject(v)) return undefined;
  const t = { min: num(v.min), max: num(v.max) };
  return t.min === undefined && t.max === undefined ? undefined : t;
}

function samplesOf(v: unknown): GatePoint['samples'] {
  if (typeof v === 'number') return { new: v };
  if (!isObject(v)) return undefined;
  return { new: num(v.new), old: num(v.old), min: num(v.min) };
}

function valuesOf(d: Record<string, unknown>): GateValue[] {
  const fromQueries = arr(d.queries).flatMap((q) => {
    if (!isObject(q) || (q.purpose !== undefined && q.purpose !== 'value')) return [];
    const value = num(arr(q.values)[0]) ?? num(q.value);
    return value === undefined ? [] : [{ cluster: str(q.cluster) ?? '?', side: str(q.side) ?? 'new', value, query: str(q.query) }];
  });
  if (fromQueries.length > 0) return fromQueries;
  if (isObject(d.values)) return Object.entries(d.values).flatMap(([cluster, v]) => (num(v) === undefined ? [] : [{ cluster, side: 'new', value: num(v) as number }]));
  const value = num(d.value);
  return value === undefined ? [] : [{ cluster: str(d.cluster) ?? 'new', side: 'new', value }];
}

/** Scalars from `statistics` and the decision's other fields: whatever evidence the record carries. */
function evidenceOf(d: Record<string, unknown>): GatePoint['evidence'] {
  const out: GatePoint['evidence'] = {};
  const skip = new Set(['metric', 'outcome', 'rule', 'message', 'dryRun', 'queries', 'warnings', 'samples', 'threshold', 'values', 'statistics']);
  const take = (prefix: string, o: Record<string, unknown>): void => {
    for (const [k, v] of Object.entries(o)) {
      if (skip.has(k) && prefix === '') continue;
      if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') out[`${prefix}${k}`] = v;
      else if (isObject(v) && prefix === '') take(`${k}.`, v);
    }
  };
  if (isObject(d.statistics)) take('', d.statistics);
  take('', d);
  return out;
}

export function buildGates(records: readonly JournalRecord[], configured: Array<{ name: string; threshold?: { min?: number; max?: number } }> = []): { gates: GateSeries[]; decisions: DecisionRow[] } {
  const gates = new Map<string, GateSeries>(configured.map((g) => [g.name, { metric: g.name, threshold: g.threshold, points: [] }]));
  const decisions: DecisionRow[] = [];
  for (const e of events(records, 'traffic.decision')) {
    const data = e.data ?? {};
    const time = str(data.at) ?? e.time;
    const verdict = str(data.verdict) ?? str(data.outcome) ?? '?';
    const row: DecisionRow = { time, stepIndex: num(data.stepIndex), percent: num(data.percent), verdict, rule: str(data.rule) ?? '', message: str(data.message) ?? e.message, metrics: [] };
    for (const d of arr(data.decisions)) {
      if (!isObject(d) || typeof d.metric !== 'string') continue;
      const threshold = thresholdOf(d.threshold) ?? (isObject(d.statistics) ? thresholdOf(d.statistics.threshold) : undefined);
      const point: GatePoint = {
        time,
        stepIndex: row.stepIndex,
        percent: row.percent,
        outcome: str(d.outcome) ?? '?',
        verdict,
        values: valuesOf(d),
        samples: samplesOf(d.samples),
        threshold,
        evidence: evidenceOf(d),
        rule: str(d.rule),
        message: str(d.message),
        dryRun: d.dryRun === true,
      };
      const series = gates.get(d.metric) ?? { metric: d.metric, points: [] };
      series.threshold ??= threshold;
      series.points.push(point);
      gates.set(d.metric, series);
      row.metrics.push({ metric: d.metric, outcome: point.outcome, rule: point.rule, message: point.message, samples: point.samples, evidence: point.evidence });
    }
    decisions.push(row);
  }
  return { gates: [...gates.values()], decisions };
}
