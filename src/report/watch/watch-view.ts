/**
 * What `status --watch` shows, as plain lines, from the journal alone (plus the
 * queued shift commands and the time): per cluster the step(s) it is at; for the
 * traffic shift its stage, the share of new starts on the new generation per
 * region, time in the stage and until the next measurement, each gate's latest
 * value against its threshold with samples, the scores, a manual gate waiting
 * with the command that answers it, and queued commands; once it is over, how it
 * ended and what to do next as `status` says them (the CLI adds what the store
 * knows beyond the journal: a process gone, a lock copied, a newer deployment that
 * superseded it). Pure, so it is tested from hand-built records; the CLI only polls and draws.
 */
import { processGone } from '../../state/liveness.js';
import { PROGRESS_CODE } from '../../core/progress.js';
import { applyRecord, excludedPending, partialNote, type JournalRecord, type Snapshot, type StepRecordState } from '../../state/model.js';
import type { PendingControl } from '../../state/store.js';
import { DEPLOYMENT_SCOPE } from '../../steps/step.js';
import { buildGates, type GatePoint, type GateSeries } from '../gate-series.js';
import { checkpoints, events, isObject, num, str } from '../journal-reading.js';
import { buildShiftHistory, labelOf, type ShiftHistory } from '../shift-history.js';
import { unappliedLine } from '../unapplied-commands.js';
import { deploymentOutcome, type DeploymentOutcome } from '../outcome.js';
import { heldGateLine } from '../shift-gates.js';
import { errorLine, supersededLine } from '../summary.js';
import { retirementProgress } from '../retirement-progress.js';

interface WatchInput {
  records: readonly JournalRecord[];
  pending: readonly PendingControl[];
  /** Epoch ms. */
  now: number;
  /** False: leave out what changes every second (time in stage, countdown), for logs that print changes only. */
  clock?: boolean;
  /** The journal says running but no process runs it (killed): shown as interrupted, as `status` shows it. */
  processGone?: boolean;
  /** With `processGone`: this state dir is a copy of one where the run goes on (the store's lock note), as `status` says. */
  copied?: string;
  /** A newer deployment of the environment promoted after this one stopped: over, as `status` says (state/resumable.ts). */
  supersededBy?: string;
}

interface WatchView {
  lines: string[];
  snapshot?: Snapshot;
}

export function watchView(input: WatchInput): WatchView {
  let snap: Snapshot | undefined;
  for (const r of input.records) {
    if (r.type === 'deployment.created' || snap) snap = applyRecord(snap, r);
  }
  if (!snap) return { lines: ['waiting for the deployment to start…'] };
  if (input.processGone && snap.state === 'running') snap = processGone(snap, input.copied);
  if (input.supersededBy && snap.state !== 'running' && snap.state !== 'succeeded') snap = { ...snap, supersededBy: input.supersededBy };
  const clock = input.clock !== false;
  // Said as `status` and the report say it (held at a gate, rolled back, superseded), not by the journal's state alone.
  const told = deploymentOutcome(snap);
  const lines = [`deployment ${snap.id}: ${told.words}${clock ? ` (${duration(input.now - Date.parse(snap.createdAt))})` : ''}`];
  const width = Math.max(0, ...snap.clusters.map((c) => c.name.length));
  const phases = subPhases(input.records);
  for (const c of snap.clusters) lines.push(`  ${c.name.padEnd(width)}  ${where(c.steps, (step) => phases.get(`${c.name}\u0000${step}`))}`);
  for (const s of snap.deploymentSteps) if (s.state !== 'pending') lines.push(`  ${s.name}: ${s.state}`);
  const shift = buildShiftHistory(input.records);
  if (shift) lines.push(...shiftLines(input, shift, snap, clock));
  const gate = retireGateLine(input.records, snap);
  if (gate) lines.push(gate);
  // Commands queued for a deployment that is over are never taken: say so instead of listing them as queued.
  const unapplied = unappliedLine(snap, input.pending);
  if (unapplied) lines.push(unapplied);
  else if (input.pending.length > 0) lines.push(`queued commands: ${input.pending.map((p) => `${p.command} (sent ${p.sentAt.slice(11, 19)})`).join(', ')}`);
  if (snap.state !== 'running') lines.push(...endLines(snap, told));
  return { lines, snapshot: snap };
}

/**
 * How it ended and what to do next, in the words and with the commands `status` gives: its error (without an
 * interruption's advice to resume once a newer deployment superseded it), the `next:` line, the superseded line with
 * the `retire` command, a retirement stopped part-way, and for a shift held at a gate or paused that no process runs, the
 * commands that answer it.
 */
function endLines(snap: Snapshot, told: DeploymentOutcome): string[] {
  const error = errorLine(snap);
  const partial = snap.state === 'partial' ? `: ${partialNote(snap, excludedPending(snap).length)}` : '';
  // A retirement stopped part-way: which old clusters are gone and which still registered or existing, where `status` says it.
  return [`deployment ${told.words}${error ? `: ${error}` : partial}`, retirementProgress(snap)?.line, ...(told.next ? [`next: ${told.next}`] : []), supersededLine(snap), heldGateLine(snap)].filter((l): l is string => l !== undefined);
}

/**
 * The latest sub-phase (`step.progress`, e.g. `terraform apply 12/31 resources`) per cluster and step, of the
 * step's current attempt: a new start or the step's end clears it.
 */
function subPhases(records: readonly JournalRecord[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of records) {
    if (r.type === 'event' && r.code === PROGRESS_CODE && r.cluster && r.step) out.set(`${r.cluster}\u0000${r.step}`, r.message);
    else if ((r.type === 'step.started' || r.type === 'step.succeeded' || r.type === 'step.failed') && 'cluster' in r) out.delete(`${r.cluster}\u0000${r.step}`);
  }
  return out;
}

/** The running step(s) of a cluster, with their sub-phase, or where it stopped. */
function where(steps: readonly StepRecordState[], phaseOf: (step: string) => string | undefined = () => undefined): string {
  const running = steps.filter((s) => s.state === 'running');
  if (running.length > 0) {
    return running
      .map((s) => {
        const phase = phaseOf(s.name);
        return `${s.name} running${s.attempts > 1 ? ` (attempt ${s.attempts})` : ''}${phase ? `: ${phase}` : ''}`;
      })
      .join(', ');
  }
  // Every one: releases install together, and a kill or Ctrl-C cuts off all of them.
  const stopped = steps.filter((s) => s.state === 'failed' || s.state === 'interrupted');
  if (stopped.length > 0) return stopped.map((s) => `${s.name} ${s.state}`).join(', ');
  const started = steps.filter((s) => s.state !== 'pending');
  if (started.length === 0) return 'waiting';
  if (started.length === steps.length) return `all ${steps.length} step${steps.length === 1 ? '' : 's'} done`;
  return `${started.at(-1)?.name} ${started.at(-1)?.state}`;
}

function shiftLines(input: WatchInput, shift: ShiftHistory, snap: Snapshot, clock: boolean): string[] {
  const id = snap.id;
  const cps = checkpoints(input.records, DEPLOYMENT_SCOPE, 'traffic-shift');
  const progress = [...cps].reverse().find((c) => isObject(c.outputs.progress))?.outputs.progress as Record<string, unknown> | undefined;
  const phase = str(progress?.phase) ?? 'start';
  const stepIndex = num(progress?.stepIndex) ?? 0;
  const cadence = events(input.records, 'traffic.clusters')[0]?.data ?? {};
  const out: string[] = [];
  out.push(`traffic shift: ${labelOf(phase, stepIndex, shift.steps, isObject(progress?.aborted))}`);
  const started = num(progress?.phaseStartedAtMs);
  if (clock && started !== undefined && phase !== 'done' && phase !== 'rolled-back' && phase !== 'failed') {
    // Its own short line: the countdown must survive a narrow terminal cutting lines.
    let timing = `  ${duration(input.now - started)} in ${phase === 'steps' ? 'step' : 'stage'}`;
    const next = nextMeasurement(phase, stepIndex, started, num(progress?.measurementsInStep) ?? 0, cadence);
    if (next !== undefined && progress?.paused !== true) timing += next > input.now ? `; next measurement in ${duration(next - input.now)}` : '; measuring';
    // The staff stage lasts its duration; the bake at least its own (it ends on the first pass after it).
    const length = phase === 'staff' ? num(cadence.staffMs) : phase === 'bake' ? num(cadence.bakeMs) : undefined;
    if (length !== undefined && progress?.paused !== true && started + length > input.now) timing += `; ${phase === 'staff' ? 'ends' : 'bake ends'} in ${duration(started + length - input.now)}`;
    out.push(timing);
  }
  const regions = regionShares(shift);
  if (regions.length > 0) out.push(`  new generation's share: ${regions.join(', ')}`);
  const scores = currentScores(shift);
  if (scores) out.push(`  scores: ${scores}`);
  const { gates } = buildGates(input.records, shift.gates);
  // Decision records name clusters in full; the shift's own short names fit a narrow terminal.
  const short = new Map([...shift.newClusters, ...shift.oldClusters].flatMap((c) => (c.cluster ? [[c.cluster, c.name] as const] : [])));
  for (const g of gates) out.push(`  gate ${gateLine(g, short)}`);
  // A paused shift no process runs is answered otherwise (`resume` too): the end lines say how, as `status` does.
  if (progress?.paused === true && snap.state === 'running') {
    const gate = str(progress.gate);
    out.push(gate ? `waiting at manual gate ${gate}: approve with \`ws-deployment shift resume ${id}\` (or promote / abort)` : `paused: continue with \`ws-deployment shift resume ${id}\` (or promote / abort)`);
  }
  if (shift.rollback) out.push(`rolled back${shift.rollback.from ? ` from ${shift.rollback.from}` : ''}: ${shift.rollback.reason}`);
  return out;
}

/**
 * The manual gate a running deployment waits at, with the command that answers it, for `status`
 * (the watch shows the shift's inside its traffic-shift lines): the shift's gate while its progress
 * says paused at one, else the retirement's beforeDestroy gate.
 */
export function waitingGateLine(records: readonly JournalRecord[], snap: Snapshot): string | undefined {
  if (snap.state !== 'running') return undefined;
  const shift = snap.deploymentSteps.find((s) => s.name === 'traffic-shift');
  const progress = shift?.checkpoint?.progress as { paused?: unknown; gate?: unknown } | undefined;
  const gate = shift?.state === 'running' && progress?.paused === true ? str(progress.gate) : undefined;
  if (gate) return `waiting at manual gate ${gate}: approve with \`ws-deployment shift resume ${snap.id}\` (or promote / abort)`;
  return retireGateLine(records, snap);
}

/**
 * The retirement's beforeDestroy gate while it waits: its latest `retire.gate` event, not yet answered by a
 * `retire.approved` record, while the retire step still runs (a refusal ends the step).
 */
function retireGateLine(records: readonly JournalRecord[], snap: Snapshot): string | undefined {
  const retire = snap.deploymentSteps.find((s) => s.name === 'retire-old-clusters');
  if (retire?.state !== 'running') return undefined;
  const asked = events(records, 'retire.gate').at(-1);
  if (!asked || events(records, 'retire.approved').some((a) => a.seq > asked.seq)) return undefined;
  const what = str(asked.data?.what);
  return `waiting for approval at manual gate beforeDestroy${what ? ` (to ${what})` : ''}: approve with \`ws-deployment shift resume ${snap.id}\`, refuse with \`ws-deployment shift abort ${snap.id}\``;
}

/** When the shift measures next: start + initial delay (first step only) + (n+1) intervals; undefined when unknown. */
function nextMeasurement(phase: string, stepIndex: number, started: number, done: number, cadence: Record<string, unknown>): number | undefined {
  const every = num(cadence.measureEveryMs);
  if (every === undefined || (phase !== 'steps' && phase !== 'bake')) return undefined;
  const delay = phase === 'steps' && stepIndex === 0 ? (num(cadence.initialDelayMs) ?? 0) : 0;
  return started + delay + (done + 1) * every;
}

/** The last score each registered cluster was set to (first meta cluster: every meta gets the same scores). */
function lastScores(shift: ShiftHistory): Map<string, number> {
  const meta = shift.scores[0]?.meta;
  const out = new Map<string, number>();
  for (const s of shift.scores) if (s.meta === meta && s.points.length > 0) out.set(s.cluster, s.points.at(-1)?.score ?? 0);
  return out;
}

function currentScores(shift: ShiftHistory): string | undefined {
  const scores = lastScores(shift);
  const named = [...shift.newClusters, ...shift.oldClusters].filter((c) => scores.has(c.name));
  return named.length === 0 ? undefined : named.map((c) => `${c.name} ${scores.get(c.name)}`).join(', ');
}

/** Per region: the new clusters' share of the region's total score (the share of new starts they get). */
function regionShares(shift: ShiftHistory): string[] {
  const scores = lastScores(shift);
  if (scores.size === 0) return [];
  const regions = [...new Set(shift.newClusters.map((c) => c.region))].filter((r) => r !== '');
  return regions.flatMap((region) => {
    const sum = (cs: typeof shift.newClusters) => cs.filter((c) => c.region === region).reduce((a, c) => a + (scores.get(c.name) ?? 0), 0);
    const mine = sum(shift.newClusters);
    const total = mine + sum(shift.oldClusters);
    return total > 0 ? [`${region} ${Math.round((mine / total) * 100)} %`] : [];
  });
}

function gateLine(g: GateSeries, short: ReadonlyMap<string, string>): string {
  const last: GatePoint | undefined = g.points.at(-1);
  const threshold = last?.threshold ?? g.threshold;
  const limit = threshold ? [threshold.max !== undefined ? `max ${threshold.max}` : '', threshold.min !== undefined ? `min ${threshold.min}` : ''].filter(Boolean).join(', ') : '';
  if (!last) return `${g.metric}: not measured yet${limit ? ` (${limit})` : ''}`;
  const values = last.values.filter((v) => v.side === 'new').map((v) => `${short.get(v.cluster) ?? v.cluster} ${round(v.value)}`).join(', ') || 'no value';
  const samples = last.samples?.new !== undefined ? `, ${last.samples.new} samples${last.samples.old !== undefined ? ` (baseline ${last.samples.old})` : ''}` : '';
  // The verdict first: a narrow terminal cuts the end of the line.
  return `${g.metric} ${last.outcome}${last.dryRun ? ' (dry run)' : ''}: ${values}${limit ? ` vs ${limit}` : ''}${samples}`;
}

function round(v: number): string {
  return String(Number(v.toPrecision(3)));
}

/** `1h02m`, `3m05s`, `12s`. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
