/**
 * Where deployments are kept. The file store is the default; a PostgreSQL
 * store implements the same contract for ephemeral CI pods.
 */
import type { ControlCommand } from '../steps/step.js';
import type { WsdError } from '../core/errors.js';
import type { JournalInput, JournalRecord, Snapshot } from './model.js';

/** Who holds an environment lock; shown verbatim when a second run is refused. */
export interface LockHolder {
  pid: number;
  host: string;
  deploymentId: string;
  since: string;
  command: string;
  /**
   * File store: the lock folder the lock was taken in. A state dir copied while a run held its lock
   * carries the lock file along; in the copy this names the original, so the lock holds nothing there.
   * Absent in locks written before it was recorded (and in the PostgreSQL store).
   */
  dir?: LockPlace;
  /**
   * True when no one can answer a manual gate in the holder's run (CI, no terminal): a hold there stops the run
   * (exit 3) rather than waiting. Absent where it is not known (older locks, the PostgreSQL store).
   */
  unattended?: boolean;
  /**
   * File store, on Linux: the holder's start (/proc/PID/stat field 22, clock ticks since boot) and the boot it ran
   * in, which tell the very process that took the lock from a later one given its pid, whatever the wall clock does.
   */
  startTicks?: number;
  bootId?: string;
}

/** A folder by real path and identity (a copy, even at the same path after a move, has another inode). */
export interface LockPlace {
  path: string;
  dev: number;
  ino: number;
}

/** A held lock; `release` is idempotent. */
export interface LockHandle {
  holder: LockHolder;
  release(): Promise<void>;
}

/** One deployment's journal: append records, read the current snapshot. */
export interface DeploymentJournal {
  readonly id: string;
  /** Appends durably, updates the snapshot, returns the stored record. */
  append(record: JournalInput): Promise<JournalRecord>;
  snapshot(): Snapshot;
  /** `<state-dir>/<id>`: working files (terraform dirs, kubeconfigs, step logs). */
  readonly dir: string;
}

/** A control command waiting for the deployment's process to take it. */
export interface PendingControl {
  command: ControlCommand;
  sentAt: string;
  /** Who sent it (`user@host (how)`); absent for commands queued before senders were recorded. */
  by?: string;
}

/** A deployment whose journal is damaged mid-file: where, and what to do (see `list`). */
export interface JournalDamage {
  file: string;
  /** 1-based line of the first damaged record; nothing after it is read. */
  line: number;
  fix: string;
  /**
   * Set when the journal cannot be read at all (then `line` is 1): what is wrong, after the path, e.g.
   * `is missing while its folder holds other files`; `file` is then the journal's path or, for a
   * deployment folder that is a symlink or a file, the folder's.
   */
  problem?: string;
  /** The cluster id journaled before the damage; absent when the damage hides it (then project and environment are '' too). */
  clusterId?: number;
}

export interface DeploymentSummary {
  id: string;
  /** `damaged`: the journal cannot be read past a line in the middle (`damaged` says where); open() refuses it. */
  state: Snapshot['state'] | 'damaged';
  createdAt: string;
  updatedAt: string;
  project: string;
  environment: string;
  damaged?: JournalDamage;
}

export interface StateStore {
  /** Takes the (project, environment) lock or throws `LockHeld` naming the holder. */
  lock(key: { project: string; environment: string }, holder: Omit<LockHolder, 'since' | 'pid' | 'host'>): Promise<LockHandle>;
  /**
   * The live holder of the (project, environment) lock, read without taking it, so it
   * works where the lock cannot be written (a read-only state dir); undefined when free.
   * A store without it is asked by trying the lock.
   */
  lockHolder?(key: { project: string; environment: string }): Promise<LockHolder | undefined>;
  /**
   * Why the lock file names a live process that holds nothing here (this state dir is a copy made
   * while that run held the lock in the original), for `status` to say so; undefined otherwise.
   */
  lockNote?(key: { project: string; environment: string }): Promise<string | undefined>;
  /**
   * The `LockHeld` that {@link lock} would throw because the lock was copied along with this state dir while its
   * run still lives in the original (read without taking it, for `plan` to say what `deploy` does); undefined otherwise.
   */
  copiedLockRefusal?(key: { project: string; environment: string }): Promise<WsdError | undefined>;
  /**
   * Serialises cluster id allocation across every environment of this store: held from reading the earlier
   * deployments (allocate-id.ts) until the new one's `deployment.created` is journaled, so two environments
   * deploying at once cannot both take an id. Waits while another run holds it. A store without it allocates unguarded.
   */
  allocationLock?(holder: Omit<LockHolder, 'since' | 'pid' | 'host'>, options?: { signal?: AbortSignal }): Promise<LockHandle>;
  create(id: string): Promise<DeploymentJournal>;
  /**
   * Opens a deployment. `readOnly` (status, listings) never repairs or appends: a last line that
   * looks torn may be a record another process is writing right now.
   */
  open(id: string, options?: { readOnly?: boolean }): Promise<DeploymentJournal>;
  /**
   * The journal records of a deployment after `afterSeq` (default: all), read-only and without
   * the lock: what `report` and `status --watch` render. Their paths are resolved as {@link open} resolves them
   * (state/state-paths.ts): under the state dir in use, never in their journaled `<state-dir>/…` form.
   */
  readRecords(id: string, afterSeq?: number): Promise<JournalRecord[]>;
  /**
   * Newest first. A deployment whose journal is damaged mid-file is listed as `damaged` (with what
   * the intact part before the damage says) rather than failing the listing of every other one.
   */
  list(): Promise<DeploymentSummary[]>;
  /** Queues a control command for a running deployment (another terminal, another machine). */
  sendControl(id: string, command: ControlCommand, by?: string): Promise<void>;
  /** Returns and removes the oldest queued control command (with when and by whom it was sent). */
  takeControl(id: string): Promise<PendingControl | undefined>;
  /** Commands queued and not taken yet, oldest first (`status` shows them; nothing is consumed). */
  pendingControl(id: string): Promise<PendingControl[]>;
  /** Folder for files shared across deployments of this store (sandbox state, caches). */
  readonly root: string;
  close(): Promise<void>;
}
