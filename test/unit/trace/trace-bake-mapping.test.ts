/** The bake is a shift stage span: it ends the last step's span, holds the bake's decisions, and ends with traffic.done. */
import { describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../../src/state/model.js';
import { TraceMapping, type SpanOp } from '../../../src/trace/trace-mapping.js';

let seq = 0;
const at = (s: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const rec = (s: number, r: Record<string, unknown>): JournalRecord => ({ seq: ++seq, time: at(s), ...r }) as JournalRecord;
const ev = (s: number, code: string, message: string, data?: Record<string, unknown>): JournalRecord => rec(s, { type: 'event', level: 'info', code, step: 'traffic-shift', message, ...(data ? { data } : {}) });

describe('TraceMapping: the bake', () => {
  it('opens a bake stage after the last step and puts the bake decisions on it', () => {
    const mapping = new TraceMapping('d1');
    const ops: SpanOp[] = [
      rec(0, { type: 'deployment.created', id: 'd1', inputs: { configFile: 'f', configHash: 'h', project: 'p', environment: 'dev' }, clusterId: 2, clusters: [{ name: 'c2' }], steps: [[]], deploymentSteps: ['traffic-shift'] }),
      rec(1, { type: 'step.started', cluster: '*', step: 'traffic-shift', attempt: 1 }),
      ev(2, 'traffic.step', 'step 1/1: 100 % of new starts on the new clusters', { percent: 100 }),
      ev(3, 'traffic.decision', 'pass', { verdict: 'pass', rule: 'measurement.pass', decisions: [] }),
      ev(4, 'traffic.bake', 'bake at 100 %: measuring for 30s', { percent: 100, bakeMs: 30_000 }),
      ev(5, 'traffic.decision', 'pass', { verdict: 'pass', rule: 'measurement.pass', decisions: [] }),
      ev(6, 'traffic.done', 'new clusters take all new starts'),
      rec(7, { type: 'step.succeeded', cluster: '*', step: 'traffic-shift', outputs: {}, durationMs: 6000 }),
    ].flatMap((r) => mapping.map(r));
    const starts = ops.filter((o): o is Extract<SpanOp, { op: 'start' }> => o.op === 'start');
    const step = starts.find((s) => s.name === 'shift step 1/1')!;
    const bake = starts.find((s) => s.name === 'shift bake')!;
    expect(bake.parent).toBe(step.parent);
    expect(bake.attributes).toMatchObject({ 'wsd.shift.percent': 100, 'wsd.shift.bake_ms': 30_000 });
    // The step ends when the bake begins; the bake ends with traffic.done.
    const stepEnd = ops.findIndex((o) => o.op === 'end' && o.key === step.key);
    expect(stepEnd).toBeLessThan(ops.indexOf(bake));
    expect(ops.filter((o) => o.op === 'event' && o.name === 'decision').map((o) => o.key)).toEqual([step.key, bake.key]);
    expect(ops.find((o) => o.op === 'end' && o.key === bake.key)).toMatchObject({ time: at(6) });
  });
});
