/**
 * Records lost from a PostgreSQL journal. Every append inserts its record and moves the snapshot row's
 * `head_seq` in one transaction, and seqs are gap-free from 1, so no crash or lost connection leaves the
 * head ahead of the records or a seq missing: either proves records were deleted from
 * ws_deployment_events, or that table was put back from an older backup. They may be a step's success
 * or an operator's `shift pause`; going on from what is left would redo or undo them silently, so every
 * reader refuses (as the file store does, see ../lost-records.ts), with the way out.
 *
 * The reverse, records beyond the head with none missing, is the snapshot row put back from an older
 * backup: nothing is lost (the journal is the truth), so `open` replays them and appends go on after them.
 */
import type { PoolClient } from 'pg';
import type { JournalDamage } from '../store.js';

/** How far one deployment's journal reaches, against the head its snapshot row records. */
export interface JournalExtent {
  /** `head_seq` of the snapshot row. */
  head: number;
  /** Records stored, and the highest seq among them (0 when none). */
  count: number;
  last: number;
}

/** The seq the journal should end at: the head, or its last record when the row is older than the journal. */
export function journalEnd(extent: JournalExtent): number {
  return Math.max(extent.head, extent.last);
}

/** Counts a deployment's records (an index-only scan of the primary key). */
export async function readExtent(client: PoolClient, id: string, head: number): Promise<JournalExtent> {
  const { rows } = await client.query<{ n: string; last: string }>(
    'SELECT count(*) AS n, COALESCE(max(seq), 0) AS last FROM ws_deployment_events WHERE deployment_id = $1',
    [id],
  );
  return { head, count: Number(rows[0]?.n ?? 0), last: Number(rows[0]?.last ?? 0) };
}

/** SQL string literal (ids match DEPLOYMENT_ID_PATTERN; quoted anyway, as the text is meant to be pasted). */
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

/**
 * The damage of deployment `id`'s journal when records are missing from it; else undefined. Reads where
 * the first gap is (only then: a whole journal costs nothing more than {@link readExtent}).
 */
export async function lostRecords(client: PoolClient, id: string, extent: JournalExtent, where: string): Promise<JournalDamage | undefined> {
  const end = journalEnd(extent);
  if (extent.count >= end) return undefined;
  const { rows } = await client.query<{ missing: string; next: string | null }>(
    `SELECT m.missing, (SELECT min(seq) FROM ws_deployment_events WHERE deployment_id = $1 AND seq > m.missing) AS next
       FROM (SELECT min(g) AS missing FROM generate_series(1, $2::bigint) AS g
              WHERE NOT EXISTS (SELECT 1 FROM ws_deployment_events WHERE deployment_id = $1 AND seq = g)) AS m`,
    [id, end],
  );
  const first = Number(rows[0]?.missing ?? extent.count + 1);
  const intact = first - 1;
  const gapEnd = rows[0]?.next ? Number(rows[0].next) - 1 : end;
  const after = extent.count - intact; // records kept beyond the gap, which nothing may replay past it
  const lost = first === gapEnd ? `record ${first}` : `records ${first} to ${gapEnd}`;
  const more = end - extent.count > gapEnd - first + 1 ? ` (and ${end - extent.count - (gapEnd - first + 1)} more after it)` : '';
  const ends = after > 0 ? `it ends at record ${intact}, then ${after} record${after === 1 ? '' : 's'} after the gap` : `it ends at record ${intact}`;
  const drop = after > 0 ? `drop the records after the gap (\`DELETE FROM ws_deployment_events WHERE deployment_id = ${literal(id)} AND seq > ${intact}\`) and ` : '';
  return {
    file: `the journal in ${where} (table ws_deployment_events)`,
    line: intact + 1,
    problem:
      `lost ${lost}${more}: ${ends}, but its snapshot row in ws_deployment_snapshots (moved in the same transaction as every record) shows record ${end} ` +
      `(records were deleted, or the table was restored from an older backup)`,
    fix:
      `restore the table ws_deployment_events from a backup taken after record ${end} (or the whole database from one backup), then run the command again; ` +
      `or, to accept the loss and go on from what the journal holds (steps whose success was lost are checked again; shift commands sent since must be sent again), ` +
      `${drop}set the head back to the last intact record (\`UPDATE ws_deployment_snapshots SET head_seq = ${intact}, snapshot = NULL, snapshot_seq = 0 WHERE deployment_id = ${literal(id)}\`), ` +
      `then run the command again`,
  };
}
