/**
 * The trace of a deployment as a pure function of its journal: each record
 * becomes span operations (start, end, event) on keyed spans. The exporter
 * (`otlp-tracer.ts`) applies them with the OpenTelemetry SDK; keeping the shape
 * here lets it be tested without a collector, like the summary and `status`.
 *
 * Shape: one root span per deployment; under it one span per step per cluster
 * (the deployment-wide traffic shift too), from where its run begins (the pre-run check, a child span of its
 * own) to its end, so the span lasts exactly the step's `durationMs` (the summary's DURATION); each attempt a
 * child of its step;
 * under the running attempt one span per shift stage (staff, step k/n, bake,
 * promote, rollback). Each `traffic.decision` is a span event on the stage it judged;
 * the rollback span carries the decision that failed.
 */
import { STEP_BEGIN, type JournalRecord } from '../state/model.js';
import { DEPLOYMENT_SCOPE } from '../steps/step.js';

type AttributeValue = string | number | boolean | string[] | number[];
export type Attributes = Record<string, AttributeValue>;

export type SpanOp =
  | { op: 'start'; key: string; parent?: string; name: string; time: string; attributes: Attributes }
  | { op: 'end'; key: string; time: string; error?: string }
  | { op: 'event'; key: string; name: string; time: string; attributes: Attributes };

export const ROOT_KEY = 'deployment';

const stepKey = (cluster: string, step: string): string => `step:${cluster}/${step}`;
const attemptKey = (cluster: string, step: string, attempt: number): string => `attempt:${cluster}/${step}#${attempt}`;
const checkKey = (cluster: string, step: string): string => `check:${cluster}/${step}`;

/** Turns journal records into span operations; remembers which spans are open. */
export class TraceMapping {
  /** Open spans in start order (ends close children first). */
  private readonly open: string[] = [];
  private readonly parents = new Map<string, string>();
  private readonly attempts = new Map<string, string>();
  private stage?: string;
  private stageCount = 0;
  /** When each open step's run began (its STEP_BEGIN record), in ms: its end is that plus the journaled durationMs. */
  private readonly begun = new Map<string, number>();
  private lastFailing?: Attributes;

  constructor(private readonly deploymentId: string) {}

  map(record: JournalRecord): SpanOp[] {
    const ops: SpanOp[] = [];
    if (!this.isOpen(ROOT_KEY) && record.type !== 'deployment.finished') ops.push(...this.rootStart(record));
    switch (record.type) {
      case 'step.started': {
        const step = stepKey(record.cluster, record.step);
        if (!this.isOpen(step)) ops.push(this.start(step, ROOT_KEY, record.step, record.time, { 'wsd.cluster': record.cluster, 'wsd.step': record.step }));
        ops.push(...this.end(checkKey(record.cluster, record.step), record.time));
        const previous = this.attempts.get(step);
        if (previous && this.isOpen(previous)) ops.push(...this.end(previous, record.time, 'retried'));
        const attempt = attemptKey(record.cluster, record.step, record.attempt);
        this.attempts.set(step, attempt);
        ops.push(this.start(attempt, step, `${record.step} attempt ${record.attempt}`, record.time, { 'wsd.cluster': record.cluster, 'wsd.step': record.step, 'wsd.attempt': record.attempt }));
        break;
      }
      case 'step.succeeded':
        ops.push(...this.end(stepKey(record.cluster, record.step), this.endTime(record)));
        break;
      case 'step.failed':
        ops.push(...this.end(stepKey(record.cluster, record.step), this.endTime(record), `${record.error.code}: ${record.error.message}`));
        break;
      case 'step.interrupted':
        ops.push(...this.end(stepKey(record.cluster, record.step), record.time, 'interrupted'));
        break;
      case 'step.skipped': {
        const step = stepKey(record.cluster, record.step);
        if (!this.isOpen(step)) ops.push(this.start(step, ROOT_KEY, record.step, record.time, { 'wsd.cluster': record.cluster, 'wsd.step': record.step }));
        ops.push({ op: 'event', key: step, name: 'skipped', time: record.time, attributes: { 'wsd.evidence': record.evidence } });
        ops.push(...this.end(step, record.time));
        break;
      }
      case 'deployment.finished':
        if (this.isOpen(ROOT_KEY)) {
          ops.push({ op: 'event', key: ROOT_KEY, name: 'finished', time: record.time, attributes: { 'wsd.state': record.state, ...(record.state === 'partial' ? { 'wsd.excluded': record.excluded ?? 0 } : {}) } });
          // Partial is not an error (nothing failed): the state attribute tells it apart.
          ops.push(...this.end(ROOT_KEY, record.time, record.state === 'succeeded' || record.state === 'partial' ? undefined : (record.error ? `${record.error.code}: ${record.error.message}` : record.state)));
        }
        break;
      case 'event':
        ops.push(...this.eventOps(record));
        break;
      default:
        break;
    }
    return ops;
  }

  /** A step's end: its run's beginning plus the journaled duration (what the summary shows), else the record's time. */
  private endTime(record: Extract<JournalRecord, { type: 'step.succeeded' | 'step.failed' }>): string {
    const key = stepKey(record.cluster, record.step);
    const begun = this.begun.get(key);
    this.begun.delete(key);
    return begun !== undefined && record.durationMs !== undefined ? new Date(begun + record.durationMs).toISOString() : record.time;
  }

  /** A step's run begins: its span starts here, with the pre-run check (until the first attempt starts) as a child. */
  private begin(record: Extract<JournalRecord, { type: 'event' }>): SpanOp[] {
    if (!record.step) return [];
    const cluster = record.cluster ?? DEPLOYMENT_SCOPE;
    const step = stepKey(cluster, record.step);
    if (this.isOpen(step)) return [];
    // The run's own clock reading (the record is appended without waiting, so its time may come a little later).
    const at = typeof record.data?.begunAt === 'string' && Number.isFinite(Date.parse(record.data.begunAt)) ? record.data.begunAt : record.time;
    this.begun.set(step, Date.parse(at));
    const attributes = { 'wsd.cluster': cluster, 'wsd.step': record.step };
    return [this.start(step, ROOT_KEY, record.step, at, attributes), this.start(checkKey(cluster, record.step), step, `${record.step} pre-run check`, at, attributes)];
  }

  private eventOps(record: Extract<JournalRecord, { type: 'event' }>): SpanOp[] {
    if (record.code === STEP_BEGIN) return this.begin(record);
    const data = record.data ?? {};
    // Events of a deployment-wide step (the shift) name the step only.
    const owner = record.step ? this.attempts.get(stepKey(record.cluster ?? DEPLOYMENT_SCOPE, record.step)) : undefined;
    const parent = owner && this.isOpen(owner) ? owner : ROOT_KEY;
    switch (record.code) {
      case 'step.retry':
        return owner && this.isOpen(owner) ? [{ op: 'event', key: owner, name: 'retry', time: record.time, attributes: { 'wsd.message': record.message } }] : [];
      case 'traffic.staff':
        return this.newStage(parent, 'shift staff stage', record, {});
      case 'traffic.step': {
        const match = /^step (\d+)\/(\d+)/.exec(record.message);
        const name = match ? `shift step ${match[1]}/${match[2]}` : 'shift step';
        return this.newStage(parent, name, record, typeof data.percent === 'number' ? { 'wsd.shift.percent': data.percent } : {});
      }
      case 'traffic.bake':
        return this.newStage(parent, 'shift bake', record, { 'wsd.shift.percent': 100, ...(typeof data.bakeMs === 'number' ? { 'wsd.shift.bake_ms': data.bakeMs } : {}) });
      case 'traffic.promote':
      case 'traffic.first-generation':
        return this.newStage(parent, record.code === 'traffic.promote' ? 'shift promote' : 'shift first generation', record, {});
      case 'traffic.rollback': {
        const ops = this.newStage(parent, 'shift rollback', record, typeof data.reason === 'string' ? { 'wsd.rollback.reason': data.reason } : {});
        if (this.lastFailing && this.stage) ops.push({ op: 'event', key: this.stage, name: 'decision', time: record.time, attributes: this.lastFailing });
        return ops;
      }
      case 'traffic.done':
        return this.stage && this.isOpen(this.stage) ? this.end(this.stage, record.time) : [];
      case 'traffic.decision': {
        const attributes = decisionAttributes(data);
        if (data.verdict === 'fail' || data.verdict === 'halt') this.lastFailing = attributes;
        const key = this.stage && this.isOpen(this.stage) ? this.stage : parent;
        return [{ op: 'event', key, name: 'decision', time: record.time, attributes }];
      }
      default:
        return [];
    }
  }

  private newStage(parent: string, name: string, record: { time: string; message: string }, attributes: Attributes): SpanOp[] {
    const ops = this.stage && this.isOpen(this.stage) ? this.end(this.stage, record.time) : [];
    this.stage = `stage:${++this.stageCount}`;
    ops.push(this.start(this.stage, parent, name, record.time, { ...attributes, 'wsd.message': record.message }));
    return ops;
  }

  private rootStart(record: JournalRecord): SpanOp[] {
    const attributes: Attributes = { 'wsd.deployment.id': this.deploymentId };
    if (record.type === 'deployment.created') {
      attributes['wsd.project'] = record.inputs.project;
      attributes['wsd.environment'] = record.inputs.environment;
      attributes['wsd.cluster_id'] = record.clusterId;
      attributes['wsd.clusters'] = record.clusters.map((c) => c.name);
    } else {
      attributes['wsd.resumed'] = true;
    }
    return [this.start(ROOT_KEY, undefined, `deployment ${this.deploymentId}`, record.time, attributes)];
  }

  private start(key: string, parent: string | undefined, name: string, time: string, attributes: Attributes): SpanOp {
    this.open.push(key);
    if (parent) this.parents.set(key, parent);
    return { op: 'start', key, ...(parent ? { parent } : {}), name, time, attributes };
  }

  /** Ends `key` and every open span below it (children first), so no span is left dangling. */
  private end(key: string, time: string, error?: string): SpanOp[] {
    if (!this.isOpen(key)) return [];
    const ops: SpanOp[] = [];
    for (const child of [...this.open].reverse()) {
      if (child !== key && this.isBelow(child, key)) ops.push(...this.end(child, time, error));
    }
    this.open.splice(this.open.indexOf(key), 1);
    ops.push({ op: 'end', key, time, ...(error ? { error } : {}) });
    return ops;
  }

  private isBelow(key: string, ancestor: string): boolean {
    for (let p = this.parents.get(key); p; p = this.parents.get(p)) if (p === ancestor) return true;
    return false;
  }

  private isOpen(key: string): boolean {
    return this.open.includes(key);
  }
}

/** A `traffic.decision` record's data (docs/canary-analysis.md) as flat span attributes. */
export function decisionAttributes(data: Record<string, unknown>): Attributes {
  const out: Attributes = {};
  for (const field of ['verdict', 'rule', 'message', 'outcome'] as const) {
    if (typeof data[field] === 'string') out[`wsd.decision.${field}`] = data[field];
  }
  if (typeof data.percent === 'number') out['wsd.decision.percent'] = data.percent;
  const decisions = Array.isArray(data.decisions) ? (data.decisions as Array<Record<string, unknown>>) : [];
  out['wsd.decision.metrics'] = decisions.map((d) => String(d.metric));
  for (const d of decisions) {
    const prefix = `wsd.decision.metric.${String(d.metric)}`;
    if (typeof d.outcome === 'string') out[`${prefix}.outcome`] = d.outcome;
    if (typeof d.rule === 'string') out[`${prefix}.rule`] = d.rule;
    const clusters = Array.isArray(d.clusters) ? (d.clusters as Array<Record<string, unknown>>) : [];
    for (const c of clusters) {
      const at = `${prefix}.${String(c.cluster)}`;
      if (typeof c.value === 'number') out[`${at}.value`] = c.value;
      if (typeof c.samples === 'number') out[`${at}.samples`] = c.samples;
      const baseline = c.baseline as Record<string, unknown> | undefined;
      if (typeof baseline?.value === 'number') out[`${at}.baseline`] = baseline.value;
      if (c.threshold && typeof c.threshold === 'object') out[`${at}.threshold`] = JSON.stringify(c.threshold);
    }
  }
  return out;
}
