/** Reads a deployment's journal records of one kind (decision records and the like). */
import { join } from 'node:path';
import { readJournal } from '../../../src/state/file-store.js';
import type { JournalRecord } from '../../../src/state/model.js';

export type EventRecord = Extract<JournalRecord, { type: 'event' }>;

export function journalEvents(stateRoot: string, id: string, code?: string): EventRecord[] {
  return readJournal(join(stateRoot, id, 'journal.ndjson')).filter((r): r is EventRecord => r.type === 'event' && (code === undefined || r.code === code));
}
