/**
 * One deployment's journal in PostgreSQL.
 *
 * Each append is one transaction: lock the deployment's snapshot row, check
 * that nobody appended since we last did, insert the record, move the head and
 * (for deployment-level records, and otherwise at most once a second or every
 * {@link SNAPSHOT_EVERY_RECORDS} records) the snapshot. Seq is gap-free per
 * deployment, and a second writer fails cleanly instead of interleaving. The
 * snapshot may trail the head by a few step records: `open` replays the records
 * after `snapshot_seq`, and a listing's state changes only with deployment-level
 * records, which always write it. Rewriting the whole snapshot row with every
 * step record made one record cost 11 ms at 200 clusters (1 ms at one).
 * A retried append (connection lost around COMMIT) finds out whether its first
 * try committed through the `append_id` it wrote.
 */
import { crashPoint } from '../crash-point.js';
import { randomBytes } from 'node:crypto';
import type { PoolClient } from 'pg';
import { WsdError } from '../../core/errors.js';
import { applyRecord, type JournalInput, type JournalRecord, type Snapshot } from '../model.js';
import { dirname } from 'node:path';
import { journalText, toJournalPaths } from '../state-paths.js';
import type { DeploymentJournal } from '../store.js';
import type { Database } from './database.js';

/** Longest the snapshot row trails the head: time, and records `open` has to replay. */
const SNAPSHOT_INTERVAL_MS = 1_000;
const SNAPSHOT_EVERY_RECORDS = 100;

export class PostgresJournal implements DeploymentJournal {
  private snapshotWrittenAt = 0;
  /** seq of the snapshot last written by this journal (0: none yet, so the first state record writes it). */
  private snapshotSeq = 0;

  constructor(
    readonly id: string,
    readonly dir: string,
    private readonly db: Database,
    private current: Snapshot | undefined,
    /** seq of the last record this journal knows (events included). */
    private seq: number,
  ) {}

  snapshot(): Snapshot {
    if (!this.current) throw new WsdError('StateCorrupt', `deployment ${this.id} has no journal records`);
    return this.current;
  }

  /** The last append in flight: appends of one journal run one after another. */
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * Appends in call order. Steps of several clusters append at the same time;
   * each append needs the seq and snapshot the previous one left, so they queue
   * (the file store gets the same effect from synchronous writes).
   */
  append(input: JournalInput): Promise<JournalRecord> {
    const next = this.queue.then(() => this.appendNow(input));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async appendNow(input: JournalInput): Promise<JournalRecord> {
    const expected = this.seq;
    const record = { ...input, seq: expected + 1, time: new Date().toISOString() } as JournalRecord;
    // Event records carry output only; like the file store, they leave the snapshot alone.
    const next = record.type === 'event' ? this.current : applyRecord(this.current, record);
    const appendId = randomBytes(12).toString('hex');
    const writeSnapshot =
      record.type !== 'event' &&
      (record.type.startsWith('deployment.') || Date.now() - this.snapshotWrittenAt >= SNAPSHOT_INTERVAL_MS || record.seq - this.snapshotSeq >= SNAPSHOT_EVERY_RECORDS);
    await this.db.transaction(
      `appending record ${record.seq} (${record.type}) to deployment ${this.id}`,
      async (client) => {
        const { rows } = await client.query<{ head_seq: string }>('SELECT head_seq FROM ws_deployment_snapshots WHERE deployment_id = $1 FOR UPDATE', [this.id]);
        const row = rows[0];
        if (!row) throw new WsdError('DeploymentNotFound', `deployment ${this.id} is no longer in the state database ${this.db.url.display}; it was deleted while this run used it`);
        const head = Number(row.head_seq);
        if (head !== expected) {
          if (head === record.seq && (await this.committedBefore(client, record.seq, appendId))) return;
          // A snapshot row put back from an older backup trails a whole journal that `open` read to its end (lost-records.ts).
          if (!(head < expected && (await this.journalEndsAt(client, expected)))) throw this.conflict(head, expected);
        }
        await client.query('INSERT INTO ws_deployment_events (deployment_id, seq, time, record, append_id) VALUES ($1, $2, $3, $4::jsonb, $5)', [
          this.id,
          record.seq,
          record.time,
          // Paths under the work dir relative to it: another machine's work dir is elsewhere.
          journalText(record, dirname(this.dir)),
          appendId,
        ]);
        if (!writeSnapshot) {
          await client.query('UPDATE ws_deployment_snapshots SET head_seq = $2, updated_at = now() WHERE deployment_id = $1', [this.id, record.seq]);
        } else {
          await client.query('UPDATE ws_deployment_snapshots SET head_seq = $2, snapshot = $3::jsonb, snapshot_seq = $2, updated_at = now() WHERE deployment_id = $1', [
            this.id,
            record.seq,
            JSON.stringify(toJournalPaths(next, dirname(this.dir))),
          ]);
        }
      },
      `the deployment stopped safely (its journal is intact up to record ${expected}); run \`ws-deployment resume ${this.id}\` when the database is back`,
    );
    this.seq = record.seq;
    this.current = next;
    if (writeSnapshot) {
      this.snapshotWrittenAt = Date.now();
      this.snapshotSeq = record.seq;
    }
    crashPoint(record);
    return record;
  }

  /** True when the record at `seq` is the one this append wrote on an earlier try. */
  private async committedBefore(client: PoolClient, seq: number, appendId: string): Promise<boolean> {
    const { rows } = await client.query<{ append_id: string }>('SELECT append_id FROM ws_deployment_events WHERE deployment_id = $1 AND seq = $2', [this.id, seq]);
    return rows[0]?.append_id === appendId;
  }

  /** True when the journal's last record is `seq` (under the row lock, no one appends meanwhile). */
  private async journalEndsAt(client: PoolClient, seq: number): Promise<boolean> {
    const { rows } = await client.query<{ last: string | null }>('SELECT max(seq) AS last FROM ws_deployment_events WHERE deployment_id = $1', [this.id]);
    return Number(rows[0]?.last ?? 0) === seq;
  }

  private conflict(head: number, expected: number): WsdError {
    return new WsdError(
      'StateIo',
      `deployment ${this.id} was appended to by another process (its journal is at record ${head}, this process last wrote ${expected}); two runs are driving one deployment: stop this one, check who holds the environment lock, then \`ws-deployment resume ${this.id}\``,
      { details: { deploymentId: this.id, headSeq: head, expectedSeq: expected } },
    );
  }
}
