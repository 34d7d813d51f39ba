/**
 * What a deployment looks like to a human (`deploy` summary, `status`) and to a
 * machine (`status --output json`).
 */
import { retirementProgress, type RetirementProgress } from './retirement-progress.js';
import { heldGateLine } from './shift-gates.js';
import type { GateApproval, OperatorAbort } from '../traffic/shift-ports.js';
import { excludedPending, heldBackWords, partialNote, shiftAttempt, type ShiftRetry, type Snapshot, type StepRecordState } from '../state/model.js';
import { concludedBy, createdClusters } from '../state/resumable.js';
import { deploymentOutcome, type Outcome } from './outcome.js';
import { overlappingSteps, stepWindow } from './step-window.js';
import { decisionEvidenceLines, type DecisionForWords } from './decision-words.js';
import { renderTable } from './table.js';
import { scoresText } from '../traffic/shift-ports.js';

interface StatusDocument {
  id: string;
  state: Snapshot['state'];
  /** How it ended (or stands), as the summary's head line says it: see report/outcome.ts. */
  outcome: Outcome;
  /** For a failed deployment: what to do next (`fix the cause, then \`ws-deployment resume ID\``, or what is true instead). */
  next?: string;
  /** For `partial`: how many steps were left out and are still pending, and the command that runs them. */
  excluded?: { count: number; command: string };
  clusterId: number;
  createdAt: string;
  updatedAt: string;
  error?: { code: string; message: string };
  /** A newer deployment of the environment was promoted after this one began: nothing resumes this one. */
  supersededBy?: string;
  /** With `supersededBy`: the superseded line the text and the report print (the `retire` command), and the clusters it created. */
  superseded?: { message: string; created: string[] };
  /** Where the traffic shift stands and the decisions behind it (from its journaled checkpoint). */
  shift?: ShiftStatus;
  /** A retirement that stopped part-way: each old cluster deregistered/destroyed or still registered/existing (report/retirement-progress.ts). */
  retirement?: RetirementProgress;
  /** Deployment-wide steps (the traffic shift). */
  steps: Array<{ name: string; state: StepRecordState['state']; attempts: number; durationMs?: number; evidence?: string; notRun?: string; error?: { code: string; message: string } }>;
  clusters: Array<{
    name: string;
    shortName: string;
    region: string;
    steps: Array<{
      name: string;
      state: StepRecordState['state'];
      attempts: number;
      durationMs?: number;
      startedAt?: string;
      endedAt?: string;
      /** Steps of this cluster whose run overlapped this one (the releases install together). */
      overlapping?: string[];
      evidence?: string;
      excluded?: string;
      /** For `excluded: 'held'`: the pending steps it waits for. */
      waitsFor?: string[];
      /** A pending step of a deployment that is over: why it will never run. */
      notRun?: string;
      error?: { code: string; message: string };
      releases?: unknown;
    }>;
  }>;
}

export function statusDocument(snap: Snapshot): StatusDocument {
  const over = overBecause(snap);
  const { outcome, next } = deploymentOutcome(snap);
  return {
    id: snap.id,
    state: snap.state,
    outcome,
    ...(next ? { next } : {}),
    ...excludedPart(snap),
    clusterId: snap.clusterId,
    createdAt: snap.createdAt,
    updatedAt: snap.updatedAt,
    ...(snap.error ? { error: errorDocument(snap, snap.error) } : {}),
    ...supersededPart(snap),
    ...shiftPart(snap),
    ...(retirementProgress(snap) ? { retirement: retirementProgress(snap) } : {}),
    steps: (snap.deploymentSteps ?? []).map((s) => stepEntry(s, over)),
    clusters: snap.clusters.map((c) => ({
      name: c.name,
      shortName: c.shortName,
      region: c.region,
      steps: c.steps.map((s) => {
        const overlapping = overlappingSteps(s, c.steps, snap.updatedAt);
        return { ...stepEntry(s, over), ...(s.startedAt ? { startedAt: s.startedAt } : {}), ...(s.endedAt ? { endedAt: s.endedAt } : {}), ...(overlapping.length ? { overlapping } : {}) };
      }),
    })),
  };
}

/**
 * The error as journaled, except an interruption a newer deployment superseded: the text and the report leave its line
 * out (see {@link errorLine}), and its message (the engine's, or liveness's for a killed run) says to `resume`, which a
 * script must not be told either. Said from the state instead, never by editing our own words.
 */
function errorDocument(snap: Snapshot, error: { code: string; message: string }): { code: string; message: string } {
  if (errorLine(snap) !== undefined || !snap.supersededBy) return error;
  return { ...error, message: `deployment ${snap.id} was interrupted; superseded by ${snap.supersededBy}, so nothing resumes it` };
}

function supersededPart(snap: Snapshot): Pick<StatusDocument, 'supersededBy' | 'superseded'> {
  const message = supersededLine(snap);
  if (!snap.supersededBy || !message) return {};
  return { supersededBy: snap.supersededBy, superseded: { message, created: createdClusters(snap) } };
}

/**
 * The steps left out (pending and excluded), once the deployment no longer runs and is not over. Not for one that
 * succeeded (a journal written before `partial` existed): `resume` refuses it, so its command would be a lie.
 */
function excludedPart(snap: Snapshot): { excluded?: StatusDocument['excluded'] } {
  if (snap.state === 'running' || snap.state === 'succeeded' || overBecause(snap)) return {};
  const count = excludedPending(snap).length;
  return count > 0 ? { excluded: { count, command: `ws-deployment resume ${snap.id}` } } : {};
}

function stepEntry(s: StepRecordState, over: string | undefined): StatusDocument['clusters'][number]['steps'][number] {
  return {
    name: s.name,
    state: s.state,
    attempts: s.attempts,
    ...(s.durationMs !== undefined ? { durationMs: s.durationMs } : {}),
    ...(s.evidence ? { evidence: s.evidence } : {}),
    ...(s.state === 'pending' && s.excluded ? { excluded: s.excluded, ...(s.waitsFor ? { waitsFor: s.waitsFor } : {}) } : {}),
    ...(s.state === 'pending' && !s.excluded && over ? { notRun: over } : {}),
    ...(s.error ? { error: s.error } : {}),
    ...(s.outputs?.releases ? { releases: s.outputs.releases } : {}),
  };
}

/**
 * One decision with its evidence: per metric and new cluster the query as sent, the value, the samples, the
 * baseline's value and samples, the threshold or test statistics, the rule and the outcome; the scores set.
 */
type ShiftDecision = DecisionForWords & { stepIndex?: number; message: string };

interface ShiftStatus {
  phase?: string;
  stepIndex?: number;
  paused?: boolean;
  reason?: string;
  rolledBackFrom?: string;
  /** A rollback or an operator's promote that started and has not finished (the run stopped half-way). */
  unfinished?: 'rollback' | 'promote';
  /** Meta clusters an unfinished rollback could not reach yet: the error and the last scores known there. */
  rollbackIncomplete?: Array<{ meta: string; error: string; scores: Record<string, number> }>;
  decisions: ShiftDecision[];
  /** The measurement that made the shift roll back (or a first generation fail), with its evidence. */
  lastFailing?: ShiftDecision;
  /** The manual gates approved so far, oldest first: which, where, who sent the answer and when the run took it. */
  approvals?: GateApproval[];
  /** The operator's `shift abort` that ended a first generation's watch or rolled the shift back (who, when). */
  aborted?: OperatorAbort;
  /** A retried shift (`resume ID --retry-shift`): which attempt this is (2, 3, …); absent for the first. */
  attempt?: number;
  /** Each retry, oldest first: who, when, the attempt it began and how the one before ended. */
  retries?: ShiftRetry[];
}

const SHOWN_DECISIONS = 5;

function shiftPart(snap: Snapshot): { shift?: ShiftStatus } {
  const step = (snap.deploymentSteps ?? []).find((s) => s.name === 'traffic-shift');
  const retried = snap.shiftRetries?.length ? { attempt: shiftAttempt(snap), retries: snap.shiftRetries } : {};
  // Retried and not started yet: the attempt is still told (its phase: not started).
  const checkpoint = step?.checkpoint ?? (snap.shiftRetries?.length ? {} : undefined);
  if (!checkpoint) return {};
  const progress = checkpoint.progress as (Pick<ShiftStatus, 'phase' | 'stepIndex' | 'paused' | 'reason' | 'rolledBackFrom' | 'approvals' | 'aborted'> & { rollingBack?: { reason?: string; incomplete?: ShiftStatus['rollbackIncomplete'] }; promoting?: boolean }) | undefined;
  const unfinished = progress?.rollingBack ? 'rollback' : progress?.promoting ? 'promote' : undefined;
  const decisions = (Array.isArray(checkpoint.decisions) ? checkpoint.decisions : []) as ShiftStatus['decisions'];
  const lastFailing = isDecision(checkpoint.lastFailing) ? checkpoint.lastFailing : undefined;
  return {
    shift: {
      phase: progress?.phase,
      stepIndex: progress?.stepIndex,
      paused: progress?.paused,
      reason: progress?.reason,
      ...(progress?.rolledBackFrom ? { rolledBackFrom: progress.rolledBackFrom } : {}),
      ...(unfinished ? { unfinished } : {}),
      ...(progress?.rollingBack?.incomplete?.length ? { rollbackIncomplete: progress.rollingBack.incomplete } : {}),
      ...(progress?.rollingBack?.reason && !progress.reason ? { reason: progress.rollingBack.reason } : {}),
      decisions: decisions.slice(-SHOWN_DECISIONS),
      ...(lastFailing ? { lastFailing } : {}),
      ...(Array.isArray(progress?.approvals) && progress.approvals.length > 0 ? { approvals: progress.approvals } : {}),
      ...((progress?.phase === 'failed' || progress?.phase === 'rolled-back' || progress?.rollingBack) && typeof progress.aborted?.at === 'string' ? { aborted: progress.aborted } : {}),
      ...retried,
    },
  };
}

/** `(incomplete on meta-us: <error>; last known scores there: eu1 80, eu2 20)`, when the rollback reached some meta clusters only. */
function incompleteText(shift: ShiftStatus): string {
  const incomplete = shift.rollbackIncomplete ?? [];
  if (incomplete.length === 0) return '';
  return ` (incomplete on ${incomplete.map((i) => `${i.meta}: ${i.error}; last known scores there: ${scoresText(i.scores)}`).join('; ')})`;
}

/** Where a shift stands, in words: `at step 2`, `in the staff stage`, `rolled back from the bake at 100 %`. */
function shiftWhere(shift: ShiftStatus): string {
  switch (shift.phase) {
    case undefined:
      return 'not started';
    case 'start':
      return 'starting';
    case 'staff':
      return 'in the staff stage';
    case 'steps':
      return `at step ${(shift.stepIndex ?? 0) + 1}`;
    case 'bake':
      return 'baking at 100 %';
    case 'rolled-back':
      return `rolled back${shift.rolledBackFrom ? ` from ${shift.rolledBackFrom}` : ''}`;
    case 'failed': {
      // Only a first generation's watch ends so: nothing was rolled back (there was nothing to return to).
      const a = shift.aborted;
      const ended = a ? `the first generation's watch was aborted by ${a.by ?? 'an operator'} (taken ${a.at}${a.sentAt ? `, sent ${a.sentAt}` : ''})` : 'the first generation failed its gates in the watch';
      return `${ended}; its clusters were left taking every new start`;
    }
    default:
      return shift.phase;
  }
}

function isDecision(value: unknown): value is ShiftDecision {
  return typeof value === 'object' && value !== null && typeof (value as ShiftDecision).at === 'string' && Array.isArray((value as ShiftDecision).metrics);
}

/**
 * The shift in words. A rollback's deciding measurement is explained once, with all its evidence; the reason
 * (which quotes that evidence) and the same decision in the list below are left out so nothing is said twice.
 */
function renderShift(shift: ShiftStatus, unwatched = ''): string {
  const over = shift.phase === 'rolled-back' || shift.phase === 'failed';
  // An operator's abort decided it, not a measurement: no earlier failing one is shown as the reason.
  const failing = over && !shift.aborted ? shift.lastFailing : undefined;
  const reason = shift.reason && !failing ? `; ${shift.reason}` : '';
  // Stopped half-way through a decided course: the registries may be between two states; resume finishes it.
  const unfinished =
    shift.unfinished === 'rollback'
      ? `; rolling back, not finished${incompleteText(shift)}: \`resume\` finishes the rollback (the saved scores restored, the new clusters cordoned on every meta cluster)`
      : shift.unfinished === 'promote'
        ? '; promoting (an operator asked), not finished: `resume` finishes it (all new starts on the new clusters, the old cordoned, on every meta cluster)'
        : '';
  const attempt = shift.attempt ? ` (attempt ${shift.attempt})` : '';
  const retries = (shift.retries ?? []).map((r) => `  retried: attempt ${r.attempt} by ${r.by} at ${r.at}, after ${r.after}`);
  const where = `traffic shift${attempt}: ${shiftWhere(shift)}${shift.paused ? ' (paused)' : ''}${unfinished}${reason}${unwatched}`;
  const why = failing ? decisionEvidenceLines(failing, '    ').map((l, i) => (i === 0 ? `  why: ${l}` : l)) : [];
  const lines = shift.decisions.filter((d) => d.at !== failing?.at).map((d) => `  ${d.at.slice(11, 19)} ${String(d.percent).padStart(3)} %  ${d.verdict.padEnd(12)} ${d.message}`);
  const approvals = (shift.approvals ?? []).map((a) => `  approved: ${a.gate} at ${a.where} by ${a.by ?? 'an operator'} (taken ${a.at}${a.sentAt ? `, sent ${a.sentAt}` : ''})`);
  return `${[where, ...retries, ...approvals, ...why, ...(lines.length ? [failing ? 'earlier decisions:' : 'last decisions:', ...lines] : [])].join('\n')}\n`;
}

function duration(ms: number | undefined): string {
  if (ms === undefined) return '';
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`;
}

/**
 * Why the steps still pending will never run, or undefined while they can: a deployment concluded by its outcome (a
 * rolled-back shift, a first generation that failed its gates) is over, and `resume` refuses it. "pending" would
 * promise a step that nothing will ever run.
 */
export function overBecause(snap: Snapshot): string | undefined {
  if (snap.supersededBy && snap.state !== 'succeeded') return `the deployment is over (superseded by ${snap.supersededBy})`;
  const concluded = concludedBy(snap);
  if (concluded === undefined) return undefined;
  return `the deployment is over (${concluded.split(':')[0]})`;
}

/**
 * A step `--skip`/`--only` left out (or held back behind one) is "excluded": pending, `resume` runs it. One that a
 * concluded deployment will never reach is "not run".
 */
function stateOf(s: StepRecordState, over: string | undefined): string {
  if (s.state === 'pending' && s.excluded && !over) return 'excluded';
  return s.state === 'pending' && over ? 'not run' : s.state;
}

function detail(s: StepRecordState, over: string | undefined): string {
  if (s.state === 'pending' && s.excluded === 'held') return `held back: ${heldBackWords(s.waitsFor ?? [])}`;
  if (s.state === 'pending' && s.excluded) return `excluded by ${s.excluded}`;
  if (s.state === 'pending' && over) return over;
  if (s.error) return s.error.message.split('\n')[0] ?? '';
  if (s.evidence) return s.evidence;
  const outputs = s.outputs ?? {};
  if (Array.isArray(outputs.releases)) {
    return outputs.releases.map((r: { name?: string; chart?: string; version?: string }) => `${r.name ?? '?'} (${r.chart ?? '?'} ${r.version ?? ''})`.replace(' )', ')')).join(', ');
  }
  // What a 3 a.m. reader of the table wants from the deployment-wide steps: what moved, what is gone.
  if (outputs.outcome === 'promoted') {
    const olds = Array.isArray(outputs.oldClusters) ? (outputs.oldClusters as Array<{ name: string }>).map((o) => o.name) : [];
    return olds.length > 0 ? `promoted; ${olds.join(', ')} cordoned` : 'promoted (first generation)';
  }
  if (Array.isArray(outputs.retired)) {
    const retired = outputs.retired as Array<{ name: string; destroyed?: boolean; manual?: string[] }>;
    if (retired.length === 0) return typeof outputs.note === 'string' ? outputs.note : 'nothing to retire';
    return retired.map((r) => `${r.name} ${r.destroyed ? 'destroyed' : r.manual ? `deregistered, destroy by hand: ${r.manual.join(' ')}` : 'deregistered'}`).join(', ');
  }
  return '';
}

interface RenderedRelease {
  rendering?: string;
  helmVersion?: string;
  objects?: number;
  checked?: number;
  uncheckedKinds?: string[];
}

/** "rendered with helm template (helm v4.1.4), 40 objects, 36 checked …" over every rendered release of the run. */
function renderingLine(snap: Snapshot): string | undefined {
  const versions = new Set<string>();
  const unchecked = new Set<string>();
  let objects = 0;
  let checked = 0;
  let rendered = 0;
  for (const step of [...snap.clusters.flatMap((c) => c.steps), ...(snap.deploymentSteps ?? [])]) {
    const releases = step.outputs?.releases;
    if (!Array.isArray(releases)) continue;
    for (const r of releases as RenderedRelease[]) {
      if (typeof r.objects !== 'number') continue;
      if (r.rendering === 'helm template') rendered++;
      if (r.helmVersion) versions.add(r.helmVersion);
      objects += r.objects;
      checked += r.checked ?? 0;
      r.uncheckedKinds?.forEach((k) => unchecked.add(k));
    }
  }
  if (rendered === 0) return undefined;
  const kinds = unchecked.size > 0 ? `; not checked (no schema, custom resources): ${[...unchecked].sort().join(', ')}` : '';
  return `releases: rendered with helm template (helm ${[...versions].sort().join(', ')}), ${objects} objects, ${checked} checked against Kubernetes schemas${kinds}`;
}

/** The cluster × step table printed at the end of `deploy` and by `status`. */
export function renderSummary(snap: Snapshot): string {
  const over = overBecause(snap);
  const rows = [
    ...snap.clusters.flatMap((c) => c.steps.map((s) => [c.name, s.name, stateOf(s, over), String(s.attempts), duration(s.durationMs), stepWindow(s, snap.createdAt), detail(s, over)])),
    ...(snap.deploymentSteps ?? []).map((s) => ['(all clusters)', s.name, stateOf(s, over), String(s.attempts), duration(s.durationMs), stepWindow(s, snap.createdAt), detail(s, over)]),
  ];
  const { words, next } = deploymentOutcome(snap);
  const head = `deployment ${snap.id}: ${words} (cluster id ${snap.clusterId})`;
  const excluded = excludedPart(snap).excluded;
  const tail = [errorLine(snap), retirementProgress(snap)?.line, next ? `next: ${next}` : undefined, excluded && snap.state === 'partial' ? `partial: ${partialNote(snap, excluded.count)}` : undefined, supersededLine(snap)].filter(Boolean).map((l) => `\n${l}`).join('');
  const shift = shiftPart(snap).shift;
  const rendering = renderingLine(snap);
  return `${head}\n${renderTable(['CLUSTER', 'STEP', 'STATE', 'ATTEMPTS', 'DURATION', 'RAN (from start)', 'DETAIL'], rows)}${tail}\n${rendering ? `${rendering}\n` : ''}${shift ? renderShift(shift, unwatchedWords(snap, shift)) : ''}${lineOf(heldGateLine(snap))}`;
}

/**
 * A shift stopped mid-way with no process running it (interrupted, killed, failed elsewhere) leaves the registries at
 * its stage: the new clusters go on taking that share of new starts, and no gate judges them. `at step 1` alone read
 * as if nothing were under way. (A held or paused one is said by its own line; a decided course by `unfinished`.)
 */
function unwatchedWords(snap: Snapshot, shift: ShiftStatus): string {
  if (snap.state === 'running' || snap.supersededBy || shift.paused || shift.unfinished) return '';
  const schedule = snap.deploymentSteps?.find((s) => s.name === 'traffic-shift')?.checkpoint?.schedule as { steps?: unknown } | undefined;
  const steps = Array.isArray(schedule?.steps) ? schedule.steps : [];
  const percent = shift.phase === 'bake' ? 100 : shift.phase === 'steps' ? steps[shift.stepIndex ?? 0] : undefined;
  const share = shift.phase === 'staff' ? "the staff's new starts" : typeof percent === 'number' ? `${percent} % of new starts` : shift.phase === 'steps' ? "that step's share of new starts" : undefined;
  if (!share) return '';
  return `; no process runs it: the new clusters go on taking ${share}, judged by no gate, until the shift is resumed or rolled back`;
}

/**
 * The deployment's error, as the reader should take it: an interruption's says `resume` continues it, which is
 * no longer true once a newer deployment superseded it (the superseded line says what is left to do instead).
 */
export function errorLine(snap: Snapshot): string | undefined {
  if (snap.error?.code === 'Interrupted' && snap.supersededBy) return undefined;
  return snap.error?.message;
}

/** A superseded deployment's last word: why nothing resumes it, and what to do with the clusters it created. */
export function supersededLine(snap: Snapshot): string | undefined {
  if (!snap.supersededBy || snap.state === 'succeeded') return undefined;
  const created = createdClusters(snap);
  const left = created.length > 0 ? `; retire the clusters it created (${created.join(', ')}) with \`ws-deployment retire --cluster NAME --yes\`` : '';
  return `superseded: the newer deployment ${snap.supersededBy} moved this environment's traffic onto its own clusters, so nothing resumes this one${left}`;
}

/** `text` as a line of its own, or nothing. */
export function lineOf(text: string | undefined): string {
  return text ? `${text}\n` : '';
}
