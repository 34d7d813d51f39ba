/**
 * The PostgreSQL state store, for CI pods whose disk dies with them: journal,
 * snapshots, environment locks and traffic-shift commands live in the
 * database; only working files (terraform dirs, kubeconfigs, step logs) stay in
 * a local work dir.
 *
 *   ws_deployment_snapshots  one row per deployment: head seq + reduced state
 *   ws_deployment_events     the append-only journal, unique (deployment, seq)
 *   ws_deployment_locks      who holds each environment's advisory lock
 *   ws_deployment_control    pending shift commands
 *
 * Same semantics as {@link FileStateStore}: the journal is the truth, `open`
 * replays the records the snapshot has not seen, `create` refuses an id that
 * has records, `list` is newest first.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { assertUsableStateDir } from '../state-dir-check.js';
import { fromJournalPaths, originalRoot } from '../state-paths.js';
import { WsdError } from '../../core/errors.js';
import { journalDamagedError } from '../journal-damage.js';
import { nullSink, type EventSink } from '../../core/events.js';
import type { Redactor } from '../../core/redact.js';
import { assertDeploymentId, DEPLOYMENT_ID_PATTERN } from '../file-store.js';
import { applyRecord, SNAPSHOT_SCHEMA_VERSION, type JournalRecord, type Snapshot } from '../model.js';
import type { DeploymentJournal, DeploymentSummary, LockHandle, LockHolder, PendingControl, StateStore } from '../store.js';
import { DEFAULT_RETRY, loadPg, parseStateUrl, type RetryPolicy } from './connection.js';
import { pendingControl, sendControl, takeControl } from './control-queue.js';
import type { ControlCommand } from '../../steps/step.js';
import { Database, withReconnect } from './database.js';
import { migrate } from './migrations.js';
import { journalEnd, lostRecords, readExtent } from './lost-records.js';
import { PostgresJournal } from './postgres-journal.js';
import { acquirePostgresAllocationLock } from './allocation-lock.js';
import { acquirePostgresLock, copiedLockRowNote, readLockHolder, type PostgresLockHandle } from './postgres-lock.js';

interface PostgresStoreOptions {
  /** `postgres://USER:PASSWORD@HOST:PORT/DB?sslmode=…`; never logged, shown with the password redacted. */
  url: string;
  /** Local folder for working files (`root`); created when missing. */
  workDir: string;
  /** Receives the url's password so nothing that leaves the process shows it. */
  redactor?: Redactor;
  sink?: EventSink;
  /**
   * Called when the session holding an environment lock is lost: the lock is
   * gone, so the run must stop. Wire it to the run's AbortController.
   */
  onLockLost?: (error: WsdError, holder: LockHolder) => void;
  /** Reconnect attempts for journal operations; default 3 attempts over about 5 s. */
  retry?: RetryPolicy;
  /** How often a held lock's connection is probed; default 15 s. */
  lockHeartbeatMs?: number;
}

/** Connects, applies schema migrations and returns the store. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStateStore> {
  const url = parseStateUrl(options.url, options.redactor);
  const sink = options.sink ?? nullSink;
  const pg = await loadPg();
  const db = new Database(pg, url, sink, options.retry ?? DEFAULT_RETRY);
  try {
    const applied = await db.run('applying schema migrations', (client) => migrate(client));
    if (applied.length > 0) {
      sink.emit({ level: 'info', code: 'state.migrated', message: `state database ${url.display}: applied schema migrations ${applied.join(', ')}`, data: { versions: applied } });
    }
    await mkdir(options.workDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    await db.close().catch(() => undefined);
    if (error instanceof WsdError) throw error;
    throw new WsdError('StateIo', `cannot create the work dir ${options.workDir} (${(error as Error).message}); pass a writable folder`, { cause: error });
  }
  return new PostgresStateStore(db, options, sink);
}

export class PostgresStateStore implements StateStore {
  readonly root: string;
  private readonly locks = new Set<PostgresLockHandle>();
  private closed = false;

  /** Use {@link openPostgresStore}, which migrates the schema first. */
  constructor(
    private readonly db: Database,
    private readonly options: PostgresStoreOptions,
    private readonly sink: EventSink,
  ) {
    this.root = options.workDir;
  }

  /** The connection string with its password redacted: the only form for messages. */
  get displayUrl(): string {
    return this.db.url.display;
  }

  async lock(key: { project: string; environment: string }, who: Omit<LockHolder, 'since' | 'pid' | 'host'>): Promise<PostgresLockHandle> {
    const handle = await withReconnect(
      { url: this.db.url, sink: this.sink, retry: this.options.retry ?? DEFAULT_RETRY },
      `locking environment ${key.environment} of project ${key.project}`,
      () => acquirePostgresLock({ pg: this.db.pg, url: this.db.url, sink: this.sink, key, who, heartbeatMs: this.options.lockHeartbeatMs ?? 15_000 }),
    );
    this.locks.add(handle);
    handle.onLockLost((error) => this.options.onLockLost?.(error, handle.holder));
    const release = handle.release.bind(handle);
    return Object.assign(handle, {
      release: async () => {
        this.locks.delete(handle);
        await release();
      },
    });
  }

  async allocationLock(who: Omit<LockHolder, 'since' | 'pid' | 'host'>, options: { signal?: AbortSignal } = {}): Promise<LockHandle> {
    return withReconnect({ url: this.db.url, sink: this.sink, retry: this.options.retry ?? DEFAULT_RETRY }, 'waiting for the cluster id allocation lock', () =>
      acquirePostgresAllocationLock({ pg: this.db.pg, url: this.db.url, who, signal: options.signal }),
    );
  }

  /**
   * The values digest key, made once per database: `seed` (the key a work dir already holds, so the digests it
   * keyed still match) or 32 random bytes. Two pods asking at once get the same key (first insert wins).
   */
  async valuesDigestKey(seed?: Buffer): Promise<Buffer> {
    const value = (seed ?? randomBytes(32)).toString('hex');
    const rows = await this.db.run('reading the values digest key', async (client) => {
      await client.query(`INSERT INTO ws_deployment_keys (name, value) VALUES ('values-digest', $1) ON CONFLICT (name) DO NOTHING`, [value]);
      return (await client.query<{ value: string }>(`SELECT value FROM ws_deployment_keys WHERE name = 'values-digest'`)).rows;
    });
    return Buffer.from(rows[0]!.value, 'hex');
  }

  /** The live holder of an environment's lock, without taking it: a watch or `status` never stands in a run's way. */
  async lockHolder(key: { project: string; environment: string }): Promise<LockHolder | undefined> {
    return this.db.run(`reading the lock holder of environment ${key.environment} of project ${key.project}`, (client) => readLockHolder(client, key));
  }

  async lockNote(key: { project: string; environment: string }): Promise<string | undefined> {
    return this.db.run(`reading the lock of environment ${key.environment} of project ${key.project}`, (client) => copiedLockRowNote(client, key));
  }

  async create(id: string): Promise<DeploymentJournal> {
    if (!DEPLOYMENT_ID_PATTERN.test(id)) throw new WsdError('UsageError', `invalid deployment id "${id}"`);
    await this.db.run(`creating deployment ${id}`, async (client) => {
      // Like the file store, an id without records (a crash before the first append) may be created again.
      await client.query('INSERT INTO ws_deployment_snapshots (deployment_id) VALUES ($1) ON CONFLICT (deployment_id) DO NOTHING', [id]);
      const { rows } = await client.query<{ head_seq: string }>('SELECT head_seq FROM ws_deployment_snapshots WHERE deployment_id = $1', [id]);
      if (Number(rows[0]?.head_seq ?? 0) > 0) throw new WsdError('Internal', `deployment ${id} already exists`, { source: 'internal' });
    });
    return new PostgresJournal(id, await this.workDirOf(id), this.db, undefined, 0);
  }

  async readRecords(id: string, afterSeq = 0): Promise<JournalRecord[]> {
    await this.open(id); // not-found, version and lost-records errors, as for open
    const { snapshot, records } = await this.db.run(`reading the journal of ${id}`, async (client) => {
      const head = await client.query<{ snapshot: Snapshot | null }>('SELECT snapshot FROM ws_deployment_snapshots WHERE deployment_id = $1', [id]);
      const { rows } = await client.query<{ record: JournalRecord }>('SELECT record FROM ws_deployment_events WHERE deployment_id = $1 AND seq > $2 ORDER BY seq', [id, afterSeq]);
      return { snapshot: head.rows[0]?.snapshot ?? undefined, records: rows.map((r) => r.record) };
    });
    // Paths as open() has them: resolved against the work dir in use (the original root is found as open() finds it).
    const legacy = originalRoot([snapshot, ...records], id);
    return records.map((r) => fromJournalPaths(r, this.root, legacy));
  }

  async open(id: string): Promise<DeploymentJournal> {
    assertDeploymentId(id);
    const loaded = await this.db.transaction(
      `reading deployment ${id}`,
      async (client) => {
        const head = await client.query<{ head_seq: string; snapshot: Snapshot | null; snapshot_seq: string }>(
          'SELECT head_seq, snapshot, snapshot_seq FROM ws_deployment_snapshots WHERE deployment_id = $1',
          [id],
        );
        const row = head.rows[0];
        if (!row) return undefined;
        // Counted in this snapshot of the database: a record appended meanwhile is in neither or both.
        const extent = await readExtent(client, id, Number(row.head_seq));
        if (journalEnd(extent) === 0) return undefined;
        const lost = await lostRecords(client, id, extent, this.db.url.display);
        if (lost) return { lost };
        const after = row.snapshot ? Number(row.snapshot_seq) : 0;
        const tail = await client.query<{ record: JournalRecord }>('SELECT record FROM ws_deployment_events WHERE deployment_id = $1 AND seq > $2 ORDER BY seq', [id, after]);
        return { snapshot: row.snapshot ?? undefined, records: tail.rows.map((r) => r.record), seq: journalEnd(extent) };
      },
      undefined,
      'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
    );
    if (!loaded) {
      throw new WsdError('DeploymentNotFound', `deployment ${id} not found in ${this.db.url.display}; list deployments with \`ws-deployment status --all\` or check --state`);
    }
    if ('lost' in loaded && loaded.lost) throw journalDamagedError(id, loaded.lost.file, loaded.lost.line, loaded.lost.fix, loaded.lost.problem);
    // The snapshot is written with every state record, so this tail is normally just trailing events.
    const legacy = originalRoot([loaded.snapshot, ...loaded.records], id);
    let snap = fromJournalPaths(loaded.snapshot, this.root, legacy);
    for (const record of loaded.records) snap = applyRecord(snap, fromJournalPaths(record, this.root, legacy));
    if (!snap) throw new WsdError('StateCorrupt', `deployment ${id} has no journal records`);
    if (snap.schemaVersion > SNAPSHOT_SCHEMA_VERSION) {
      throw new WsdError('StateCorrupt', `deployment ${id} was written by a newer ws-deployment (schema ${snap.schemaVersion}); upgrade ws-deployment`);
    }
    return new PostgresJournal(id, await this.workDirOf(id), this.db, snap, loaded.seq);
  }

  async list(): Promise<DeploymentSummary[]> {
    const rows = await this.db.transaction(
      'listing deployments',
      async (client) => {
        // One query for all (the count is an index-only scan per deployment); where the gap is, only for a damaged one.
        const { rows: found } = await client.query<{ id: string; head_seq: string; snapshot: Snapshot | null; n: string; last: string }>(
          `SELECT s.deployment_id AS id, s.head_seq, s.snapshot, e.n, e.last FROM ws_deployment_snapshots s
             CROSS JOIN LATERAL (SELECT count(*) AS n, COALESCE(max(seq), 0) AS last FROM ws_deployment_events WHERE deployment_id = s.deployment_id) e`,
        );
        const out = [];
        for (const r of found) {
          const extent = { head: Number(r.head_seq), count: Number(r.n), last: Number(r.last) };
          out.push({ ...r, extent, lost: await lostRecords(client, r.id, extent, this.db.url.display) });
        }
        return out;
      },
      undefined,
      'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
    );
    const out: DeploymentSummary[] = [];
    for (const r of rows) {
      const s = r.snapshot;
      if (r.lost) {
        // What the snapshot row says is what was known before the loss (the cluster id an allocation must skip).
        const intact = s?.inputs ? { createdAt: s.createdAt, updatedAt: s.updatedAt, project: s.inputs.project, environment: s.inputs.environment } : { createdAt: '', updatedAt: '', project: '', environment: '' };
        out.push({ id: r.id, state: 'damaged', ...intact, damaged: { ...r.lost, ...(s?.inputs ? { clusterId: s.clusterId } : {}) } });
        continue;
      }
      const end = journalEnd(r.extent);
      if (end === 0) continue; // created, no record yet
      // A snapshot row older than its journal (put back from a backup, or not written yet) is rebuilt from the journal.
      const snap = s && r.extent.last <= r.extent.head ? s : await this.rebuilt(r.id, s);
      if (!snap) continue;
      if (snap.inputs) out.push({ id: snap.id, state: snap.state, createdAt: snap.createdAt, updatedAt: snap.updatedAt, project: snap.inputs.project, environment: snap.inputs.environment });
    }
    // Newest first, as byte order (COLLATE "C") sorted them before.
    return out.sort((a, b) => (a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1));
  }

  /** A listed deployment's state from its journal; a deployment that does not open is listed as its row says (or not at all), as before. */
  private async rebuilt(id: string, row: Snapshot | null): Promise<Snapshot | undefined> {
    try {
      return (await this.open(id)).snapshot();
    } catch {
      return row ?? undefined;
    }
  }

  /** Queues a traffic-shift command for a running deployment. */
  sendControl(id: string, command: ControlCommand, by?: string): Promise<void> {
    return sendControl(this.db, id, command, by);
  }

  /** Takes the oldest pending command of a deployment (never returned twice), or undefined. */
  takeControl(id: string): Promise<PendingControl | undefined> {
    return takeControl(this.db, id);
  }

  /** Commands queued for a deployment and not taken yet, oldest first. */
  pendingControl(id: string): Promise<PendingControl[]> {
    return pendingControl(this.db, id);
  }

  /** Releases locks still held and closes every connection; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const lock of [...this.locks]) await lock.release();
    await this.db.close();
  }

  private async workDirOf(id: string): Promise<string> {
    const dir = join(this.root, id);
    assertUsableStateDir(this.root);
    try {
      // Another machine may have started this deployment: its work dir is not here yet.
      await mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new WsdError('StateIo', `cannot create the work dir ${dir} (${(error as Error).message}); pass a writable folder`, { cause: error });
    }
    return dir;
  }
}
