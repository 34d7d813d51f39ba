/**
 * The default state store: one folder per deployment under the state dir.
 *
 *   <state-dir>/<id>/journal.ndjson   append-only records (fsync'd one by one)
 *   <state-dir>/<id>/snapshot.json    the reduced state, written atomically
 *   <state-dir>/locks/                environment locks
 *
 * The journal is the truth. The snapshot is a cache of it: on open, records the
 * snapshot has not seen yet are applied again, and a last line cut by a crash
 * is dropped (and reported) rather than failing the whole deployment.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, constants, existsSync, fdatasyncSync, fstatSync, ftruncateSync, lstatSync, readlinkSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, truncateSync, unlinkSync, write, writeSync } from 'node:fs';
import { setImmediate } from 'node:timers';
import type { ControlCommand } from '../steps/step.js';
import { basename, dirname, join } from 'node:path';
import { WsdError } from '../core/errors.js';
import type { EventInput, EventSink } from '../core/events.js';
import { replaceFileUnsynced, writeFileAtomic } from '../core/atomic-write.js';
import { extend } from '../core/extend.js';
import { crashPoint } from './crash-point.js';
import { journalDamagedError, journalDamageFix, journalLostFix } from './journal-damage.js';
import { acquireAllocationLock } from './allocation-lock.js';
import { acquireFileLock, copiedLockNote, copiedLockRefusal, readLiveHolder } from './file-lock.js';
import { applyRecord, SNAPSHOT_SCHEMA_VERSION, type ClusterRecordState, type JournalInput, type JournalRecord, type Snapshot } from './model.js';
import { assertUsableStateDir } from './state-dir-check.js';
import { assertDeploymentWritable, assertStoreFoldersWritable, isPermissionError, permissionFix } from './deployment-dir-check.js';
import { cachedSnapshot, journalHead, readSnapshotCache, replay, summaryOf } from './snapshot-cache.js';
import { lostRecords, SNAPSHOT_MARK } from './lost-records.js';
import { fromJournalPaths, journalText, originalRoot } from './state-paths.js';
import { lineProblem, NEWER_FIX, type LineProblem } from './journal-records.js';
import { controlDir, controlFile, listControl, readControl, readControlText } from './control-files.js';
import type { DeploymentJournal, DeploymentSummary, JournalDamage, LockHandle, LockHolder, PendingControl, StateStore } from './store.js';

const JOURNAL = 'journal.ndjson';
const SNAPSHOT = 'snapshot.json';
export const DEPLOYMENT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{2,63}$/;

/** Refuses what cannot be a deployment id (a path, `../etc`) before any store reads it: one text for every store and reader. */
export function assertDeploymentId(id: string): void {
  if (!DEPLOYMENT_ID_PATTERN.test(id)) throw new WsdError('DeploymentNotFound', `"${id}" is not a deployment id; list them with \`ws-deployment status --all\``);
}
/** The ids `deploy` generates (engine/deployment.ts): an entry so named is a deployment's, never the store's own (`locks`). */
const GENERATED_ID_PATTERN = /^\d{8}-\d{6}-[0-9a-f]{4}$/;

/**
 * Why deployment folder `id` holds a deployment whose journal cannot be read at all, or undefined when it
 * holds none (another store folder, or one a crash left before its first record) or a readable journal.
 * The journal is the truth: a folder that holds a snapshot, logs or a cluster's files but no journal is
 * a deployment whose clusters may exist, so it is damaged, never "no deployment".
 */
function lostJournal(root: string, id: string): JournalDamage | undefined {
  if (!GENERATED_ID_PATTERN.test(id)) return undefined;
  const folder = join(root, id);
  const journal = join(folder, JOURNAL);
  const damaged = (file: string, problem: string): JournalDamage => ({ file, line: 1, problem, fix: journalLostFix(journal, folder) });
  const entry = lstatSync(folder);
  if (entry.isSymbolicLink()) return damaged(folder, `is a symlink (to ${readlinkSync(folder)}), not a folder of the state dir: nothing a deployment journals may lie outside it`);
  if (!entry.isDirectory()) return damaged(folder, 'is a file, not a deployment folder');
  let others: string[];
  try {
    others = readdirSync(folder).filter((n) => n !== JOURNAL);
  } catch (error) {
    if (isPermissionError(error)) return { file: folder, line: 1, problem: `cannot be listed (${(error as NodeJS.ErrnoException).code})`, fix: permissionFix(folder) };
    return damaged(folder, `cannot be listed (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let journalEntry;
  try {
    journalEntry = lstatSync(journal);
  } catch {
    return others.length > 0 ? damaged(journal, `is missing while its folder holds ${others.sort().join(', ')} (the journal was deleted or moved)`) : undefined;
  }
  if (!journalEntry.isFile()) return damaged(journal, journalEntry.isDirectory() ? 'is a folder, not the journal file' : 'is not a regular file (a symlink or a device)');
  let text: string;
  try {
    text = readFileSync(journal, 'utf8');
  } catch (error) {
    // Another user's journal (or one that lost its modes) is intact: the fix is access, not a backup.
    if (isPermissionError(error)) return { file: journal, line: 1, problem: `cannot be read (${(error as NodeJS.ErrnoException).code})`, fix: permissionFix(journal) };
    return damaged(journal, `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const scan = scanJournal(text, id);
  // A journal damaged at a line is listed (and refused) as that damage, not as one emptied.
  if (scan.damagedLine === undefined && scan.records.length === 0 && others.length > 0) return damaged(journal, `holds no record while its folder holds ${others.sort().join(', ')} (the journal was emptied)`);
  return undefined;
}

/**
 * `resume`: the deployment whose journal could not be written. Its run stops, and it is continued in this state dir
 * once the disk has room again: "pass --state-dir DIR" would start another deployment elsewhere, beside clusters
 * this one half made.
 */
function ioError(action: string, path: string, error: unknown, resume?: string): WsdError {
  const code = (error as NodeJS.ErrnoException).code;
  const then = `then continue the deployment with \`ws-deployment resume ${resume}\``;
  const hint = resume
    ? code === 'ENOSPC' || code === 'EDQUOT'
      ? `the disk holding the state dir is full; free space, ${then}`
      : code === 'EROFS' || code === 'EACCES' || code === 'EPERM'
        ? `the state dir is not writable; make it writable again, ${then}`
        : `check the state dir and its disk, ${then}`
    : code === 'EROFS' || code === 'EACCES' || code === 'EPERM'
      ? 'the state dir is not writable; pass --state-dir DIR with a writable folder'
      : code === 'ENOSPC'
        ? 'the disk holding the state dir is full; free space or pass --state-dir DIR'
        : 'check the state dir';
  return new WsdError('StateIo', `cannot ${action} ${path} (${code ?? (error as Error).message}): ${hint}`, { cause: error });
}

/** Where a journal is damaged mid-file: the records before it are intact, nothing after it is trusted. */
interface JournalDamageAt {
  /** 1-based line number of the first line that is not a record of this deployment. */
  line: number;
  /** The intact records before it. */
  records: JournalRecord[];
  /** What is wrong with that line when it parses (see journal-records.ts); absent for a line that is no JSON. */
  problem?: LineProblem;
}

/**
 * The records of deployment `id`'s journal up to the first line that is none of its records in order (a torn
 * last line aside: one that does not parse, cut by a crash), with where that line is and what is wrong with it.
 */
function scanJournal(text: string, id: string, onTorn?: (line: string) => void): { records: JournalRecord[]; damagedLine?: number; problem?: LineProblem } {
  const lines = text.split('\n');
  const records: JournalRecord[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!line) continue;
    let record: unknown;
    let parsed = true;
    try {
      record = JSON.parse(line);
    } catch {
      parsed = false;
    }
    if (parsed) {
      // Whole JSON is never a crash's cut (a record's line ends with its closing brace): what is wrong with it is damage.
      const problem = lineProblem(record, i + 1, records, id);
      if (problem) return { records: problem.kind === 'foreign' ? [] : records, damagedLine: i + 1, problem };
      records.push(record as JournalRecord);
      continue;
    }
    const isLast = lines.slice(i + 1).every((l) => l === '');
    if (!isLast) return { records, damagedLine: i + 1 };
    onTorn?.(line);
  }
  return { records };
}

/** The fix for journal `path` damaged at `line` as `problem` says. */
function damageFix(path: string, line: number, problem: LineProblem | undefined): string {
  if (problem?.kind === 'newer') return NEWER_FIX;
  if (problem?.kind === 'foreign') return journalLostFix(path, dirname(path));
  return journalDamageFix(path, line);
}

/** The damage a scan found, as listed and refused. */
function damageOf(path: string, at: JournalDamageAt): JournalDamage {
  return { file: path, line: at.line, fix: damageFix(path, at.line, at.problem), ...(at.problem ? { problem: at.problem.problem } : {}) };
}

/** Reads journal records; a torn last line (crash mid-append) is reported through `onTorn` and dropped. */
export function readJournal(path: string, onTorn?: (line: string) => void): JournalRecord[] {
  const id = basename(dirname(path));
  const { records, damagedLine, problem } = scanJournal(readFileSync(path, 'utf8'), id, onTorn);
  if (damagedLine !== undefined) {
    const damage = damageOf(path, { line: damagedLine, records, problem });
    throw journalDamagedError(id, path, damagedLine, damage.fix, damage.problem);
  }
  return records;
}

/** True when the file is empty or its last byte is a newline. */
function endsWithNewline(path: string): boolean {
  const fd = openSync(path, constants.O_RDONLY);
  try {
    const { size } = fstatSync(fd);
    if (size === 0) return true;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    closeSync(fd);
  }
}

/** Append-only, and each write returns only once its data is on disk (O_DSYNC: write + fdatasync in one call). */
const JOURNAL_FLAGS = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_DSYNC;

/**
 * Appends `text` durably: one `write` on an O_DSYNC descriptor, on the calling thread, so
 * the appends it makes durable resolve in the same event-loop turn (see `FileJournal.flush`).
 */
function appendDurably(path: string, text: string): void {
  const fd = openSync(path, JOURNAL_FLAGS, 0o600);
  const end = fstatSync(fd).size;
  try {
    const data = Buffer.from(text, 'utf8');
    for (let offset = 0; offset < data.length; ) offset += writeSync(fd, data, offset, data.length - offset);
  } catch (error) {
    throw cutBack(fd, end, error);
  } finally {
    closeSync(fd);
  }
}

/** The same write in the thread pool: the loop runs on meanwhile, and notices the end a turn later. */
async function appendDurablyOffLoop(path: string, text: string): Promise<void> {
  const fd = openSync(path, JOURNAL_FLAGS, 0o600);
  const end = fstatSync(fd).size;
  try {
    const data = Buffer.from(text, 'utf8');
    for (let offset = 0; offset < data.length; ) {
      offset += await new Promise<number>((resolve, reject) => write(fd, data, offset, data.length - offset, null, (error, written) => (error ? reject(error) : resolve(written))));
    }
  } catch (error) {
    throw cutBack(fd, end, error);
  } finally {
    closeSync(fd);
  }
}

/**
 * A write that failed part-way (a full disk takes the bytes that fit in the file's last block, then says ENOSPC)
 * left a cut line at the journal's end. The next write that succeeds (once anything frees space: terraform removing
 * its plan file) would put a whole record after it, and a journal damaged mid-file is refused by every reader until
 * repaired by hand. So the cut goes, back to the last whole record; if even that fails, the error says the journal
 * must not be written again in this run ({@link JournalCutError}).
 */
function cutBack(fd: number, end: number, error: unknown): unknown {
  try {
    ftruncateSync(fd, end);
    fdatasyncSync(fd);
    return error;
  } catch {
    return new JournalCutError(error);
  }
}

/** A failed append whose cut could not be taken back: the journal's end may hold part of a line. */
class JournalCutError extends Error {
  constructor(readonly original: unknown) {
    super((original as Error).message);
  }
}

/**
 * Makes a folder's entries durable: a new file's data can be on disk while its name is not (POSIX asks for an fsync
 * of the folder), and a journal whose name a crash loses is a deployment whose clusters nobody knows about.
 */
export function syncDirectory(path: string): void {
  const fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The journal's disk writes, one call per group commit (an object, so a test can count them or slow them). */
export const journalDisk = { append: appendDurably, appendOffLoop: appendDurablyOffLoop, syncDirectory, now: () => performance.now() };

/**
 * A write on the loop slower than this (a busy disk) sends the next ones to the thread pool
 * for {@link OFF_LOOP_MS}: blocking the loop is worth it only while a flush is short.
 */
export const SLOW_WRITE_MS = 5;
const OFF_LOOP_MS = 1_000;

/** How often the snapshot cache is rewritten between deployment-level records. */
const SNAPSHOT_INTERVAL_MS = 1_000;

class FileJournal implements DeploymentJournal {
  readonly dir: string;
  private current: Snapshot | undefined;
  /**
   * The state of the records already on disk: what the snapshot cache is written from. `current` also
   * holds records still waiting for their write, and a snapshot showing one a crash then lost would be
   * a snapshot ahead of the journal, which `open` takes as records lost from the journal (see lost-records.ts).
   */
  private durable: Snapshot | undefined;
  private seq: number;
  /** Lines waiting for the next write + fdatasync, with the appends waiting on them (and a state record's state after it). */
  private pending: Array<{ line: string; after?: Snapshot; done: () => void; failed: (error: unknown) => void }> = [];
  private flushScheduled = false;
  /** A thread-pool write is under way: records wait for it, then go in the next one. */
  private flushingOffLoop = false;
  /** Until then (journalDisk.now), writes go to the thread pool: the last one on the loop was slow. */
  private offLoopUntil = 0;
  private snapshotWrittenAt = 0;
  /** The snapshot write under way (one at a time), and whether newer state waits for the next one. */
  private snapshotWriting: Promise<void> | undefined;
  private snapshotDirty = false;
  private readonly clusterTexts = new WeakMap<ClusterRecordState, string>();
  /** The journal's name (and its deployment folder's) is durable: after the first write of a new journal, once. */
  private namesDurable: boolean;
  private snapshotWarned = false;
  /** Set when a failed write left part of a line that could not be cut back: every later append fails with it. */
  private unwritable: WsdError | undefined;

  constructor(
    readonly id: string,
    /** The state dir: journaled paths are relative to it (see state-paths.ts). */
    private readonly root: string,
    stored: JournalRecord[],
    /** Where a failed snapshot write is reported (once). */
    private readonly onWarning?: (event: EventInput) => void,
  ) {
    this.dir = join(root, id);
    this.namesDurable = stored.length > 0;
    // Paths as they are here, also when the dir was copied or moved since (or an older journal holds absolute ones).
    const legacy = originalRoot(stored, id);
    const records = stored.map((r) => fromJournalPaths(r, root, legacy));
    let snap: Snapshot | undefined;
    for (const r of records) snap = applyRecord(snap, r);
    this.current = snap;
    this.durable = snap;
    this.seq = records.at(-1)?.seq ?? 0;
  }

  snapshot(): Snapshot {
    if (!this.current) throw new WsdError('StateCorrupt', `deployment ${this.id} has no journal records`);
    return this.current;
  }

  /**
   * Durable before it resolves. Concurrent appends (parallel clusters) share one
   * write and one fdatasync (group commit), so the journal never serialises the run.
   */
  async append(input: JournalInput): Promise<JournalRecord> {
    const record = extend(input, { seq: ++this.seq, time: new Date().toISOString() }) as JournalRecord;
    if (record.type !== 'event') this.current = applyRecord(this.current, record);
    await new Promise<void>((done, failed) => {
      this.pending.push({ line: `${journalText(record, this.root)}\n`, ...(record.type !== 'event' ? { after: this.current } : {}), done, failed });
      this.scheduleFlush();
    });
    if (record.type !== 'event') {
      // Deployment-level records (created, finished, …) wait for the cache to show them; the
      // periodic rewrites between them run in the background. Neither may fail the run: the
      // record is durable in the journal, the truth, and every reader rebuilds a stale or
      // missing snapshot from it. A failed write is said once.
      const written = this.writeSnapshot(record.type.startsWith('deployment.'))?.catch((error: unknown) => this.snapshotFailed(error));
      if (record.type.startsWith('deployment.')) await written;
    }
    crashPoint(record);
    return record;
  }

  /**
   * One durable write for every record appended in this event-loop turn, also from different
   * callbacks of it (the children that exited together), started once the turn's I/O
   * callbacks have run (check phase): each step's `step.succeeded` and the `step.started` of
   * the step it releases share it. On a fast disk the write runs on the loop (about 2 ms), so
   * the released steps start in this same turn. In the thread pool, its end had to wait for
   * the loop to come round again, behind a burst of child-process spawns (the other
   * clusters' steps, 3 to 20 ms each): most of a hop, seconds under load. A slow write
   * (busy disk) sends the next ones to the thread pool for a second, so a slow disk never
   * holds the loop for long; records that arrive meanwhile form the next batch.
   */
  private scheduleFlush(): void {
    if (this.flushScheduled || this.flushingOffLoop) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const path = join(this.dir, JOURNAL);
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0);
      if (this.unwritable) {
        for (const p of batch) p.failed(this.unwritable);
        continue;
      }
      const text = batch.map((p) => p.line).join('');
      try {
        if (journalDisk.now() < this.offLoopUntil) {
          this.flushingOffLoop = true;
          await journalDisk.appendOffLoop(path, text);
        } else {
          const started = journalDisk.now();
          journalDisk.append(path, text);
          if (journalDisk.now() - started > SLOW_WRITE_MS) this.offLoopUntil = journalDisk.now() + OFF_LOOP_MS;
        }
        if (!this.namesDurable) {
          journalDisk.syncDirectory(this.dir);
          journalDisk.syncDirectory(this.root);
          this.namesDurable = true;
        }
      } catch (error) {
        // With records already on disk there is a deployment to resume; without, nothing began.
        const failure = ioError('append to', path, error instanceof JournalCutError ? error.original : error, this.durable ? this.id : undefined);
        // Part of a line stayed at the end: nothing more is written after it in this run (see cutBack).
        if (error instanceof JournalCutError) this.unwritable = failure;
        for (const p of batch) p.failed(failure);
        continue;
      } finally {
        this.flushingOffLoop = false;
      }
      for (const p of batch) if (p.after) this.durable = p.after;
      for (const p of batch) p.done();
      // On the loop, the records the released steps append form the next turn's batch.
      if (journalDisk.now() >= this.offLoopUntil) break;
    }
    if (this.pending.length > 0) this.scheduleFlush();
  }

  /**
   * The snapshot is a cache of the journal (`open` replays what it lacks): rewrite it now and
   * then. Off the event loop and coalesced: at most one write at a time, and the state of
   * all records that arrived meanwhile goes into the next one. No fsync (a cache: readers
   * check it against the journal's head), so a thousand clusters' snapshot never stalls the
   * steps behind a disk flush. Resolves once a write holding this record's state is done.
   */
  private writeSnapshot(force: boolean): Promise<void> | undefined {
    const now = Date.now();
    if (!force && now - this.snapshotWrittenAt < SNAPSHOT_INTERVAL_MS) return undefined;
    this.snapshotWrittenAt = now;
    this.snapshotDirty = true;
    this.snapshotWriting ??= this.writeSnapshots().finally(() => {
      this.snapshotWriting = undefined;
    });
    return this.snapshotWriting;
  }

  /**
   * The snapshot's journaled text. A record replaces one cluster's object and keeps the
   * others, so each cluster's text is kept by object and only changed clusters are
   * serialised again: the rewrite of a 1,000-cluster snapshot costs what changed.
   */
  private snapshotText(snap: Snapshot): string {
    const { clusters, ...rest } = snap;
    const parts = clusters.map((c) => {
      let text = this.clusterTexts.get(c);
      if (text === undefined) {
        text = journalText(c, this.root);
        this.clusterTexts.set(c, text);
      }
      return text;
    });
    // Marked as written from records on disk: an older writer's unmarked one may show a record it lost in a crash (lost-records.ts).
    return `${journalText({ ...rest, ...SNAPSHOT_MARK }, this.root).slice(0, -1)},"clusters":[${parts.join(',')}]}`;
  }

  /** The snapshot cache could not be written: warn once (later failures are the same story), carry on. */
  private snapshotFailed(error: unknown): void {
    if (this.snapshotWarned) return;
    this.snapshotWarned = true;
    const message = `${error instanceof Error ? error.message : String(error)}; carrying on: snapshot.json is only a cache, the journal holds every record and readers rebuild from it`;
    this.onWarning?.({ level: 'warn', code: 'snapshot.unwritten', message });
  }

  private async writeSnapshots(): Promise<void> {
    const path = join(this.dir, SNAPSHOT);
    while (this.snapshotDirty) {
      this.snapshotDirty = false;
      if (!this.durable) return;
      const text = `${this.snapshotText(this.durable)}\n`;
      try {
        await replaceFileUnsynced(path, text);
      } catch (error) {
        throw ioError('write', path, error);
      }
    }
  }
}

/**
 * A listing entry for a journal damaged mid-file (or, with `lost`, one that lost records), so one bad line hides nothing else in the dir.
 * What the intact records before it say (project, environment, cluster id) is kept: it is what
 * `deploy` and `plan` need to stay clear of the deployment's clusters. Nothing after it is read.
 */
function damagedSummary(id: string, path: string, damage: JournalDamageAt, lost?: JournalDamage): DeploymentSummary {
  let intact: Snapshot | undefined;
  try {
    intact = replay(damage.records);
  } catch {
    intact = undefined; // the intact part does not replay either: nothing of it is known
  }
  const found: JournalDamage = { ...(lost ?? damageOf(path, damage)), ...(intact ? { clusterId: intact.clusterId } : {}) };
  return {
    id,
    state: 'damaged',
    createdAt: intact?.createdAt ?? '',
    updatedAt: intact?.updatedAt ?? '',
    project: intact?.inputs.project ?? '',
    environment: intact?.inputs.environment ?? '',
    damaged: found,
  };
}

export class FileStateStore implements StateStore {
  constructor(
    readonly root: string,
    /** Where to report what the store repaired (a torn journal line). */
    private readonly sink?: EventSink,
  ) {}

  private readonly warn = (event: EventInput): void => this.sink?.emit(event);

  /** The state dir passed the write probe: a run checks it once (lock, then create), not before each. */
  private writable = false;

  /**
   * Fails early, before any external change, when the state dir cannot be written: create, write,
   * truncate, rename and list, as the journal and its caches will. Without fsync: the probe asks
   * whether we may, not whether it lasts (each journal write is durable on its own), and a flush
   * here would sit in front of every deployment's first step.
   */
  private ensureWritable(): void {
    if (this.writable) return;
    // Before any mkdir: some paths (/proc/…) send Node's recursive mkdir into an endless loop.
    assertUsableStateDir(this.root);
    const probe = join(this.root, `.write-probe-${process.pid}`);
    const renamed = `${probe}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      mkdirSync(this.root, { recursive: true, mode: 0o700 });
      appendFileSync(renamed, 'x', { mode: 0o600 });
      truncateSync(renamed);
      renameSync(renamed, probe);
      readdirSync(this.root);
      this.writable = true;
    } catch (error) {
      if (error instanceof WsdError) throw error;
      throw ioError('write to', this.root, error);
    } finally {
      // A probe, not state: leave nothing behind, also when a full disk refused its content.
      // (Where it could not be created it cannot be removed either: nothing to do.)
      for (const path of [renamed, probe]) {
        try {
          unlinkSync(path);
        } catch {
          // absent
        }
      }
    }
  }

  async lock(key: { project: string; environment: string }, who: Omit<LockHolder, 'since' | 'pid' | 'host'>): Promise<LockHandle> {
    this.ensureWritable();
    // Before the lock and any record: a damaged or foreign-owned store folder is refused with nothing journaled.
    assertStoreFoldersWritable(this.root);
    return acquireFileLock(join(this.root, 'locks'), key, who);
  }

  async allocationLock(who: Omit<LockHolder, 'since' | 'pid' | 'host'>, options: { signal?: AbortSignal } = {}): Promise<LockHandle> {
    this.ensureWritable();
    return acquireAllocationLock(join(this.root, 'locks'), who, options);
  }

  async lockHolder(key: { project: string; environment: string }): Promise<LockHolder | undefined> {
    return readLiveHolder(join(this.root, 'locks'), key);
  }

  async lockNote(key: { project: string; environment: string }): Promise<string | undefined> {
    return copiedLockNote(join(this.root, 'locks'), key);
  }

  async copiedLockRefusal(key: { project: string; environment: string }): Promise<WsdError | undefined> {
    return copiedLockRefusal(join(this.root, 'locks'), key);
  }

  async create(id: string): Promise<DeploymentJournal> {
    if (!DEPLOYMENT_ID_PATTERN.test(id)) throw new WsdError('UsageError', `invalid deployment id "${id}"`);
    this.ensureWritable();
    const dir = join(this.root, id);
    if (existsSync(join(dir, JOURNAL))) throw new WsdError('Internal', `deployment ${id} already exists`, { source: 'internal' });
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw ioError('create', dir, error);
    }
    return new FileJournal(id, this.root, [], this.warn);
  }

  async readRecords(id: string, afterSeq = 0): Promise<JournalRecord[]> {
    const journal = await this.open(id, { readOnly: true });
    // Paths as open() has them (state-paths.ts): resolved against this state dir, also when it was copied or moved
    // since, or an older journal holds absolute ones; the original root is found in all the records, as open() does.
    const stored = readJournal(join(journal.dir, JOURNAL));
    const legacy = originalRoot(stored, id);
    return stored.filter((r) => r.seq > afterSeq).map((r) => fromJournalPaths(r, this.root, legacy));
  }

  async open(id: string, options: { readOnly?: boolean } = {}): Promise<DeploymentJournal> {
    assertDeploymentId(id);
    const dir = join(this.root, id);
    const path = join(dir, JOURNAL);
    const lost = existsSync(dir) || isSymlink(dir) ? lostJournal(this.root, id) : undefined;
    if (lost) throw journalDamagedError(id, lost.file, lost.line, lost.fix, lost.problem);
    if (!existsSync(path)) {
      throw new WsdError('DeploymentNotFound', `deployment ${id} not found in ${this.root}; list deployments with \`ws-deployment status --all\` or pass --state-dir`);
    }
    // The snapshot before the journal: read in this order, it shows more than the journal only when records were lost.
    const cached = readSnapshotCache(join(dir, SNAPSHOT));
    let torn: string | undefined;
    const records = readJournal(path, (line) => (torn = line));
    const missing = lostRecords(path, records, cached);
    if (missing) throw journalDamagedError(id, missing.file, missing.line, missing.fix, missing.problem);
    // A writer (deploy, resume, retire) refuses a damaged or foreign-owned deployment folder before its first change
    // (the torn-line repair included): found mid-run, it would fail a step after its start was journaled.
    if (!options.readOnly) assertDeploymentWritable(dir, replay(records)?.clusters.map((c) => c.name) ?? []);
    if (torn !== undefined && !options.readOnly) {
      // Drop the torn tail on disk as well, so the next append starts on a fresh line.
      const text = readFileSync(path, 'utf8');
      const keep = text.slice(0, text.lastIndexOf(torn));
      try {
        writeFileAtomic(path, keep);
      } catch (error) {
        // A read-only or full state dir: say so (the journal on disk is as it was; readers skip the torn line).
        throw ioError('repair the torn last line of', path, error);
      }
    }
    if (torn === undefined && !options.readOnly && !endsWithNewline(path)) {
      // A whole last record without its newline (cut just before it, or saved by an editor that
      // drops it): the next append would join it on one line, damaging the journal mid-file.
      try {
        appendDurably(path, '\n');
      } catch (error) {
        throw ioError('end the last line of', path, error);
      }
    }
    const journal = new FileJournal(id, this.root, records, this.warn);
    if (torn !== undefined && !options.readOnly) {
      const message = `deployment ${id}: dropped a journal line cut by a crash (${torn.length} bytes); the step it recorded is re-checked`;
      await journal.append({ type: 'event', level: 'warn', code: 'journal.recovered', message });
      this.sink?.emit({ level: 'warn', code: 'journal.recovered', message });
    }
    const snap = journal.snapshot();
    if (snap.schemaVersion > SNAPSHOT_SCHEMA_VERSION) {
      throw new WsdError('StateCorrupt', `deployment ${id} was written by a newer ws-deployment (schema ${snap.schemaVersion}); upgrade ws-deployment`);
    }
    return journal;
  }

  async list(): Promise<DeploymentSummary[]> {
    if (!existsSync(this.root)) return [];
    const out: DeploymentSummary[] = [];
    let entries;
    try {
      entries = readdirSync(this.root, { withFileTypes: true });
    } catch (error) {
      // `--state-dir` naming a file is the likely mistake: say so rather than "check the state dir".
      if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') {
        throw new WsdError('StateIo', `cannot list ${this.root} (ENOTDIR): it is a file, not a folder; pass --state-dir DIR with a folder`, { cause: error });
      }
      throw ioError('list', this.root, error);
    }
    for (const entry of entries) {
      // A deployment's folder whose journal cannot be read at all is listed as damaged: one hides nothing else in the dir.
      const lost = lostJournal(this.root, entry.name);
      if (lost) {
        out.push({ id: entry.name, state: 'damaged', createdAt: '', updatedAt: '', project: '', environment: '', damaged: lost });
        continue;
      }
      if (!entry.isDirectory() || !DEPLOYMENT_ID_PATTERN.test(entry.name)) continue;
      // The journal is the truth: a folder without one holds no deployment, a snapshot without one proves nothing.
      const journalPath = join(this.root, entry.name, JOURNAL);
      if (!existsSync(journalPath)) continue;
      const read = readSnapshotCache(join(this.root, entry.name, SNAPSHOT)); // before the journal: see lost-records.ts
      let text: string;
      try {
        text = readFileSync(journalPath, 'utf8');
      } catch (error) {
        throw ioError('read', journalPath, error);
      }
      // Damage first: a snapshot written before the journal was damaged still looks current, and
      // listing from it would show a state that `status ID`, `resume` and `deploy` then refuse to read.
      const { records, damagedLine, problem } = scanJournal(text, entry.name);
      if (damagedLine !== undefined) {
        out.push(damagedSummary(entry.name, journalPath, { line: damagedLine, records, ...(problem ? { problem } : {}) }));
        continue;
      }
      const missing = lostRecords(journalPath, records, read);
      if (missing) {
        out.push(damagedSummary(entry.name, journalPath, { line: missing.line, records }, missing));
        continue;
      }
      const cached = cachedSnapshot(read, entry.name, journalHead(text));
      if (cached) {
        out.push(summaryOf(cached));
        continue;
      }
      // A stale or foreign snapshot is rebuilt from the journal rather than hiding the deployment.
      const snap = replay(records);
      if (snap) out.push(summaryOf(snap));
    }
    return out.sort((a, b) => createdKey(b).localeCompare(createdKey(a)));
  }

  async sendControl(id: string, command: ControlCommand, by?: string): Promise<void> {
    // Read-only: the deployment's own process may be appending right now, and an open that repairs
    // a last line it reads half-written would replace the journal under it (and append with its seqs).
    const journal = await this.open(id, { readOnly: true });
    const dir = join(journal.dir, 'control');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = controlFile(id, command, by);
    writeFileAtomic(join(dir, file.name), file.text);
  }

  async takeControl(id: string): Promise<PendingControl | undefined> {
    const dir = controlDir(this.root, id);
    if (!dir) return undefined;
    for (const [name, read] of this.readControls(dir, id)) {
      try {
        unlinkSync(join(dir, name));
        return read;
      } catch {
        // Taken by a concurrent reader: the next one.
      }
    }
    return undefined;
  }

  async pendingControl(id: string): Promise<PendingControl[]> {
    const dir = DEPLOYMENT_ID_PATTERN.test(id) ? controlDir(this.root, id) : undefined;
    if (!dir) return [];
    return this.readControls(dir, id).map(([, read]) => read);
  }

  /** Command files of folder `dir` that deployment `id` may take, oldest first; others are warned about once (control-files.ts). */
  private readControls(dir: string, id: string): Array<[string, PendingControl]> {
    let started: { at: string | undefined } | undefined;
    const startedAt = (): string | undefined => (started ??= { at: this.startedAt(id) }).at;
    const out: Array<[string, PendingControl]> = [];
    for (const name of listControl(dir)) {
      const text = readControlText(join(dir, name));
      if (text === undefined) continue; // taken meanwhile
      let read;
      try {
        read = readControl(dir, name, text, id, startedAt);
      } catch {
        continue; // not a command file (half-written by hand, not JSON): skipped, as always
      }
      if ('pending' in read) out.push([name, read.pending]);
      else if (!this.foreignWarned.has(join(dir, name))) {
        this.foreignWarned.add(join(dir, name));
        this.sink?.emit({ level: 'warn', code: 'control.foreign', message: read.foreign });
      }
    }
    return out;
  }

  /** Command files named in a warning already: a running deployment polls every second, the operator is told once. */
  private readonly foreignWarned = new Set<string>();

  /** When deployment `id` began, from its journal's first record; undefined when it cannot be read. */
  private startedAt(id: string): string | undefined {
    try {
      const first = readFileSync(join(this.root, id, JOURNAL), 'utf8').split('\n', 1)[0] ?? '';
      const time = (JSON.parse(first) as { time?: unknown }).time;
      return typeof time === 'string' ? time : undefined;
    } catch {
      return undefined;
    }
  }

  async close(): Promise<void> {}
}

/**
 * When a listed deployment began, for the newest-first order: its start time, or, where damage hides it (a journal
 * lost, or damaged at its first line), the time in its generated id. Sorted last, a damaged newest deployment let
 * `status` show the one before it, long retired, as the current one, saying nothing of the damage.
 */
function createdKey(d: DeploymentSummary): string {
  if (d.createdAt || !GENERATED_ID_PATTERN.test(d.id)) return d.createdAt;
  const [day, time] = d.id.split('-') as [string, string];
  return `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}T${time.slice(0, 2)}:${time.slice(2, 4)}:${time.slice(4, 6)}.000Z`;
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
