/**
 * The traffic shift as a history, from the journal alone: its stages with
 * their percent, each cluster's score over time (recomputed from the journaled
 * original state with the shift's own score compiler, so the chart shows what
 * the shift set), the rollback, and the operator's actions.
 */
import { DEPLOYMENT_SCOPE } from '../steps/step.js';
import type { JournalRecord } from '../state/model.js';
import { scoreChanges } from '../traffic/shift-registry.js';
import type { OriginalSnapshot } from '../traffic/shift-ports.js';
import { arr, checkpoints, clusterRefs, events, isObject, num, str, type ShiftClusterRef } from './journal-reading.js';

interface ShiftStage {
  phase: string;
  stepIndex: number;
  /** Share of new starts (outside the staff stage) on the new generation, 0..100. */
  percent: number;
  label: string;
  start: string;
  end?: string;
}

interface ScorePoint {
  time: string;
  score: number;
}

interface OperatorAction {
  time: string;
  code: string;
  message: string;
}

export interface ShiftHistory {
  /** The attempt shown: 1, or the one the last `resume --retry-shift` began. */
  attempt: number;
  steps: number[];
  newClusters: ShiftClusterRef[];
  oldClusters: ShiftClusterRef[];
  original?: OriginalSnapshot;
  stages: ShiftStage[];
  /** Per meta cluster, per registered cluster: score after each change. */
  scores: Array<{ meta: string; cluster: string; role: 'new' | 'old'; points: ScorePoint[] }>;
  rollback?: { time: string; reason: string; from?: string };
  actions: OperatorAction[];
  /** Configured gates (name and threshold), when the journal has them. */
  gates: Array<{ name: string; threshold?: { min?: number; max?: number } }>;
  /** The constraint the staff stage adds (`has-permission=…`), when the journal says it. */
  staffConstraint?: string;
}

const OPERATOR_CODES = new Set(['traffic.paused', 'traffic.resumed', 'traffic.promote', 'traffic.gate']);

export function buildShiftHistory(all: readonly JournalRecord[]): ShiftHistory | undefined {
  // A retried shift (`resume --retry-shift`) started over: its stages, scores and rollback are the last attempt's;
  // the retries themselves are operator actions, and the attempts before are in the journal's decisions.
  const retries = all.flatMap((r) => (r.type === 'shift.retried' ? [r] : []));
  const records = retries.length > 0 ? all.slice(all.indexOf(retries.at(-1) as JournalRecord) + 1) : all;
  const cps = checkpoints(records, DEPLOYMENT_SCOPE, 'traffic-shift');
  if (cps.length === 0) return undefined;
  const clustersEvent = events(records, 'traffic.clusters')[0]?.data ?? {};
  const fromCheckpoint = cps.find((c) => isObject(c.outputs.clusters))?.outputs.clusters as Record<string, unknown> | undefined;
  const newClusters = clusterRefs(clustersEvent.newClusters ?? fromCheckpoint?.newClusters);
  const oldClusters = clusterRefs(clustersEvent.oldClusters ?? fromCheckpoint?.oldClusters);
  const steps = stepsOf(records, clustersEvent);
  const original = cps.find((c) => isObject(c.outputs.original))?.outputs.original as OriginalSnapshot | undefined;

  const stages: ShiftStage[] = [];
  let rollback: ShiftHistory['rollback'];
  for (const { time, outputs } of cps) {
    const p = outputs.progress;
    if (!isObject(p) || typeof p.phase !== 'string') continue;
    const stepIndex = num(p.stepIndex) ?? 0;
    const last = stages.at(-1);
    if (last && last.phase === p.phase && last.stepIndex === stepIndex) continue;
    if (last) last.end = time;
    if (p.phase === 'rolled-back') rollback = { time, reason: str(p.reason) ?? '', from: str(p.rolledBackFrom) };
    stages.push({ phase: p.phase, stepIndex, percent: percentOf(p.phase, stepIndex, steps), label: labelOf(p.phase, stepIndex, steps, isObject(p.aborted)), start: time });
  }
  const end = records.find((r) => r.type !== 'step.checkpoint' && 'step' in r && r.step === 'traffic-shift' && (r.type === 'step.succeeded' || r.type === 'step.failed' || r.type === 'step.interrupted'));
  const lastStage = stages.at(-1);
  if (lastStage && end && lastStage.end === undefined && lastStage.phase !== 'done' && lastStage.phase !== 'rolled-back') lastStage.end = end.time;

  const gates = arr(clustersEvent.gates).flatMap((g) =>
    isObject(g) && typeof g.name === 'string' ? [{ name: g.name, ...(isObject(g.threshold) ? { threshold: { min: num(g.threshold.min), max: num(g.threshold.max) } } : {}) }] : [],
  );
  const actions = all.flatMap((r) =>
    r.type === 'shift.retried'
      ? [{ time: r.time, code: 'shift.retried', message: `retried by ${r.by}: attempt ${r.attempt} from the first step, after ${r.after}` }]
      : r.type === 'event' && (OPERATOR_CODES.has(r.code) || (r.code === 'traffic.rollback' && /operator|abort/i.test(r.message)))
        ? [{ time: r.time, code: r.code, message: r.code === 'traffic.gate' ? gateReached(r, stages) : r.code === 'traffic.paused' ? pausedAt(r.message) : r.message }]
        : [],
  );
  // Journaled with the clusters since 2026-12; before, only the staff stage's own line named it.
  const staffConstraint = str(clustersEvent.staffConstraint) ?? /\b(has-permission=\S+) holders only/.exec(events(records, 'traffic.staff')[0]?.message ?? '')?.[1];
  return { attempt: retries.at(-1)?.attempt ?? 1, steps, newClusters, oldClusters, original, stages, scores: scoreSeries(stages, original, newClusters, oldClusters, steps), rollback, actions, gates, ...(staffConstraint ? { staffConstraint } : {}) };
}

/**
 * A manual gate the shift reached, said from its data and the stage it held in: the event's own message told the
 * operator of that moment to run `ws-deployment shift resume` without the deployment's id, a command that in a
 * report read later answers whichever deployment is newest, not this one (the report says what answers a gate
 * still waiting, with the id, in its head).
 */
function gateReached(r: Extract<JournalRecord, { type: 'event' }>, stages: ReadonlyArray<{ start: string; label: string }>): string {
  const stage = stages.filter((s) => s.start <= r.time).at(-1);
  return `manual gate ${str(r.data?.gate) ?? '?'} reached${stage ? ` at ${stage.label}` : ''}: the shift waited for an operator's answer`;
}

/**
 * A pause as history: where and by whom, without the command its event suggested at that moment (in a report read
 * later the shift has moved on; journals before 2026-12 also wrote it without the deployment's id).
 */
function pausedAt(message: string): string {
  return message.replace(/; resume, promote or abort: `ws-deployment [^`]*` continues it/, '');
}

function stepsOf(records: readonly JournalRecord[], clustersEvent: Record<string, unknown>): number[] {
  const fromEvent = arr(clustersEvent.steps).map(num).filter((n): n is number => n !== undefined);
  if (fromEvent.length > 0) return fromEvent;
  const done = records.find((r) => r.type === 'step.succeeded' && r.step === 'traffic-shift');
  const fromOutputs = done?.type === 'step.succeeded' ? arr(done.outputs.steps).map(num).filter((n): n is number => n !== undefined) : [];
  if (fromOutputs.length > 0) return fromOutputs;
  // Older journals: the percent each decision was taken at.
  const byIndex = new Map<number, number>();
  for (const e of events(records, 'traffic.decision')) {
    const i = num(e.data?.stepIndex);
    const p = num(e.data?.percent);
    if (i !== undefined && p !== undefined) byIndex.set(i, p);
  }
  return [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p);
}

function percentOf(phase: string, stepIndex: number, steps: readonly number[]): number {
  if (phase === 'steps') return steps[stepIndex] ?? 100;
  // A first generation (`watch`, and `failed` after it) takes every new start: nothing was taken back when it failed.
  if (phase === 'bake' || phase === 'done' || phase === 'watch' || phase === 'failed') return 100;
  return 0;
}

/** `aborted`: the journaled progress records an operator's abort (`ShiftProgress.aborted`): it ends a first generation's watch as `failed`, any other shift as `rolled-back`. */
export function labelOf(phase: string, stepIndex: number, steps: readonly number[], aborted = false): string {
  switch (phase) {
    case 'start':
      return 'start';
    case 'staff':
      return 'staff stage';
    case 'steps':
      return `step ${stepIndex + 1}/${steps.length || '?'} (${steps[stepIndex] ?? '?'} %)`;
    case 'bake':
      return 'bake at 100 %';
    case 'done':
      return 'promoted';
    case 'rolled-back':
      return aborted ? 'rolled back (aborted by an operator)' : 'rolled back';
    case 'failed':
      return `${aborted ? 'aborted by an operator' : 'gates failed'} (first generation, left taking every start)`;
    default:
      return phase;
  }
}

function scoreSeries(stages: readonly ShiftStage[], original: OriginalSnapshot | undefined, news: ShiftClusterRef[], olds: ShiftClusterRef[], steps: readonly number[]): ShiftHistory['scores'] {
  if (!original) return [];
  const out: ShiftHistory['scores'] = [];
  const toShift = (c: ShiftClusterRef) => ({ name: c.name, cluster: c.cluster ?? c.name, region: c.region });
  for (const [meta, clusters] of Object.entries(original)) {
    const series = new Map<string, ScorePoint[]>();
    for (const name of Object.keys(clusters)) series.set(name, []);
    const set = (time: string, name: string, score: number): void => {
      const points = series.get(name);
      if (points && points.at(-1)?.score !== score) points.push({ time, score });
    };
    const first = stages[0];
    if (first) for (const [name, c] of Object.entries(clusters)) set(first.start, name, c.score);
    for (const stage of stages) {
      if (stage.phase === 'rolled-back') {
        for (const [name, c] of Object.entries(clusters)) set(stage.start, name, news.some((n) => n.name === name) ? 0 : c.score);
        continue;
      }
      if (stage.phase === 'start') continue;
      const percent = stage.phase === 'staff' ? (steps[0] ?? 100) : percentOf(stage.phase, stage.stepIndex, steps);
      let changes: ReturnType<typeof scoreChanges> = [];
      try {
        changes = scoreChanges(percent, clusters, news.map(toShift), olds.map(toShift));
      } catch {
        continue; // the shift itself refused such a layout; it set nothing
      }
      for (const ch of changes) {
        // The staff stage sets only the new clusters' scores.
        if (stage.phase === 'staff' && !news.some((n) => n.name === ch.name)) continue;
        if ('score' in ch.change && typeof ch.change.score === 'number') set(stage.start, ch.name, ch.change.score);
      }
    }
    for (const [name, points] of series) out.push({ meta, cluster: name, role: news.some((n) => n.name === name) ? 'new' : 'old', points });
  }
  return out;
}
