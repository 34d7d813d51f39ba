/**
 * The journal reducer (src/state/model.ts): each record type's effect on the
 * snapshot, written out by hand. Both stores and `resume` rebuild state with it.
 */
import { describe, expect, it } from 'vitest';
import { applyRecord, findCluster, findStep, isDone, SNAPSHOT_SCHEMA_VERSION, type JournalRecord, type Snapshot } from '../../../src/state/model.js';

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T00:01:00.000Z';
const T2 = '2026-01-01T00:02:00.000Z';
const inputs = { configFile: '/c.yaml', configHash: 'h', project: 'p', environment: 'prod' };

function created(): Snapshot {
  return applyRecord(undefined, {
    seq: 1,
    time: T0,
    type: 'deployment.created',
    id: 'd1',
    inputs,
    clusterId: 7,
    clusters: [
      { index: 0, name: 'gke-a', shortName: 'a', id: 7, region: 'r', prefix: 'eu', governedBy: 'eu', type: 'gke' },
      { index: 1, name: 'gke-b', shortName: 'b', id: 8, region: 'r', prefix: 'eu', governedBy: 'eu', type: 'gke' },
    ],
    steps: [['create-cluster', 'install-gitpod'], ['create-cluster']],
    deploymentSteps: ['traffic-shift'],
  } as JournalRecord);
}

/** Applies records with consecutive seq numbers after `snap`, each at time `time`. */
function apply(snap: Snapshot, time: string, ...records: Array<Record<string, unknown>>): Snapshot {
  let s = snap;
  for (const r of records) s = applyRecord(s, { seq: s.seq + 1, time, ...r } as JournalRecord);
  return s;
}

describe('deployment.created', () => {
  it('starts a running snapshot with every step pending and no attempts', () => {
    expect(created()).toEqual({
      schemaVersion: SNAPSHOT_SCHEMA_VERSION,
      seq: 1,
      id: 'd1',
      state: 'running',
      createdAt: T0,
      updatedAt: T0,
      inputs,
      clusterId: 7,
      clusters: [
        { index: 0, name: 'gke-a', shortName: 'a', id: 7, region: 'r', prefix: 'eu', governedBy: 'eu', type: 'gke', steps: [{ name: 'create-cluster', state: 'pending', attempts: 0 }, { name: 'install-gitpod', state: 'pending', attempts: 0 }] },
        { index: 1, name: 'gke-b', shortName: 'b', id: 8, region: 'r', prefix: 'eu', governedBy: 'eu', type: 'gke', steps: [{ name: 'create-cluster', state: 'pending', attempts: 0 }] },
      ],
      deploymentSteps: [{ name: 'traffic-shift', state: 'pending', attempts: 0 }],
    });
    expect(SNAPSHOT_SCHEMA_VERSION).toBe(1);
  });

  it('gives a cluster without a step list no steps, and an old journal without deployment steps none', () => {
    const s = applyRecord(undefined, { seq: 1, time: T0, type: 'deployment.created', id: 'd', inputs, clusterId: 1, clusters: [{ index: 0, name: 'x', shortName: 'x', id: 1, region: 'r', prefix: 'p', governedBy: 'p', type: 'k3s' }], steps: [] } as JournalRecord);
    expect(s.clusters[0]!.steps).toEqual([]);
    expect(s.deploymentSteps).toEqual([]);
  });

  it('refuses any other record before it, naming its seq and type', () => {
    expect(() => applyRecord(undefined, { seq: 4, time: T0, type: 'deployment.resumed', pid: 1 })).toThrow('journal record 4 (deployment.resumed) comes before deployment.created');
    // A damaged journal, not a bug: StateCorrupt (the CLI shows it without "internal error (please report)").
    expect(() => applyRecord(undefined, { seq: 4, time: T0, type: 'deployment.resumed', pid: 1 })).toThrow(expect.objectContaining({ code: 'StateCorrupt' }));
  });

  it('refuses a second deployment.created rather than resetting every step to pending', () => {
    const snap = apply(created(), T1, { type: 'step.started', cluster: 'gke-a', step: 'create-cluster', attempt: 1 });
    const again = { seq: 9, time: T2, type: 'deployment.created', id: 'd1', inputs, clusterId: 7, clusters: [], steps: [] } as JournalRecord;
    expect(() => applyRecord(snap, again)).toThrow(expect.objectContaining({ code: 'StateCorrupt', message: expect.stringContaining('journal record 9 is a second deployment.created') }));
  });
});

describe('step records change only the named step of the named cluster', () => {
  it('step.started: running, the attempt number, the first start time kept, old error, duration and exclusion cleared', () => {
    let s = apply(created(), T1, { type: 'step.excluded', cluster: 'gke-a', step: 'install-gitpod', by: '--skip' });
    expect(findStep(s, 'gke-a', 'install-gitpod')).toEqual({ name: 'install-gitpod', state: 'pending', attempts: 0, excluded: '--skip' });
    s = apply(s, T1, { type: 'step.started', cluster: 'gke-a', step: 'install-gitpod', attempt: 1 }, { type: 'step.failed', cluster: 'gke-a', step: 'install-gitpod', error: { code: 'E', message: 'm' }, durationMs: 5 });
    expect(findStep(s, 'gke-a', 'install-gitpod')).toEqual({ name: 'install-gitpod', state: 'failed', attempts: 1, startedAt: T1, endedAt: T1, durationMs: 5, error: { code: 'E', message: 'm' }, excluded: undefined });
    s = apply(s, T2, { type: 'step.started', cluster: 'gke-a', step: 'install-gitpod', attempt: 2 });
    expect(findStep(s, 'gke-a', 'install-gitpod')).toMatchObject({ state: 'running', attempts: 2, startedAt: T1, error: undefined, excluded: undefined });
    expect(findStep(s, 'gke-a', 'install-gitpod')?.durationMs).toBeUndefined();
    // Interrupted in this run: no duration is shown as its own (the failed run's 5 ms is not this run's).
    s = apply(s, T2, { type: 'step.interrupted', cluster: 'gke-a', step: 'install-gitpod' });
    expect(findStep(s, 'gke-a', 'install-gitpod')?.durationMs).toBeUndefined();
    // The same step name on the other cluster, and the other step here, are untouched.
    expect(findStep(s, 'gke-b', 'create-cluster')).toEqual({ name: 'create-cluster', state: 'pending', attempts: 0 });
    expect(findStep(s, 'gke-a', 'create-cluster')).toEqual({ name: 'create-cluster', state: 'pending', attempts: 0 });
    expect(s.seq).toBe(6);
    expect(s.updatedAt).toBe(T2);
    expect(s.createdAt).toBe(T0);
  });

  it('step.checkpoint merges outputs into the checkpoint, later keys winning', () => {
    const s = apply(created(), T1, { type: 'step.checkpoint', cluster: 'gke-b', step: 'create-cluster', outputs: { a: 1, b: 1 } }, { type: 'step.checkpoint', cluster: 'gke-b', step: 'create-cluster', outputs: { b: 2, c: 3 } });
    expect(findStep(s, 'gke-b', 'create-cluster')!.checkpoint).toEqual({ a: 1, b: 2, c: 3 });
  });

  it('step.succeeded: outputs replaced, end time and duration recorded', () => {
    const s = apply(created(), T2, { type: 'step.succeeded', cluster: 'gke-a', step: 'create-cluster', outputs: { x: 1 }, durationMs: 42 });
    expect(findStep(s, 'gke-a', 'create-cluster')).toEqual({ name: 'create-cluster', state: 'succeeded', attempts: 0, outputs: { x: 1 }, endedAt: T2, durationMs: 42 });
  });

  it('step.skipped: the evidence, and its outputs or else the ones it had', () => {
    let s = apply(created(), T1, { type: 'step.succeeded', cluster: 'gke-a', step: 'install-gitpod', outputs: { old: 1 }, durationMs: 1 });
    s = apply(s, T2, { type: 'step.skipped', cluster: 'gke-a', step: 'install-gitpod', evidence: 'already there' });
    expect(findStep(s, 'gke-a', 'install-gitpod')).toEqual({ name: 'install-gitpod', state: 'skipped', attempts: 0, outputs: { old: 1 }, evidence: 'already there', endedAt: T2, durationMs: 1 });
    s = apply(s, T2, { type: 'step.skipped', cluster: 'gke-a', step: 'install-gitpod', evidence: 'e2', outputs: { new: 2 } });
    expect(findStep(s, 'gke-a', 'install-gitpod')!.outputs).toEqual({ new: 2 });
  });

  it('step.interrupted: state and end time', () => {
    const s = apply(created(), T2, { type: 'step.interrupted', cluster: 'gke-b', step: 'create-cluster' });
    expect(findStep(s, 'gke-b', 'create-cluster')).toEqual({ name: 'create-cluster', state: 'interrupted', attempts: 0, endedAt: T2 });
  });

  it('a deployment-scope record (cluster *) changes the deployment step, no cluster step', () => {
    const s = apply(created(), T1, { type: 'step.started', cluster: '*', step: 'traffic-shift', attempt: 1 });
    expect(findStep(s, '*', 'traffic-shift')).toMatchObject({ state: 'running', attempts: 1 });
    expect(s.clusters.flatMap((c) => c.steps).every((st) => st.state === 'pending')).toBe(true);
    const t = apply(created(), T1, { type: 'step.started', cluster: 'gke-a', step: 'create-cluster', attempt: 1 });
    expect(t.deploymentSteps).toEqual([{ name: 'traffic-shift', state: 'pending', attempts: 0 }]);
    // The same step name on another cluster is untouched.
    expect(findStep(t, 'gke-b', 'create-cluster')).toEqual({ name: 'create-cluster', state: 'pending', attempts: 0 });
  });

  it('a deployment-scope record changes only the named deployment step', () => {
    const two = applyRecord(undefined, { seq: 1, time: T0, type: 'deployment.created', id: 'd', inputs, clusterId: 1, clusters: [], steps: [], deploymentSteps: ['traffic-shift', 'retire-old-clusters'] } as JournalRecord);
    const s = apply(two, T1, { type: 'step.interrupted', cluster: '*', step: 'retire-old-clusters' });
    expect(s.deploymentSteps).toEqual([
      { name: 'traffic-shift', state: 'pending', attempts: 0 },
      { name: 'retire-old-clusters', state: 'interrupted', attempts: 0, endedAt: T1 },
    ]);
  });

  it('a deployment-scope record on a snapshot without deployment steps is a no-op', () => {
    const old = { ...created() } as Partial<Snapshot>;
    delete old.deploymentSteps;
    const s = applyRecord(old as Snapshot, { seq: 2, time: T1, type: 'step.started', cluster: '*', step: 'traffic-shift', attempt: 1 });
    expect(s.deploymentSteps).toEqual([]);
  });
});

describe('deployment records', () => {
  it('finished sets the final state and error; resumed makes it running again and clears the error', () => {
    let s = apply(created(), T1, { type: 'deployment.finished', state: 'failed', error: { code: 'X', message: 'boom' } });
    expect([s.state, s.error]).toEqual(['failed', { code: 'X', message: 'boom' }]);
    s = apply(s, T2, { type: 'deployment.resumed', pid: 9 });
    expect([s.state, s.error]).toEqual(['running', undefined]);
  });

  it('an event record changes nothing but seq and updatedAt', () => {
    const before = created();
    const s = apply(before, T2, { type: 'event', level: 'info', code: 'c', message: 'm' });
    expect(s).toEqual({ ...before, seq: 2, updatedAt: T2 });
  });

  it('never changes the snapshot it was given (the reducer is pure)', () => {
    const before = created();
    const copy = structuredClone(before);
    apply(before, T1, { type: 'step.started', cluster: 'gke-a', step: 'create-cluster', attempt: 1 }, { type: 'deployment.finished', state: 'failed' });
    applyRecord(before, { seq: 2, time: T1, type: 'deployment.finished', state: 'succeeded' });
    expect(before).toEqual(copy);
  });
});

describe('findStep and isDone', () => {
  it('finds a step by cluster and name, undefined for an unknown cluster or step', () => {
    const s = created();
    expect(findStep(s, 'gke-b', 'create-cluster')).toEqual({ name: 'create-cluster', state: 'pending', attempts: 0 });
    expect(findStep(s, 'gke-b', 'install-gitpod')).toBeUndefined();
    expect(findStep(s, 'gke-z', 'create-cluster')).toBeUndefined();
    expect(findStep(s, '*', 'traffic-shift')).toEqual({ name: 'traffic-shift', state: 'pending', attempts: 0 });
  });

  it('counts only succeeded and skipped as done', () => {
    const done = (['pending', 'running', 'succeeded', 'failed', 'skipped', 'interrupted'] as const).filter(isDone);
    expect(done).toEqual(['succeeded', 'skipped']);
  });
});

describe('cluster lookup by name', () => {
  it('finds every cluster of a large deployment, and follows an array changed by hand', () => {
    const clusters = Array.from({ length: 300 }, (_, i) => ({ index: i, name: `c${i}`, shortName: `s${i}`, id: i, region: 'r', prefix: 'eu', governedBy: 'eu', type: 'gke' as const }));
    let snap = applyRecord(undefined, { seq: 1, time: T0, type: 'deployment.created', id: 'd1', inputs, clusterId: 0, clusters, steps: clusters.map(() => ['create-cluster']) } as JournalRecord);
    for (let i = 299; i >= 0; i -= 7) snap = apply(snap, T1, { type: 'step.started', cluster: `c${i}`, step: 'create-cluster', attempt: 1 });
    for (let i = 0; i < 300; i++) expect(findCluster(snap, `c${i}`)?.steps[0]?.state, `c${i}`).toBe((299 - i) % 7 === 0 ? 'running' : 'pending');
    expect(findCluster(snap, 'nope')).toBeUndefined();
    // Reordered by hand (a test fixture, an edited snapshot): the index is rebuilt, never trusted blindly.
    const reordered: Snapshot = { ...snap, clusters: [...snap.clusters].reverse() };
    expect(findStep(reordered, 'c299', 'create-cluster')?.state).toBe('running');
    expect(apply(reordered, T2, { type: 'step.failed', cluster: 'c1', step: 'create-cluster', error: { code: 'X', message: 'm' } }).clusters[298]?.steps[0]?.state).toBe('failed');
  });
});
