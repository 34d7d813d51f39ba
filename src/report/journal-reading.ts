/**
 * Defensive readers for journal records. Views render whatever fields a record
 * has (decision records grow richer over time), so they read `unknown` through
 * these helpers instead of trusting one shape.
 */
import type { JournalRecord } from '../state/model.js';

type EventRecord = Extract<JournalRecord, { type: 'event' }>;

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function events(records: readonly JournalRecord[], code: string): EventRecord[] {
  return records.filter((r): r is EventRecord => r.type === 'event' && r.code === code);
}

/** Checkpoint outputs of a step, in journal order, with their time. */
export function checkpoints(records: readonly JournalRecord[], cluster: string, step: string): Array<{ time: string; outputs: Record<string, unknown> }> {
  return records.flatMap((r) => (r.type === 'step.checkpoint' && r.cluster === cluster && r.step === step ? [{ time: r.time, outputs: r.outputs }] : []));
}

export interface ShiftClusterRef {
  name: string;
  cluster?: string;
  region: string;
}

export function clusterRefs(v: unknown): ShiftClusterRef[] {
  return arr(v).flatMap((c) => (isObject(c) && typeof c.name === 'string' ? [{ name: c.name, cluster: str(c.cluster), region: str(c.region) ?? '' }] : []));
}

/** Milliseconds since epoch of an ISO time. */
export function ms(time: string): number {
  return Date.parse(time);
}
