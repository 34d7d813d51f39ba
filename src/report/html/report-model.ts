/** Everything the HTML report shows, built from a deployment's journal records alone. */
import { applyRecord, type JournalRecord, type Snapshot } from '../../state/model.js';
import { buildGates, type DecisionRow, type GateSeries } from '../gate-series.js';
import { buildRegistries, type RegistryRow } from '../registry-final.js';
import { buildShiftHistory, type ShiftHistory } from '../shift-history.js';
import { overBecause } from '../summary.js';
import { buildTimeline, type TimelineBar } from '../timeline.js';

export interface ReportModel {
  snapshot: Snapshot;
  bars: TimelineBar[];
  shift?: ShiftHistory;
  gates: GateSeries[];
  decisions: DecisionRow[];
  registries: RegistryRow[];
  /** Deliveries of notifications, as journaled. */
  notifications: Array<{ time: string; message: string; level: string }>;
  span: { t0: number; t1: number };
  /** When the report was made (for running deployments). */
  generatedAt: string;
}

export function buildReportModel(records: readonly JournalRecord[], now: Date = new Date()): ReportModel {
  let snapshot: Snapshot | undefined;
  for (const r of records) snapshot = applyRecord(snapshot, r);
  if (!snapshot) throw new Error('the journal has no deployment.created record');
  const shift = buildShiftHistory(records);
  const { gates, decisions } = buildGates(records, shift?.gates);
  const t0 = Date.parse(snapshot.createdAt);
  const last = Date.parse(records.at(-1)?.time ?? snapshot.updatedAt);
  const t1 = Math.max(t0 + 1000, snapshot.state === 'running' ? Math.max(last, now.getTime()) : last);
  const over = overBecause(snapshot);
  const bars = buildTimeline(records).map((b): TimelineBar => (over && b.state === 'pending' ? { ...b, state: 'not run', detail: over } : b));
  return {
    snapshot,
    bars,
    shift,
    gates,
    decisions,
    registries: buildRegistries(records, shift),
    notifications: records.flatMap((r) => (r.type === 'event' && r.code.startsWith('notify.') ? [{ time: r.time, message: r.message, level: r.level }] : [])),
    span: { t0, t1 },
    generatedAt: now.toISOString(),
  };
}
