/** The trace as a pure function of journal records: span tree, retries, shift stages, decisions, rollback. */
import { describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../../src/state/model.js';
import { decisionAttributes, ROOT_KEY, TraceMapping, type SpanOp } from '../../../src/trace/trace-mapping.js';

let seq = 0;
const at = (s: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const rec = (s: number, r: Record<string, unknown>): JournalRecord => ({ seq: ++seq, time: at(s), ...r }) as JournalRecord;
const ev = (s: number, code: string, message: string, data?: Record<string, unknown>): JournalRecord =>
  rec(s, { type: 'event', level: 'info', code, step: 'traffic-shift', message, ...(data ? { data } : {}) });

const failing = {
  verdict: 'fail',
  rule: 'threshold.max',
  message: 'start-failure-ratio on c2 is 0.5, above the maximum 0.1',
  percent: 10,
  decisions: [
    { metric: 'start-failure-ratio', outcome: 'fail', rule: 'threshold.max', clusters: [{ cluster: 'c2', value: 0.5, samples: 40, threshold: { max: 0.1 }, baseline: { value: 0, samples: 39 } }] },
    { metric: 'latency', outcome: 'pass', rule: 'threshold.max', clusters: [{ cluster: 'c2', value: 1.5, samples: 40 }] },
  ],
};

function run(records: JournalRecord[]): SpanOp[] {
  const mapping = new TraceMapping('d1');
  return records.flatMap((r) => mapping.map(r));
}

describe('TraceMapping', () => {
  const ops = run([
    rec(0, { type: 'deployment.created', id: 'd1', inputs: { configFile: 'f', configHash: 'h', project: 'p', environment: 'dev' }, clusterId: 201, clusters: [{ name: 'c2' }], steps: [['create-cluster']], deploymentSteps: ['traffic-shift'] }),
    rec(1, { type: 'step.started', cluster: 'c2', step: 'create-cluster', attempt: 1 }),
    rec(2, { type: 'event', level: 'warn', code: 'step.retry', cluster: 'c2', step: 'create-cluster', message: 'transient failure' }),
    rec(3, { type: 'step.started', cluster: 'c2', step: 'create-cluster', attempt: 2 }),
    rec(4, { type: 'step.succeeded', cluster: 'c2', step: 'create-cluster', outputs: {}, durationMs: 3000 }),
    rec(5, { type: 'step.started', cluster: '*', step: 'traffic-shift', attempt: 1 }),
    ev(6, 'traffic.staff', 'staff stage'),
    ev(7, 'traffic.decision', 'pass: ok', { ...failing, verdict: 'pass', rule: 'all-passed' }),
    ev(8, 'traffic.step', 'step 1/3: 10 % of new starts on the new clusters', { percent: 10 }),
    ev(9, 'traffic.decision', 'fail', failing),
    ev(10, 'traffic.rollback', 'rolling back', { reason: 'fail: start-failure-ratio' }),
    rec(11, { type: 'step.failed', cluster: '*', step: 'traffic-shift', error: { code: 'ShiftRolledBack', message: 'rolled back' } }),
    rec(12, { type: 'deployment.finished', state: 'failed', error: { code: 'ShiftRolledBack', message: 'rolled back' } }),
  ]);
  const starts = ops.filter((o): o is Extract<SpanOp, { op: 'start' }> => o.op === 'start');
  const byName = (name: string) => starts.find((s) => s.name === name)!;

  it('builds one tree: deployment > step > attempt > shift stage', () => {
    expect(starts.map((s) => s.name)).toEqual([
      'deployment d1', 'create-cluster', 'create-cluster attempt 1', 'create-cluster attempt 2',
      'traffic-shift', 'traffic-shift attempt 1', 'shift staff stage', 'shift step 1/3', 'shift rollback',
    ]);
    expect(byName('deployment d1').parent).toBeUndefined();
    expect(byName('deployment d1').attributes).toMatchObject({ 'wsd.deployment.id': 'd1', 'wsd.cluster_id': 201, 'wsd.clusters': ['c2'] });
    expect(byName('create-cluster').parent).toBe(ROOT_KEY);
    expect(byName('create-cluster attempt 2').parent).toBe(byName('create-cluster').key);
    expect(byName('shift step 1/3').parent).toBe(byName('traffic-shift attempt 1').key);
    expect(byName('shift step 1/3').attributes['wsd.shift.percent']).toBe(10);
  });

  it('a retried attempt ends in error with a retry event; every started span ends once', () => {
    const first = byName('create-cluster attempt 1').key;
    expect(ops).toContainEqual({ op: 'event', key: first, name: 'retry', time: at(2), attributes: { 'wsd.message': 'transient failure' } });
    expect(ops).toContainEqual({ op: 'end', key: first, time: at(3), error: 'retried' });
    const ends = ops.filter((o) => o.op === 'end').map((o) => o.key);
    expect([...ends].sort()).toEqual(starts.map((s) => s.key).sort());
    expect(ops.at(-1)).toEqual({ op: 'end', key: ROOT_KEY, time: at(12), error: 'ShiftRolledBack: rolled back' });
  });

  it('decisions are events on the stage they judged; the rollback span holds the failing one', () => {
    const events = ops.filter((o): o is Extract<SpanOp, { op: 'event' }> => o.op === 'event' && o.name === 'decision');
    expect(events.map((e) => e.key)).toEqual([byName('shift staff stage').key, byName('shift step 1/3').key, byName('shift rollback').key]);
    const onRollback = events[2]!;
    expect(onRollback.attributes).toMatchObject({
      'wsd.decision.verdict': 'fail',
      'wsd.decision.rule': 'threshold.max',
      'wsd.decision.metrics': ['start-failure-ratio', 'latency'],
      'wsd.decision.metric.start-failure-ratio.c2.value': 0.5,
      'wsd.decision.metric.start-failure-ratio.c2.samples': 40,
      'wsd.decision.metric.start-failure-ratio.c2.baseline': 0,
      'wsd.decision.metric.start-failure-ratio.c2.threshold': '{"max":0.1}',
    });
    expect(byName('shift rollback').attributes['wsd.rollback.reason']).toBe('fail: start-failure-ratio');
  });

  it('a resumed run gets its own root; a skipped step is a span with its evidence', () => {
    const resumed = run([
      rec(0, { type: 'deployment.resumed', pid: 1 }),
      rec(1, { type: 'step.skipped', cluster: 'c2', step: 'create-cluster', evidence: 'exists' }),
    ]);
    expect(resumed[0]).toMatchObject({ op: 'start', key: ROOT_KEY, attributes: { 'wsd.resumed': true } });
    expect(resumed.slice(1).map((o) => o.op)).toEqual(['start', 'event', 'end']);
  });

  it('decisionAttributes tolerates records without evidence', () => {
    expect(decisionAttributes({ verdict: 'wait' })).toEqual({ 'wsd.decision.verdict': 'wait', 'wsd.decision.metrics': [] });
  });

  it('a partial run ends its root span without error, with the state and the count of steps left out', () => {
    const mapping = new TraceMapping('d2');
    const ops = [
      rec(0, { type: 'deployment.created', id: 'd2', inputs: { configFile: 'f', configHash: 'h', project: 'p', environment: 'dev' }, clusterId: 202, clusters: [{ name: 'c2' }], steps: [['create-cluster']], deploymentSteps: [] }),
      rec(1, { type: 'deployment.finished', state: 'partial', excluded: 3 }),
    ].flatMap((r) => mapping.map(r));
    expect(ops).toContainEqual({ op: 'event', key: ROOT_KEY, name: 'finished', time: at(1), attributes: { 'wsd.state': 'partial', 'wsd.excluded': 3 } });
    expect(ops.at(-1)).toEqual({ op: 'end', key: ROOT_KEY, time: at(1), error: undefined });
  });
});
