/**
 * The ports the shift controller works through. The lead wires the real
 * registry client (one per meta cluster), the journal and the control channel;
 * tests use behavioural fakes. Every call takes the run's AbortSignal.
 */
import type { MeasurementRecord } from './judges/measure.js';
import type { AnalysisCounters } from './judges/step-verdict.js';
import type { ClusterState } from './scores.js';

/** What the controller needs from a registry's ClusterStatus. */
export interface RegistryCluster {
  name: string;
  state: ClusterState;
  /** The number of a state our proto does not name (then `state` is UNKNOWN); see `unknown-state.ts`. */
  unknownState?: number;
  score: number;
  maxScore: number;
  /** Static clusters come from the bridge config and cannot be changed. */
  static: boolean;
  /** Canonical constraint strings, e.g. `has-permission=new-workspace-cluster`, `has-feature-preview`. */
  admissionConstraints: string[];
}

/** Exactly one property per Update, as the bridge's UpdateRequest. */
export type RegistryChange =
  | { score: number }
  | { maxScore: number }
  | { cordoned: boolean }
  | { admissionConstraint: { add: boolean; constraint: string } };

export interface RegistryPort {
  list(meta: string, signal?: AbortSignal): Promise<RegistryCluster[]>;
  update(meta: string, name: string, change: RegistryChange, signal?: AbortSignal): Promise<void>;
}

/** Time source; tests run it on vitest fake timers. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, rejects with an AbortError when `signal` fires. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** A cluster taking part in the shift. `name` is the registry (short) name. */
export interface ShiftCluster {
  name: string;
  /** Full GKE name, for `{{cluster}}` in queries. */
  cluster: string;
  region: string;
}

/** Per meta cluster, per cluster name: what it was before we changed anything. */
export type OriginalSnapshot = Record<string, Record<string, RegistryCluster>>;

type ShiftPhase = 'start' | 'staff' | 'steps' | 'bake' | 'watch' | 'done' | 'rolled-back' | 'failed';

/** Where the shift stands; journaled on every change so a crash resumes at the same point. */
export interface ShiftProgress {
  phase: ShiftPhase;
  stepIndex: number;
  /** Epoch ms when the current phase/step began: elapsed time survives a restart. */
  phaseStartedAtMs: number;
  /**
   * Measurement slots of the current step used up (the next measurement is due at start + (n+1)·interval).
   * One measurement per slot; slots missed while the tool was not running are skipped, not replayed.
   */
  measurementsInStep: number;
  counters: AnalysisCounters;
  paused: boolean;
  /**
   * Set before the first registry change of a rollback (a failed gate or an operator's abort) or of an operator's
   * promote: a run stopped half-way (SIGKILL, a bridge error) finishes that on resume instead of shifting on
   * from the journaled step, whose scores it would set again, and the operator's command is not lost.
   */
  rollingBack?: {
    reason: string;
    brief?: string;
    /** `error`: not a gate or an operator but a failure of the shift itself (a registry that stayed down, a bug). */
    cause?: 'error';
    /**
     * Meta clusters the rollback could not finish on (their bridge did not answer): the error and the last scores
     * known there, per cluster. `resume` finishes the rollback; this says where it stands until then.
     */
    incomplete?: IncompleteRollback[];
  };
  promoting?: boolean;
  /** The manual gate it waits at while paused there (what `shift` tells an operator a command will do). */
  gate?: 'beforeStart' | 'beforeIncrease' | 'beforePromotion';
  /** Why the shift was rolled back, when it was. */
  reason?: string;
  /** Where it stood when it rolled back (`the staff stage`, `step 2/3 (50 %)`, `the bake at 100 %`). */
  rolledBackFrom?: string;
  /** When the first traffic moved: at 100 % and in the bake the baseline is read from before this (baseline offset). */
  shiftStartedAtMs?: number;
  /** Full names of new clusters that returned series: their silence later means "stopped reporting". */
  reported?: string[];
  /**
   * Per metric: new clusters that had reported but returned no series at that metric's last measurement.
   * A second empty measurement in a row (also across a restart) is "stopped reporting"; the first waits.
   */
  gaps?: Record<string, string[]>;
  /** Proportion metrics: failures and starts accumulated in the current stage, per metric and cluster. */
  accumulated?: Record<string, Record<string, { failures: number; samples: number }>>;
  /**
   * Proportion metrics adding up windows: epoch ms where each one's next window starts: where its last counted window
   * of this stage ended, or, while none was counted (the first errored or was partial), where the first one started.
   */
  windowEnds?: Record<string, number>;
  /** Set while paused by an inconclusive result: resuming (also in a later run) resets the inconclusive counters. */
  pausedBy?: 'inconclusive';
  /**
   * A manual gate approved here and not acted on yet: journaled in the same write that ends the hold, so a run
   * stopped before the step it lets through (SIGKILL) takes that step on resume instead of asking again.
   * Cleared by the change it lets through.
   */
  approved?: GateApproval;
  /** Every manual gate approved so far, oldest first: `status` and the report say who approved and when. */
  approvals?: GateApproval[];
  /**
   * An operator's `shift abort` that ended the shift: who sent it and when. It ends a first generation's watch (phase
   * `failed`): every reader then says an operator aborted it, not that its gates failed (and, as for a failed watch,
   * that its clusters still take every new start: there was nothing to roll back to). Any other shift it rolls back
   * (journaled with `rollingBack`, kept in `rolled-back`): every reader says who aborted it and when.
   */
  aborted?: OperatorAbort;
}

/** An operator's `shift abort`: where the shift stood, who sent it and when (as {@link GateApproval}). */
export interface OperatorAbort {
  where: string;
  by?: string;
  sentAt?: string;
  /** When the run took it. */
  at: string;
}

/** An operator's abort in words, as the reason of the rollback it decided: `aborted by alice@host (shift abort) at <time>`. */
export function abortWords(abort: Pick<OperatorAbort, 'by' | 'at'>): string {
  return `aborted by ${abort.by ?? 'an operator'} at ${abort.at}`;
}

/** An operator's approval of a manual gate: which, where the shift stood, who sent it and when. */
export interface GateApproval {
  gate: 'beforeStart' | 'beforeIncrease' | 'beforePromotion';
  /** Where the shift stood, in words (`step 1/3 (10 %)`). */
  where: string;
  /** Who sent the answer (`user@host (how)`), when the sender said. */
  by?: string;
  sentAt?: string;
  /** When the run took it. */
  at: string;
}

/** A meta cluster a rollback could not finish on. */
export interface IncompleteRollback {
  meta: string;
  error: string;
  /** The last score known in effect there per cluster (confirmed by the bridge, or as the journaled step set it). */
  scores: Record<string, number>;
}

/** `eu1 80, eu2 20`: the scores of an {@link IncompleteRollback}, in words. */
export function scoresText(scores: Record<string, number>): string {
  const entries = Object.entries(scores);
  return entries.length > 0 ? entries.map(([name, score]) => `${name} ${score}`).join(', ') : 'none known';
}

/** The scores a decision was taken under: per meta cluster, per cluster name. */
export type ScoresInEffect = Record<string, Record<string, number>>;

export interface ShiftJournal {
  /** Called once, before the first registry change. */
  saveOriginalScores(snapshot: OriginalSnapshot): Promise<void>;
  recordDecision(record: MeasurementRecord & { stepIndex: number; percent: number; scores?: ScoresInEffect }): Promise<void>;
  recordStep(progress: ShiftProgress): Promise<void>;
  load(): Promise<{ original?: OriginalSnapshot; progress?: ShiftProgress }>;
}

export type ControlCommand = 'pause' | 'resume' | 'promote' | 'abort';

/** Commands from a human (CLI in another process, a file, an API); polled by the controller. */
export interface ControlPort {
  /** Returns and consumes the next pending command, if any. */
  next(): Promise<{ command: ControlCommand; sentAt?: string; by?: string } | undefined>;
  /** The commands queued and not taken yet, oldest first, without taking them (absent: none can be queued ahead). */
  pending?(): Promise<ControlCommand[]>;
}
