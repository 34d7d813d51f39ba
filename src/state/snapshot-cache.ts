/**
 * `snapshot.json` is a cache of the journal, never the truth. A listing uses it
 * only when it is whole, belongs to this deployment and has seen the journal's
 * last state record; otherwise (missing, torn, unparsable, stale, or swapped in
 * from another deployment) the summary is rebuilt from the journal. So a
 * damaged snapshot can never hide a deployment from `status`, from the
 * unfinished-deployment refusal of `deploy`, or from the old-cluster queries.
 */
import { readFileSync } from 'node:fs';
import { applyRecord, type JournalRecord, type Snapshot } from './model.js';
import type { DeploymentSummary } from './store.js';

const STATES: ReadonlySet<string> = new Set(['running', 'succeeded', 'partial', 'failed', 'interrupted']);

function parseLine(line: string): JournalRecord | undefined {
  try {
    return JSON.parse(line) as JournalRecord;
  } catch {
    return undefined;
  }
}

/** seq of the journal's last state record (not an `event`); a torn last line is ignored. */
export function journalHead(text: string): number | undefined {
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i];
    if (!line) continue;
    const record = parseLine(line);
    if (record && record.type !== 'event') return record.seq;
  }
  return undefined;
}

/**
 * The snapshot cache at `path` as it parses, undefined when missing, torn or unreadable. Read it before
 * the journal: it is written only once the records it shows are on disk, so read first it can never
 * show more than the journal read after it holds, unless records were lost (see lost-records.ts).
 */
export function readSnapshotCache(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** `snap` (as read by {@link readSnapshotCache}) when it can be trusted for deployment `id`'s summary, else undefined. */
export function cachedSnapshot(read: unknown, id: string, head: number | undefined): Snapshot | undefined {
  const snap = read as Snapshot;
  const wellFormed =
    snap !== null &&
    typeof snap === 'object' &&
    snap.id === id &&
    snap.seq === head &&
    STATES.has(snap.state) &&
    typeof snap.createdAt === 'string' &&
    typeof snap.updatedAt === 'string' &&
    typeof snap.inputs?.project === 'string' &&
    typeof snap.inputs?.environment === 'string';
  return wellFormed ? snap : undefined;
}

/** One deployment's summary straight from its snapshot. */
export function summaryOf(s: Snapshot): DeploymentSummary {
  return { id: s.id, state: s.state, createdAt: s.createdAt, updatedAt: s.updatedAt, project: s.inputs.project, environment: s.inputs.environment };
}

/** Reduces journal records to a snapshot (undefined for a journal without records). */
export function replay(records: readonly JournalRecord[]): Snapshot | undefined {
  let snap: Snapshot | undefined;
  for (const r of records) snap = applyRecord(snap, r);
  return snap;
}
