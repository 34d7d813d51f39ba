/**
 * `status --watch`'s view as a pure function of hand-built journal records,
 * queued commands and the time: the stage, per-region share, time in step and
 * to the next measurement, each gate's value vs threshold with samples, scores,
 * a waiting manual gate with its command, queued commands, and the end.
 */
import { describe, expect, it } from 'vitest';
import { waitingGateLine, watchView } from '../../../src/report/watch/watch-view.js';
import type { JournalRecord, Snapshot, StepRecordState } from '../../../src/state/model.js';
import { unappliedLine } from '../../../src/report/unapplied-commands.js';
import { CONCLUDED } from '../../../src/steps/step.js';

const ID = '20260101-120000-abcd';
const EU = 'gp-dev-ws-eu5-eu-west1';
const US = 'gp-dev-ws-us5-us-west1';
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const at = (s: number): string => new Date(T0 + s * 1000).toISOString();
const entry = (name: string, score: number, state = 'AVAILABLE') => ({ name, state, score, maxScore: 100, static: false, admissionConstraints: [] });

function journal(upTo: number): JournalRecord[] {
  let seq = 0;
  const rec = (s: number, r: Record<string, unknown>): JournalRecord => ({ seq: ++seq, time: at(s), ...r }) as JournalRecord;
  const all = [
    rec(0, { type: 'deployment.created', id: ID, inputs: { configFile: 'x', configHash: 'h', project: 'p', environment: 'dev' }, clusterId: 5, clusters: [
      { index: 0, name: EU, shortName: 'eu5', id: 5, region: 'europe-west1', prefix: 'eu', governedBy: 'meta', type: 'sandbox' },
      { index: 1, name: US, shortName: 'us5', id: 5, region: 'us-west1', prefix: 'us', governedBy: 'meta', type: 'sandbox' },
    ], steps: [['create-cluster', 'register-cluster'], ['create-cluster', 'register-cluster']], deploymentSteps: ['traffic-shift'] }),
    rec(1, { type: 'step.started', cluster: EU, step: 'create-cluster', attempt: 1 }),
    rec(1, { type: 'step.started', cluster: US, step: 'create-cluster', attempt: 1 }),
    rec(4, { type: 'step.succeeded', cluster: EU, step: 'create-cluster', outputs: {}, durationMs: 3000 }),
    rec(5, { type: 'step.started', cluster: EU, step: 'register-cluster', attempt: 1 }),
    rec(6, { type: 'step.succeeded', cluster: EU, step: 'register-cluster', outputs: {}, durationMs: 1000 }),
    rec(6, { type: 'step.succeeded', cluster: US, step: 'create-cluster', outputs: {}, durationMs: 5000 }),
    rec(7, { type: 'step.started', cluster: US, step: 'register-cluster', attempt: 1 }),
    rec(8, { type: 'step.succeeded', cluster: US, step: 'register-cluster', outputs: {}, durationMs: 1000 }),
    rec(10, { type: 'step.started', cluster: '*', step: 'traffic-shift', attempt: 1 }),
    rec(10, { type: 'event', level: 'info', code: 'traffic.clusters', step: 'traffic-shift', message: 'm', data: {
      newClusters: [{ name: 'eu5', cluster: EU, region: 'europe-west1' }, { name: 'us5', cluster: US, region: 'us-west1' }],
      oldClusters: [{ name: 'eu4', region: 'europe-west1' }, { name: 'us4', region: 'us-west1' }],
      steps: [10, 50, 100], gates: [{ name: 'start-failure-ratio', threshold: { max: 0.1 } }], intervalMs: 5000, measureEveryMs: 5000, initialDelayMs: 0, bakeMs: 5000 } }),
    rec(11, { type: 'step.checkpoint', cluster: '*', step: 'traffic-shift', outputs: { original: { meta: { eu5: entry('eu5', 100, 'CORDONED'), us5: entry('us5', 100, 'CORDONED'), eu4: entry('eu4', 100), us4: entry('us4', 100) } } } }),
    rec(12, { type: 'step.checkpoint', cluster: '*', step: 'traffic-shift', outputs: { progress: { phase: 'steps', stepIndex: 0, phaseStartedAtMs: T0 + 12_000, measurementsInStep: 0, paused: false } } }),
    rec(17, { type: 'event', level: 'info', code: 'traffic.decision', step: 'traffic-shift', message: 'pass', data: { at: at(17), verdict: 'pass', rule: 'all', message: 'ok', stepIndex: 0, percent: 10,
      decisions: [{ metric: 'start-failure-ratio', outcome: 'pass', rule: 'threshold.max', dryRun: false, samples: { new: 12, old: 120 }, threshold: { max: 0.1 },
        queries: [{ purpose: 'value', side: 'new', cluster: EU, values: [0.0833] }, { purpose: 'value', side: 'new', cluster: US, values: [0] }] }] } }),
    rec(17, { type: 'step.checkpoint', cluster: '*', step: 'traffic-shift', outputs: { progress: { phase: 'steps', stepIndex: 0, phaseStartedAtMs: T0 + 12_000, measurementsInStep: 1, paused: false } } }),
    rec(18, { type: 'step.checkpoint', cluster: '*', step: 'traffic-shift', outputs: { progress: { phase: 'steps', stepIndex: 0, phaseStartedAtMs: T0 + 12_000, measurementsInStep: 1, paused: true, gate: 'beforeIncrease' } } }),
    rec(30, { type: 'step.checkpoint', cluster: '*', step: 'traffic-shift', outputs: { progress: { phase: 'steps', stepIndex: 1, phaseStartedAtMs: T0 + 30_000, measurementsInStep: 0, paused: false } } }),
    rec(40, { type: 'step.checkpoint', cluster: '*', step: 'traffic-shift', outputs: { progress: { phase: 'done', stepIndex: 2, phaseStartedAtMs: T0 + 40_000, measurementsInStep: 0, paused: false } } }),
    rec(41, { type: 'step.succeeded', cluster: '*', step: 'traffic-shift', outputs: {}, durationMs: 31_000 }),
    rec(42, { type: 'deployment.finished', state: 'succeeded' }),
  ];
  return all.filter((r) => Date.parse(r.time) <= T0 + upTo * 1000);
}

describe('status --watch view', () => {
  it('before the shift: per cluster the step it is at', () => {
    const { lines, snapshot } = watchView({ records: journal(5), pending: [], now: T0 + 5_500 });
    expect(snapshot?.state).toBe('running');
    expect(lines).toEqual([`deployment ${ID}: running (6s)`, `  ${EU}  register-cluster running`, `  ${US}  create-cluster running`]);
  });

  it('in step 1: percent per region, time in step, next measurement, gate value vs threshold with samples, scores', () => {
    const { lines } = watchView({ records: journal(17), pending: [], now: T0 + 19_000 });
    expect(lines).toContain(`  ${EU}  all 2 steps done`);
    expect(lines).toContain('  traffic-shift: running');
    expect(lines).toContain('traffic shift: step 1/3 (10 %)');
    expect(lines).toContain('  7s in step; next measurement in 3s');
    expect(lines).toContain("  new generation's share: europe-west1 10 %, us-west1 10 %");
    expect(lines).toContain('  scores: eu5 10, us5 10, eu4 90, us4 90');
    expect(lines).toContain('  gate start-failure-ratio pass: eu5 0.0833, us5 0 vs max 0.1, 12 samples (baseline 120)');
  });

  it('a waiting manual gate names the command that answers it; queued commands are listed', () => {
    const { lines } = watchView({ records: journal(18), pending: [{ command: 'pause', sentAt: at(19) }], now: T0 + 20_000 });
    expect(lines).toContain(`waiting at manual gate beforeIncrease: approve with \`ws-deployment shift resume ${ID}\` (or promote / abort)`);
    expect(lines).toContain('queued commands: pause (sent 12:00:19)');
    // Paused: no countdown to a measurement that will not come.
    expect(lines).toContain('  8s in step');
  });

  it('without the clock (a pipe) the lines do not tick: only real changes differ', () => {
    const a = watchView({ records: journal(17), pending: [], now: T0 + 18_000, clock: false }).lines;
    const b = watchView({ records: journal(17), pending: [], now: T0 + 19_000, clock: false }).lines;
    expect(a).toEqual(b);
    expect(a[0]).toBe(`deployment ${ID}: running`);
    expect(a).toContain('traffic shift: step 1/3 (10 %)');
    expect(a.join('\n')).not.toMatch(/in step|next measurement/);
  });

  it('at the end: promoted, all new starts on the new generation, the deployment state', () => {
    const { lines, snapshot } = watchView({ records: journal(60), pending: [], now: T0 + 60_000 });
    expect(snapshot?.state).toBe('succeeded');
    expect(lines).toContain('traffic shift: promoted');
    expect(lines).toContain("  new generation's share: europe-west1 100 %, us-west1 100 %");
    expect(lines.at(-1)).toBe('deployment succeeded');
  });

  it('at the end of a partial run: how many steps were left out and the command that runs them', () => {
    const records = journal(8);
    const finished = [
      { seq: 100, time: at(9), type: 'step.excluded', cluster: '*', step: 'traffic-shift', by: '--skip' },
      { seq: 101, time: at(9), type: 'deployment.finished', state: 'partial', excluded: 1 },
    ] as JournalRecord[];
    const { lines } = watchView({ records: [...records, ...finished], pending: [], now: T0 + 10_000 });
    expect(lines.at(-1)).toBe(`deployment partial: 1 step not run yet (left out by --only/--skip, or held back behind one left out); run them with \`ws-deployment resume ${ID}\``);
  });

  it('in the staff stage: how long until it ends', () => {
    const staff = journal(11);
    staff.push({ seq: 99, time: at(12), type: 'step.checkpoint', cluster: '*', step: 'traffic-shift', outputs: { progress: { phase: 'staff', stepIndex: 0, phaseStartedAtMs: T0 + 12_000, measurementsInStep: 0, paused: false } } } as JournalRecord);
    const { lines } = watchView({ records: staff, pending: [], now: T0 + 14_000 });
    expect(lines).toContain('traffic shift: staff stage');
    expect(lines).toContain('  2s in stage');
    const withStaff = staff.map((r) => (r.type === 'event' && r.code === 'traffic.clusters' ? { ...r, data: { ...r.data, staffMs: 5000 } } : r));
    expect(watchView({ records: withStaff, pending: [], now: T0 + 14_000 }).lines).toContain('  2s in stage; ends in 3s');
  });

  it('before the journal has a deployment: says it waits', () => {
    expect(watchView({ records: [], pending: [], now: T0 }).lines).toEqual(['waiting for the deployment to start…']);
  });

  it('commands queued for a deployment that is over are said to be never applied, not queued', () => {
    const { lines } = watchView({ records: journal(42), pending: [{ command: 'promote', sentAt: at(41) }], now: T0 + 43_000 });
    expect(lines).not.toContain('queued commands: promote (sent 12:00:41)');
    expect(lines).toContain(`shift commands never applied: promote (sent 12:00:41); deployment ${ID} succeeded, so nothing takes them`);
  });
});

describe('unapplied shift commands', () => {
  const base = watchView({ records: journal(41), pending: [], now: T0 + 41_000 }).snapshot as Snapshot;
  const pending = [{ command: 'promote' as const, sentAt: at(40) }];

  it('a rolled-back deployment (over) never takes queued commands', () => {
    const shift = base.deploymentSteps.find((s) => s.name === 'traffic-shift') as StepRecordState;
    const rolledBack: Snapshot = { ...base, state: 'failed', deploymentSteps: [{ ...shift, state: 'failed', checkpoint: { [CONCLUDED]: 'its traffic shift rolled back: aborted by an operator' } }] };
    expect(unappliedLine(rolledBack, pending)).toBe(`shift commands never applied: promote (sent 12:00:40); deployment ${ID} is over: its traffic shift rolled back: aborted by an operator, so nothing takes them`);
  });

  it('a running or resumable deployment still takes them', () => {
    expect(unappliedLine(base, pending)).toBeUndefined();
    expect(unappliedLine({ ...base, state: 'failed' }, pending)).toBeUndefined();
  });
});

describe('the gate a running deployment waits at, for status', () => {
  it('names the shift gate and the command that answers it, only while the run waits there', () => {
    const at18 = journal(18);
    const waiting = watchView({ records: at18, pending: [], now: T0 + 20_000 }).snapshot as Snapshot;
    expect(waitingGateLine(at18, waiting)).toBe(`waiting at manual gate beforeIncrease: approve with \`ws-deployment shift resume ${ID}\` (or promote / abort)`);
    // The process is gone: resume asks again, status says interrupted instead.
    expect(waitingGateLine(at18, { ...waiting, state: 'interrupted' })).toBeUndefined();
    const at30 = journal(30);
    expect(waitingGateLine(at30, watchView({ records: at30, pending: [], now: T0 + 31_000 }).snapshot as Snapshot)).toBeUndefined();
  });
});

