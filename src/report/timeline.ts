/**
 * The Gantt rows of a deployment: one bar per step per cluster (and per
 * deployment-wide step), spanning its first start to its end, with each
 * attempt inside it. Pure: journal records in, rows out.
 */
import { DEPLOYMENT_SCOPE } from '../steps/step.js';
import { heldBackWords, type JournalRecord } from '../state/model.js';

/**
 * `not run`: still pending when the deployment was concluded by its outcome (nothing will ever run it);
 * `excluded`: left out by --only/--skip (or held back behind such a step), pending for `resume`.
 */
type BarState = 'running' | 'succeeded' | 'failed' | 'skipped' | 'interrupted' | 'pending' | 'excluded' | 'not run';

interface Attempt {
  attempt: number;
  start: string;
  end?: string;
  /** How the attempt ended: a later attempt means it failed transiently. */
  outcome: 'running' | 'succeeded' | 'failed' | 'retried' | 'interrupted';
}

export interface TimelineBar {
  /** Cluster name, or `*` for deployment-wide steps. */
  lane: string;
  step: string;
  state: BarState;
  start?: string;
  end?: string;
  attempts: Attempt[];
  detail?: string;
}

/** Rows in plan order: every cluster's steps, then the deployment-wide steps. */
export function buildTimeline(records: readonly JournalRecord[]): TimelineBar[] {
  const created = records.find((r) => r.type === 'deployment.created');
  if (!created || created.type !== 'deployment.created') return [];
  const bars: TimelineBar[] = [];
  const index = new Map<string, TimelineBar>();
  const add = (lane: string, step: string): void => {
    const bar: TimelineBar = { lane, step, state: 'pending', attempts: [] };
    bars.push(bar);
    index.set(`${lane}\u0000${step}`, bar);
  };
  created.clusters.forEach((c, i) => (created.steps[i] ?? []).forEach((s) => add(c.name, s)));
  (created.deploymentSteps ?? []).forEach((s) => add(DEPLOYMENT_SCOPE, s));

  for (const r of records) {
    if (r.type === 'deployment.finished') {
      // A step still open when the deployment ended was cut off (a kill, then a later finish).
      cutOff(bars, r.time);
      continue;
    }
    if (r.type !== 'step.started' && r.type !== 'step.succeeded' && r.type !== 'step.failed' && r.type !== 'step.skipped' && r.type !== 'step.interrupted' && r.type !== 'step.excluded') continue;
    const bar = index.get(`${r.cluster}\u0000${r.step}`);
    if (!bar) continue;
    if (r.type === 'step.excluded') {
      if (bar.state === 'pending' || bar.state === 'excluded') {
        bar.state = 'excluded';
        bar.detail = r.by === 'held' ? `held back: ${heldBackWords(r.waitsFor ?? [])}` : `excluded by ${r.by}`;
      }
      continue;
    }
    switch (r.type) {
      case 'step.started':
        closeOpen(bar, r.time, 'retried');
        bar.attempts.push({ attempt: r.attempt, start: r.time, outcome: 'running' });
        bar.start ??= r.time;
        bar.state = 'running';
        bar.end = undefined;
        break;
      case 'step.succeeded':
        closeOpen(bar, r.time, 'succeeded');
        bar.state = 'succeeded';
        bar.end = r.time;
        break;
      case 'step.failed':
        closeOpen(bar, r.time, 'failed');
        bar.state = 'failed';
        bar.start ??= r.time;
        bar.end = r.time;
        bar.detail = r.error.message.split('\n')[0];
        break;
      case 'step.skipped':
        bar.state = 'skipped';
        bar.start ??= r.time;
        bar.end = r.time;
        bar.detail = r.evidence;
        break;
      case 'step.interrupted':
        closeOpen(bar, r.time, 'interrupted');
        bar.state = 'interrupted';
        bar.end = r.time;
        break;
    }
  }
  return bars;
}

function closeOpen(bar: TimelineBar, time: string, outcome: Attempt['outcome']): void {
  const open = bar.attempts.at(-1);
  if (open && open.end === undefined) {
    open.end = time;
    open.outcome = outcome;
  }
}

/** Bars still running at `time` were cut off there: interrupted (the deployment ended, or its process is gone). */
export function cutOff(bars: TimelineBar[], time: string): void {
  for (const bar of bars.filter((b) => b.state === 'running')) {
    closeOpen(bar, time, 'interrupted');
    bar.state = 'interrupted';
    bar.end = time;
  }
}
