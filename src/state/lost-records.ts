/**
 * Records lost from a journal. A crash mid-append tears at most the batch being written, and the
 * snapshot cache is written only from records already on disk (FileJournal), so after a genuine crash
 * the snapshot never shows a record the journal lacks. One that does (its `seq` beyond the journal's
 * last record) proves the journal lost records: cut, truncated, or put back from an older copy. They may
 * be a step's success or an operator's `shift pause`; going on from what is left would redo or undo
 * them silently, so writers refuse and readers list the deployment as damaged, with the way out.
 * Without such evidence (no snapshot, or one not ahead) a torn last line is a crash's and is repaired.
 *
 * Older ws-deployment (before the snapshot carried {@link SNAPSHOT_MARK}) wrote the snapshot from memory,
 * with records whose write was still under way (a slow disk sends writes to the thread pool): killed
 * then, it left a snapshot ahead of a journal that lost nothing. Its state dirs outlive an upgrade (a
 * deployment held at a gate over a weekend), so an unmarked snapshot ahead by records appended while the
 * journal's last write ran (their time within {@link OLDER_WRITER_WINDOW_MS} of its last record) is taken
 * for that crash. Ahead by more, or marked, it is a loss.
 */
import { basename, dirname, join } from 'node:path';
import type { JournalRecord } from './model.js';
import type { JournalDamage } from './store.js';

/** In every snapshot written only from records on disk: what tells it from an older writer's. */
export const SNAPSHOT_MARK = { writtenFrom: 'journal-on-disk' } as const;

/**
 * How long after the journal's last record an older writer's snapshot can show one of its own: records
 * wait for the write before them, so at most a slow disk's write apart (generous: a busy CI disk).
 */
const OLDER_WRITER_WINDOW_MS = 60_000;

/** `cached` (ahead of `records`) is an older writer's, showing records appended while the journal's last write ran. */
function olderWritersCrash(cached: { writtenFrom?: unknown; updatedAt?: unknown }, records: readonly JournalRecord[]): boolean {
  if (cached.writtenFrom === SNAPSHOT_MARK.writtenFrom || typeof cached.updatedAt !== 'string') return false;
  const last = records.reduce((max, r) => Math.max(max, Date.parse(r.time)), -Infinity);
  // Either way round (the wall clock may step back). No records, or a time that does not parse
  // (NaN): no evidence of a crash, so a loss.
  return Math.abs(Date.parse(cached.updatedAt) - last) <= OLDER_WRITER_WINDOW_MS;
}

/** What to do: put the lost records back, or say explicitly that their loss is accepted. */
function lostRecordsFix(journal: string, snapshot: string): string {
  return (
    `restore ${journal} from a backup of the state dir (the whole deployment folder ${dirname(journal)}), then run the command again; ` +
    `or, to accept the loss and go on from what the journal holds (steps whose success was lost are checked again; shift commands sent since must be sent again), ` +
    `move the snapshot out of the way (\`mv ${snapshot} ${snapshot}.lost-records\`) and run the command again`
  );
}

/**
 * The damage of the journal at `journal` (its intact `records`, read after the snapshot) when the
 * snapshot read before it (`cached`, as parsed) shows records the journal no longer holds; else undefined.
 */
export function lostRecords(journal: string, records: readonly JournalRecord[], cached: unknown): JournalDamage | undefined {
  if (cached === null || typeof cached !== 'object') return undefined;
  const { id, seq } = cached as { id?: unknown; seq?: unknown };
  // A snapshot of another deployment (copied in by hand) proves nothing about this journal.
  if (id !== basename(dirname(journal)) || typeof seq !== 'number' || !Number.isSafeInteger(seq)) return undefined;
  const last = records.reduce((max, r) => (typeof r.seq === 'number' && r.seq > max ? r.seq : max), 0);
  if (seq <= last || olderWritersCrash(cached, records)) return undefined;
  const snapshot = join(dirname(journal), 'snapshot.json');
  const lost = seq === last + 1 ? `record ${seq}` : `records ${last + 1} to ${seq}`;
  return {
    file: journal,
    line: records.length + 1,
    problem: `lost ${lost}: it ends at record ${last}, but ${snapshot} (written only from records already in the journal) shows record ${seq} (the journal was cut or put back from an older copy)`,
    fix: lostRecordsFix(journal, snapshot),
  };
}
