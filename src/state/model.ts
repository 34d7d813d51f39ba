/**
 * The deployment state model. The journal is a list of records; the snapshot is
 * what {@link applyRecord} makes of them. Keeping the reducer pure lets the file
 * and PostgreSQL stores share it, and lets `resume` rebuild state from the
 * journal when a crash came between a journal append and a snapshot write.
 */
import { WsdError } from '../core/errors.js';
import { extend } from '../core/extend.js';
import { DEPLOYMENT_SCOPE, type StepName, type StepOutputs } from '../steps/step.js';

export const SNAPSHOT_SCHEMA_VERSION = 1;

type StepState = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'interrupted';
/**
 * `partial`: nothing failed, but steps excluded by --only/--skip (or held back behind them) are still pending;
 * `resume ID` runs them. Exit code 0, like `succeeded`.
 */
export type DeploymentState = 'running' | 'succeeded' | 'partial' | 'failed' | 'interrupted';

/**
 * Why a step was left out of a run: the flag, or `held` for a deployment-wide step (the traffic shift, the
 * retirement) that must not run past a required step still pending (see `waitsFor`).
 */
export type ExcludedBy = '--only' | '--skip' | 'held';

export interface StepRecordState {
  name: StepName;
  state: StepState;
  attempts: number;
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
  outputs?: StepOutputs;
  /** Partial progress of an interrupted step (e.g. meta clusters already registered). */
  checkpoint?: StepOutputs;
  evidence?: string;
  /** Left out of the last run (the step stays pending: `resume` without the flag runs it). */
  excluded?: ExcludedBy;
  /** For `excluded: 'held'`: the pending steps it waits for (`cluster/step`). */
  waitsFor?: string[];
  error?: { code: string; message: string };
}

export interface ClusterRecordState {
  index: number;
  name: string;
  shortName: string;
  id: number;
  region: string;
  prefix: string;
  governedBy: string;
  type: 'gke' | 'k3s' | 'sandbox';
  steps: StepRecordState[];
}

interface DeploymentInputs {
  configFile: string;
  configHash: string;
  manifestHash?: string;
  project: string;
  environment: string;
}

export interface Snapshot {
  schemaVersion: number;
  /** Sequence number of the last journal record applied. */
  seq: number;
  id: string;
  state: DeploymentState;
  createdAt: string;
  updatedAt: string;
  inputs: DeploymentInputs;
  clusterId: number;
  clusters: ClusterRecordState[];
  /** Steps that span the deployment (journal key `*`), e.g. the traffic shift. */
  deploymentSteps: StepRecordState[];
  error?: { code: string; message: string };
  /**
   * Each `resume ID --retry-shift` of a shift that had rolled back (journal `shift.retried`), oldest first: the
   * shift's attempt is their count plus one. Absent: the first attempt.
   */
  shiftRetries?: ShiftRetry[];
  /**
   * Never journaled: set by readers (`status`, `report`) when a newer deployment of the environment was
   * promoted after this one began (`supersededBy` in state/resumable.ts): this one is over.
   */
  supersededBy?: string;
}

/** One retry of a rolled-back shift: who asked, when, the attempt it began, and why the one before ended. */
export interface ShiftRetry {
  at: string;
  by: string;
  attempt: number;
  /** How the attempt before ended (its `concluded` reason): `its traffic shift rolled back: …`. */
  after: string;
}

/**
 * The event record a step's run begins with (before the wait for orphans and its pre-run check): the step's
 * `durationMs` counts from its time, and the trace's step span starts there, so the two agree.
 */
export const STEP_BEGIN = 'step.begin';

/** Journal records. `event` records carry output only; the others change state. */
export type JournalRecord = { seq: number; time: string } & (
  | { type: 'deployment.created'; id: string; inputs: DeploymentInputs; clusterId: number; clusters: Omit<ClusterRecordState, 'steps'>[]; steps: StepName[][]; deploymentSteps?: StepName[] }
  | { type: 'step.started'; cluster: string; step: StepName; attempt: number }
  | { type: 'step.checkpoint'; cluster: string; step: StepName; outputs: StepOutputs }
  | { type: 'step.succeeded'; cluster: string; step: StepName; outputs: StepOutputs; durationMs: number }
  | { type: 'step.skipped'; cluster: string; step: StepName; evidence: string; outputs?: StepOutputs }
  | { type: 'step.failed'; cluster: string; step: StepName; error: { code: string; message: string }; durationMs?: number }
  | { type: 'step.interrupted'; cluster: string; step: StepName }
  | { type: 'step.excluded'; cluster: string; step: StepName; by: ExcludedBy; waitsFor?: string[] }
  | { type: 'deployment.resumed'; pid: number }
  /**
   * `resume ID --retry-shift`, journaled before anything changes: the deployment-wide step `step` (the traffic shift)
   * starts over, pending with no checkpoint (fresh gates, clusters resolved again); `attempt` counts from 1.
   */
  | { type: 'shift.retried'; step: StepName; attempt: number; by: string; after: string }
  | { type: 'deployment.finished'; state: DeploymentState; error?: { code: string; message: string }; excluded?: number }
  | { type: 'event'; level: string; code: string; cluster?: string; step?: string; message: string; data?: Record<string, unknown> }
);

/** A record before the store assigns `seq`/`time`. */
export type JournalInput = JournalRecord extends infer R ? (R extends JournalRecord ? Omit<R, 'seq' | 'time'> : never) : never;

/** Applies one record to a snapshot (pure; returns a new snapshot). */
export function applyRecord(snapshot: Snapshot | undefined, record: JournalRecord): Snapshot {
  if (record.type === 'deployment.created') {
    // A second one would silently reset every step to pending (a line copied by hand, two journals
    // joined): resume would then re-check clusters this deployment made as if someone else's.
    if (snapshot) throw damaged(`journal record ${record.seq} is a second deployment.created (the first is before record ${snapshot.seq})`);
    return {
      schemaVersion: SNAPSHOT_SCHEMA_VERSION,
      seq: record.seq,
      id: record.id,
      state: 'running',
      createdAt: record.time,
      updatedAt: record.time,
      inputs: record.inputs,
      clusterId: record.clusterId,
      clusters: record.clusters.map((c, i) => extend(c, { steps: (record.steps[i] ?? []).map((name) => ({ name, state: 'pending' as const, attempts: 0 })) })),
      deploymentSteps: (record.deploymentSteps ?? []).map((name) => ({ name, state: 'pending' as const, attempts: 0 })),
    };
  }
  if (!snapshot) throw damaged(`journal record ${record.seq} (${record.type}) comes before deployment.created`);
  const next: Snapshot = extend(snapshot, { seq: record.seq, updatedAt: record.time });
  const step = (cluster: string, name: StepName, change: (s: StepRecordState) => StepRecordState): void => {
    if (cluster === DEPLOYMENT_SCOPE) {
      next.deploymentSteps = (next.deploymentSteps ?? []).map((s) => (s.name === name ? change(s) : s));
      return;
    }
    // One cluster changes: copy the array of references and replace that one entry, found by
    // name in O(1), so a record costs the same at 1,000 clusters as at one.
    const at = clusterIndex(next.clusters, cluster);
    if (at === undefined) return;
    const clusters = next.clusters.slice();
    const c = clusters[at] as ClusterRecordState;
    clusters[at] = extend(c, { steps: c.steps.map((s) => (s.name === name ? change(s) : s)) });
    indexes.set(clusters, indexes.get(next.clusters) as Map<string, number>);
    next.clusters = clusters;
  };
  switch (record.type) {
    case 'step.started':
      // An earlier run's duration is not this run's: an interrupted run would otherwise show it as its own.
      step(record.cluster, record.step, (s) => extend(s, { state: 'running' as const, attempts: record.attempt, startedAt: s.startedAt ?? record.time, durationMs: undefined, error: undefined, excluded: undefined, waitsFor: undefined }));
      break;
    case 'step.checkpoint':
      step(record.cluster, record.step, (s) => ({ ...s, checkpoint: { ...s.checkpoint, ...record.outputs } }));
      break;
    case 'step.succeeded':
      step(record.cluster, record.step, (s) => extend(s, { state: 'succeeded' as const, outputs: record.outputs, endedAt: record.time, durationMs: record.durationMs }));
      break;
    case 'step.skipped':
      step(record.cluster, record.step, (s) => extend(s, { state: 'skipped' as const, evidence: record.evidence, outputs: record.outputs ?? s.outputs, endedAt: record.time }));
      break;
    case 'step.failed':
      step(record.cluster, record.step, (s) => extend(s, { state: 'failed' as const, error: record.error, endedAt: record.time, durationMs: record.durationMs }));
      break;
    case 'step.excluded':
      step(record.cluster, record.step, (s) => extend(s, { excluded: record.by, waitsFor: record.waitsFor }));
      break;
    case 'step.interrupted':
      step(record.cluster, record.step, (s) => extend(s, { state: 'interrupted' as const, endedAt: record.time }));
      break;
    case 'deployment.resumed':
      next.state = 'running';
      next.error = undefined;
      break;
    case 'shift.retried':
      // A fresh start: no progress, saved scores, decisions or conclusion of the attempt before survive in the step
      // (the journal keeps them for the report); the attempt count lives on the deployment.
      step(DEPLOYMENT_SCOPE, record.step, (s) => ({ name: s.name, state: 'pending' as const, attempts: 0 }));
      next.shiftRetries = [...(snapshot.shiftRetries ?? []), { at: record.time, by: record.by, attempt: record.attempt, after: record.after }];
      break;
    case 'deployment.finished':
      next.state = record.state;
      next.error = record.error;
      break;
    case 'event':
      break;
    default:
      // A record a newer ws-deployment wrote (the PostgreSQL store's; the file store refuses it on reading): acting
      // without it could redo or undo what it records.
      throw new WsdError('StateCorrupt', `journal record ${(record as JournalRecord).seq} has type "${(record as { type: string }).type}", which this ws-deployment does not know: a newer ws-deployment wrote it; upgrade ws-deployment to the version that wrote it`);
  }
  return next;
}

/** A journal that cannot be replayed: the operator's to repair (StateCorrupt), not a bug to report. */
function damaged(what: string): WsdError {
  return new WsdError('StateCorrupt', `${what}; the journal was edited or damaged: restore it from a backup of the state dir`);
}

/**
 * Cluster name → position, per clusters array. A record changes one cluster, and the
 * engine looks clusters up by name several times per step: scanning 1,000 of them each
 * time made the run quadratic. Each new array inherits its predecessor's index (names
 * and order never change after `deployment.created`); an entry is checked before it is
 * trusted, so an array changed by hand is simply indexed again.
 */
const indexes = new WeakMap<readonly ClusterRecordState[], Map<string, number>>();

function clusterIndex(clusters: readonly ClusterRecordState[], name: string): number | undefined {
  const at = indexes.get(clusters)?.get(name);
  if (at !== undefined && clusters[at]?.name === name) return at;
  // Not indexed yet, changed by hand, or a name it does not hold (rare): index it again.
  const index = new Map<string, number>();
  // The first of equal names wins, as `find` did.
  for (let i = clusters.length - 1; i >= 0; i--) index.set((clusters[i] as ClusterRecordState).name, i);
  indexes.set(clusters, index);
  return index.get(name);
}

/** The recorded state of one cluster, by name. */
export function findCluster(snapshot: Snapshot, name: string): ClusterRecordState | undefined {
  const at = clusterIndex(snapshot.clusters, name);
  return at === undefined ? undefined : snapshot.clusters[at];
}

/** The recorded state of one step (`cluster` = DEPLOYMENT_SCOPE for deployment-wide steps). */
export function findStep(snapshot: Snapshot, cluster: string, name: StepName): StepRecordState | undefined {
  const steps = cluster === DEPLOYMENT_SCOPE ? snapshot.deploymentSteps : findCluster(snapshot, cluster)?.steps;
  return steps?.find((s) => s.name === name);
}

/** The traffic shift's attempt: 1, then one more for each `resume ID --retry-shift`. */
export function shiftAttempt(snapshot: Pick<Snapshot, 'shiftRetries'>): number {
  return snapshot.shiftRetries?.at(-1)?.attempt ?? 1;
}

/** Step states that mean "done, never run again". */
export function isDone(state: StepState): boolean {
  return state === 'succeeded' || state === 'skipped';
}

/** Steps a run left out (excluded or held back) that are still pending, as `cluster/step` (`*` for deployment-wide). */
export function excludedPending(snapshot: Snapshot): string[] {
  return [
    ...snapshot.clusters.flatMap((c) => c.steps.filter((s) => s.state === 'pending' && s.excluded).map((s) => `${c.name}/${s.name}`)),
    ...snapshot.deploymentSteps.filter((s) => s.state === 'pending' && s.excluded).map((s) => `${DEPLOYMENT_SCOPE}/${s.name}`),
  ];
}

/** What a partial deployment's reader is told: how many steps are left, and the command that runs them. */
export function partialNote(snapshot: Pick<Snapshot, 'id'>, count: number): string {
  return `${count} step${count === 1 ? '' : 's'} not run yet (left out by --only/--skip, or held back behind one left out); run them with \`ws-deployment resume ${snapshot.id}\``;
}

/** Why a held-back step did not run, in words: `waits for excluded a/x, b/x and 2 more`. */
export function heldBackWords(waitsFor: readonly string[]): string {
  const shown = waitsFor.length > 3 ? `${waitsFor.slice(0, 3).join(', ')} and ${waitsFor.length - 3} more` : waitsFor.join(', ');
  return `waits for excluded ${shown}`;
}
