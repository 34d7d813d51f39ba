import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { realClock } from '../../../src/traffic/clock.js';
import { trafficShiftSchema, type TrafficShiftInput } from '../../../src/traffic/config.js';
import { runShift, type ShiftResult } from '../../../src/traffic/shift-controller.js';
import { FakeMetricProvider } from './fake-metric-provider.js';
import { FakeRegistry, MemoryJournal, QueueControl } from './fake-shift-ports.js';

const METAS = ['meta-eu', 'meta-us'];
const NEW = { name: 'eu18', cluster: 'gp-prod-ws-eu18-eu-west1', region: 'europe-west1' };
const OLD = { name: 'eu17', cluster: 'gp-prod-ws-eu17-eu-west1', region: 'europe-west1' };
const RATE = (short: string) => `fail_rate{c="${short}"}`;

function config(extra: Partial<TrafficShiftInput> = {}) {
  return trafficShiftSchema.parse({
    steps: [25, 50, 100],
    interval: '60s',
    analysis: {
      provider: { type: 'simulator' },
      metrics: [{ name: 'start-failure-rate', query: 'fail_rate{c="{{shortName}}"}', threshold: { max: 0.05 } }],
      consecutiveErrorLimit: 1,
    },
    ...extra,
  } as TrafficShiftInput);
}

function setup() {
  const registry = new FakeRegistry();
  for (const meta of METAS) {
    registry.add(meta, { name: 'eu18', state: 'CORDONED', score: 50 }).add(meta, { name: 'eu17', score: 100 });
  }
  const journal = new MemoryJournal(registry.log);
  const provider = new FakeMetricProvider().set(RATE('eu18'), [0.01]).set(RATE('eu17'), [0.01]);
  const control = new QueueControl();
  const sink = new MemorySink();
  const deps = { registry, metas: METAS, provider, clock: realClock, journal, control, sink };
  return { registry, journal, provider, control, sink, deps };
}

/** Runs the shift on fake timers; `result()` reports it once settled. */
function start(deps: ReturnType<typeof setup>['deps'], cfg = config(), signal?: AbortSignal) {
  let settled: ShiftResult | Error | undefined;
  runShift({ ...deps, signal }, { deploymentId: 'd1', config: cfg, newClusters: [NEW], oldClusters: [OLD] }).then(
    (r) => (settled = r),
    (e: Error) => (settled = e),
  );
  return { result: () => settled };
}

const minutes = (n: number) => vi.advanceTimersByTimeAsync(n * 60_000);

/** An operator's abort is the reason, with when the run took it (who, where `shift abort` names a sender). */
const ABORTED = expect.stringMatching(/^aborted by an operator at \d{4}-\d\d-\d\dT/);

describe('shift controller', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2025-01-01T12:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('saves original scores first, walks the steps on every meta and promotes', async () => {
    const { registry, journal, deps, sink } = setup();
    const run = start(deps);
    await vi.advanceTimersByTimeAsync(1);
    // The snapshot on each meta, then on each a List before the step's uncordon (a state this tool cannot read is not replaced unseen).
    expect(registry.log.filter((l) => l.startsWith('list')).length).toBe(4);
    expect(registry.log.slice(0, registry.log.indexOf('journal original')).filter((l) => l.startsWith('list')).length).toBe(2);
    expect(registry.log.findIndex((l) => l === 'journal original')).toBeLessThan(registry.log.findIndex((l) => l.startsWith('update')));
    for (const meta of METAS) {
      expect(registry.get(meta, 'eu18')).toMatchObject({ state: 'AVAILABLE', score: 25 });
      expect(registry.get(meta, 'eu17')).toMatchObject({ state: 'AVAILABLE', score: 75 });
    }
    // Score is set before the uncordon: a new cluster never takes traffic at its registration score.
    const eu18 = registry.log.filter((l) => l.startsWith('update meta-eu eu18'));
    expect(eu18.slice(0, 2)).toEqual(['update meta-eu eu18 {"score":25}', 'update meta-eu eu18 {"cordoned":false}']);
    await minutes(1);
    expect(registry.get('meta-us', 'eu18').score).toBe(50);
    await minutes(1);
    expect(registry.get('meta-us', 'eu17').score).toBe(0);
    expect(run.result()).toBeUndefined();
    await minutes(1);
    expect(run.result()).toMatchObject({ outcome: 'promoted' });
    for (const meta of METAS) {
      expect(registry.get(meta, 'eu18')).toMatchObject({ state: 'AVAILABLE', score: 100 });
      expect(registry.get(meta, 'eu17')).toMatchObject({ state: 'CORDONED', score: 0 });
    }
    expect(journal.decisions.map((d) => [d.percent, d.verdict])).toEqual([[25, 'pass'], [50, 'pass'], [100, 'pass']]);
    expect(journal.decisions[0]?.decisions[0]?.queries[0]?.query).toBe(RATE('eu18'));
    expect(sink.codes()).toContain('traffic.done');
  });

  it('rolls back instantly on a failing metric: new score 0 + cordoned, old scores restored, everywhere', async () => {
    const { registry, provider, deps, journal } = setup();
    const run = start(deps);
    await minutes(1);
    provider.set(RATE('eu18'), [0.4]);
    await minutes(1);
    expect(run.result()).toMatchObject({ outcome: 'rolled-back', reason: expect.stringMatching(/^fail: failed measurements 1 > failureLimit 0: start-failure-rate on gp-prod-ws-eu18-eu-west1 is 0.4, above the maximum 0.05/) });
    for (const meta of METAS) {
      expect(registry.get(meta, 'eu18')).toMatchObject({ state: 'CORDONED', score: 0 });
      expect(registry.get(meta, 'eu17')).toMatchObject({ state: 'AVAILABLE', score: 100 });
    }
    expect(journal.progress).toMatchObject({ phase: 'rolled-back' });
    // A re-run after a rollback does nothing.
    const again = start(deps);
    await vi.advanceTimersByTimeAsync(1);
    expect(again.result()).toMatchObject({ outcome: 'rolled-back' });
  });

  it('halts and rolls back when metrics stay unavailable beyond consecutiveErrorLimit', async () => {
    const { registry, provider, deps } = setup();
    provider.fail(RATE('eu18'), 'unreachable');
    const run = start(deps);
    await minutes(1);
    expect(run.result()).toBeUndefined();
    await minutes(1);
    expect(run.result()).toMatchObject({ outcome: 'rolled-back', reason: expect.stringMatching(/^halt: metrics unavailable for 2 measurements in a row/) });
    expect(registry.get('meta-eu', 'eu18').state).toBe('CORDONED');
  });

  it('steps back gradually over the rollback duration', async () => {
    const { registry, provider, deps } = setup();
    const run = start(deps, config({ rollback: { mode: 'gradual', duration: '4m', steps: 4 } }));
    await minutes(1);
    provider.set(RATE('eu18'), [0.4]);
    await minutes(1);
    expect(registry.get('meta-eu', 'eu18').score).toBe(38);
    await minutes(1);
    expect(registry.get('meta-eu', 'eu18').score).toBe(25);
    await minutes(1);
    expect(registry.get('meta-eu', 'eu18').score).toBe(13);
    expect(run.result()).toBeUndefined();
    await minutes(1);
    expect(run.result()).toMatchObject({ outcome: 'rolled-back' });
    expect(registry.scores('meta-us', 'eu18')).toEqual([25, 50, 38, 25, 13, 0]);
    expect(registry.get('meta-us', 'eu17')).toMatchObject({ score: 100, state: 'AVAILABLE' });
  });

  it('resumes after an interrupt at the same step, honouring the elapsed time, without re-snapshotting', async () => {
    const { registry, journal, deps } = setup();
    const abort = new AbortController();
    const first = start(deps, config(), abort.signal);
    await minutes(1.5); // step 2 began at 1 min
    abort.abort();
    await vi.advanceTimersByTimeAsync(1);
    expect((first.result() as Error).name).toBe('AbortError');
    expect(journal.progress).toMatchObject({ phase: 'steps', stepIndex: 1, measurementsInStep: 0 });
    const logBefore = registry.log.length;
    // A meta cluster was left behind (an apply failed there before the crash): resume repairs it.
    await registry.update('meta-us', 'eu18', { score: 25 });
    const second = start(deps);
    await vi.advanceTimersByTimeAsync(1);
    expect(registry.get('meta-us', 'eu18').score).toBe(50);
    await vi.advanceTimersByTimeAsync(28_998);
    expect(journal.decisions.length).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000); // 60 s after step 2 began
    expect(journal.decisions.length).toBe(2);
    expect(registry.get('meta-eu', 'eu18').score).toBe(100);
    await minutes(1);
    expect(second.result()).toMatchObject({ outcome: 'promoted' });
    expect(journal.originalSaves).toBe(1);
    // No new snapshot: the resumed run changed the registries without listing them first.
    const resumedLog = registry.log.slice(logBefore);
    expect(resumedLog.findIndex((l) => l.startsWith('list'))).toBeGreaterThan(resumedLog.findIndex((l) => l.startsWith('update')));
  });

  it('after a long interruption measures once at the next slot instead of replaying the missed ones', async () => {
    const { journal, deps } = setup();
    const abort = new AbortController();
    const cfg = config({ steps: [100], bake: '10m' });
    start(deps, cfg, abort.signal);
    await minutes(2.5); // 100 % passed at 1 min; one bake measurement at 2 min
    abort.abort();
    await vi.advanceTimersByTimeAsync(1);
    expect(journal.progress).toMatchObject({ phase: 'bake', measurementsInStep: 1 });
    await minutes(6); // the process is gone for six minutes: slots 3…8 min pass unmeasured
    const decisions = journal.decisions.length;
    const second = start(deps, cfg);
    await vi.advanceTimersByTimeAsync(1);
    // One measurement for the slot that is due (its window holds the last interval's traffic), not six.
    expect(journal.decisions.length).toBe(decisions + 1);
    await vi.advanceTimersByTimeAsync(29_000); // the next slot boundary: 9 min
    expect(journal.decisions.length).toBe(decisions + 1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(journal.decisions.length).toBe(decisions + 2);
    await minutes(3); // the bake (10 min from 1 min) ends on the first pass at or after 11 min
    expect(second.result()).toMatchObject({ outcome: 'promoted' });
  });

  it('pauses, resumes, and promotes on command', async () => {
    const { registry, journal, control, deps, sink } = setup();
    const run = start(deps);
    control.push('pause');
    await minutes(5);
    expect(journal.decisions.length).toBe(0);
    expect(journal.progress?.paused).toBe(true);
    expect(sink.events.find((e) => e.code === 'traffic.paused')?.message).toMatch(/`ws-deployment shift resume d1` continues it$/);
    // A pause sent before the shift started holds it before its first change.
    expect(registry.get('meta-eu', 'eu18').state).toBe('CORDONED');
    control.push('resume');
    for (let s = 0; s < 600 && journal.decisions.length === 0; s++) await vi.advanceTimersByTimeAsync(1_000);
    expect(journal.decisions.length).toBe(1);
    control.push('promote');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(run.result()).toMatchObject({ outcome: 'promoted' });
    expect(registry.get('meta-eu', 'eu18').score).toBe(100);
    expect(registry.get('meta-eu', 'eu17').state).toBe('CORDONED');
  });

  // A decided course (rollback or promote) stopped half-way by a bridge error or a kill is finished on resume:
  // never walked back to the journaled step's scores, never measured again, on every meta cluster alike.
  it('a rollback stopped half-way by a bridge error is finished on resume, not the shift', async () => {
    const { registry, journal, control, deps } = setup();
    const run = start(deps);
    await minutes(1.5); // at step 2 (50 %)
    control.push('abort');
    registry.transientFailures = 1_000; // the bridges go away as the rollback starts
    for (let s = 0; s < 60 && run.result() === undefined; s++) await vi.advanceTimersByTimeAsync(1_000);
    expect(run.result()).toBeInstanceOf(Error);
    expect(journal.progress).toMatchObject({ phase: 'steps', rollingBack: { reason: ABORTED } });
    registry.transientFailures = 0;
    const decisions = journal.decisions.length;
    const logBefore = registry.log.length;
    const resumed = start(deps);
    await vi.advanceTimersByTimeAsync(1);
    expect(resumed.result()).toMatchObject({ outcome: 'rolled-back', reason: ABORTED });
    // Who and when, journaled with the rollback's start, are kept by the run that finishes it.
    expect(journal.progress).toMatchObject({ phase: 'rolled-back', aborted: { where: 'step 2/3 (50 %)', at: expect.any(String) } });
    for (const meta of METAS) {
      expect(registry.get(meta, 'eu18')).toMatchObject({ state: 'CORDONED', score: 0 });
      expect(registry.get(meta, 'eu17')).toMatchObject({ state: 'AVAILABLE', score: 100 });
    }
    // Not one update raised a new cluster's score again, and nothing was measured.
    expect(registry.log.slice(logBefore).filter((l) => /eu18 \{"score":[1-9]/.test(l))).toEqual([]);
    expect(journal.decisions.length).toBe(decisions);
    expect(journal.progress).toMatchObject({ phase: 'rolled-back' });
    expect(journal.progress?.rollingBack).toBeUndefined();
  });

  it('a gradual rollback interrupted half-way is finished at once on resume', async () => {
    const { registry, provider, deps } = setup();
    const cfg = config({ rollback: { mode: 'gradual', duration: '4m', steps: 4 } });
    const abort = new AbortController();
    start(deps, cfg, abort.signal);
    await minutes(1);
    provider.set(RATE('eu18'), [0.4]);
    await minutes(2); // failed at 50 %, stepped back to 38 %, then 25 %
    expect(registry.get('meta-eu', 'eu18').score).toBe(25);
    abort.abort();
    await vi.advanceTimersByTimeAsync(1);
    provider.set(RATE('eu18'), [0.01]); // healthy again: a resumed shift would now go on
    const resumed = start(deps, cfg);
    await vi.advanceTimersByTimeAsync(1);
    expect(resumed.result()).toMatchObject({ outcome: 'rolled-back', reason: expect.stringMatching(/^fail: /) });
    for (const meta of METAS) expect(registry.get(meta, 'eu18')).toMatchObject({ state: 'CORDONED', score: 0 });
    expect(registry.scores('meta-us', 'eu18')).toEqual([25, 50, 38, 25, 0]);
  });

  it('an operator\'s promote stopped half-way by a bridge error is finished on resume', async () => {
    const { registry, journal, control, deps } = setup();
    const run = start(deps);
    await minutes(0.5); // at step 1 (25 %)
    control.push('promote');
    registry.transientFailures = 1_000;
    for (let s = 0; s < 60 && run.result() === undefined; s++) await vi.advanceTimersByTimeAsync(1_000);
    expect(run.result()).toBeInstanceOf(Error);
    expect(journal.progress).toMatchObject({ phase: 'steps', stepIndex: 0, promoting: true });
    registry.transientFailures = 0;
    const resumed = start(deps);
    await vi.advanceTimersByTimeAsync(1);
    expect(resumed.result()).toMatchObject({ outcome: 'promoted' });
    for (const meta of METAS) {
      expect(registry.get(meta, 'eu18')).toMatchObject({ state: 'AVAILABLE', score: 100 });
      expect(registry.get(meta, 'eu17')).toMatchObject({ state: 'CORDONED' });
    }
    // Never walked back to step 1's 25 %.
    expect(registry.scores('meta-us', 'eu18').at(-1)).toBe(100);
    expect(registry.scores('meta-us', 'eu18').filter((x) => x === 25)).toHaveLength(1);
  });

  it('rolls back on an abort command', async () => {
    const { registry, control, deps } = setup();
    const run = start(deps);
    await minutes(1);
    control.push('abort');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(run.result()).toMatchObject({ outcome: 'rolled-back', reason: ABORTED });
    expect(registry.get('meta-us', 'eu18')).toMatchObject({ state: 'CORDONED', score: 0 });
  });

  it('a gradual rollback after an abort at a manual gate steps down and finishes (the gate\'s hold does not hold it)', async () => {
    const { registry, control, journal, deps } = setup();
    const cfg = config({ rollback: { mode: 'gradual', duration: '4m', steps: 4 }, gates: { beforeIncrease: 'manual' } } as Partial<TrafficShiftInput>);
    const run = start(deps, cfg);
    await minutes(1.5);
    expect(journal.progress).toMatchObject({ paused: true, gate: 'beforeIncrease' });
    control.push('abort');
    await minutes(5);
    expect(run.result()).toMatchObject({ outcome: 'rolled-back', reason: ABORTED });
    expect(registry.scores('meta-us', 'eu18')).toEqual([25, 19, 13, 6, 0]);
  });

  it('after a restart gives samples the whole deadline again instead of judging the time nobody watched', async () => {
    const { provider, journal, deps } = setup();
    const cfg = config();
    cfg.analysis!.metrics[0] = { ...cfg.analysis!.metrics[0]!, minSamples: 10, samplesQuery: 'starts{c="{{shortName}}"}' };
    cfg.analysis!.sampleDeadline = 120_000;
    provider.set('starts{c="eu18"}', [2]).set('starts{c="eu17"}', [50]);
    const abort = new AbortController();
    start(deps, cfg, abort.signal);
    await minutes(1.5); // one measurement: wait
    abort.abort();
    await vi.advanceTimersByTimeAsync(1);
    await minutes(10); // down for ten minutes, far past the 2-minute deadline
    start(deps, cfg);
    await vi.advanceTimersByTimeAsync(1);
    expect(journal.decisions.at(-1)?.verdict).toBe('wait');
    await minutes(2); // measurements at 12 and 13 min: still within 2 minutes of watching
    expect(journal.decisions.at(-1)?.verdict).toBe('wait');
    await minutes(1); // 14 min: the deadline passed while watching
    expect(journal.decisions.at(-1)?.verdict).toBe('inconclusive-pause');
  });

  // At 25 % a healthy new cluster gets none of 5 starts 24 % of the time: a quiet region is no evidence
  // of a dead cluster, but 60 starts without one (P ≈ 3e-8) are.
  it.each([
    [5, 'inconclusive-pause', false],
    [60, 'fail', true],
  ] as const)('past the deadline, a silent new cluster beside %i old starts a window: %s', async (oldStarts, verdict, rolledBack) => {
    const { provider, journal, deps, sink } = setup();
    const cfg = config();
    cfg.analysis!.metrics[0] = { ...cfg.analysis!.metrics[0]!, query: 'ratio{c="{{shortName}}"}', minSamples: 10, samplesQuery: 'starts{c="{{shortName}}"}' };
    cfg.analysis!.sampleDeadline = 120_000;
    provider.set('ratio{c="eu17"}', [0.01]).set('starts{c="eu18"}', [0]).set(`starts{c="eu17"}`, [oldStarts]);
    start(deps, cfg);
    await minutes(1);
    expect(journal.decisions.at(-1)?.verdict).toBe('wait');
    await minutes(1);
    expect(journal.decisions.at(-1)?.verdict).toBe(verdict);
    expect(journal.decisions.at(-1)?.decisions[0]?.clusters?.[0]?.rule).toBe(rolledBack ? 'no-data.no-traffic' : 'no-data.too-little-traffic');
    expect(sink.codes().includes('traffic.rollback')).toBe(rolledBack);
  });

  it('pauses for a human on an inconclusive result and continues after resume', async () => {
    const { provider, journal, control, deps, sink } = setup();
    const cfg = config();
    cfg.analysis!.metrics[0] = { ...cfg.analysis!.metrics[0]!, minSamples: 10, samplesQuery: 'starts{c="{{shortName}}"}' };
    cfg.analysis!.sampleDeadline = 120_000;
    provider.set('starts{c="eu18"}', [2]).set('starts{c="eu17"}', [50]);
    const run = start(deps, cfg);
    await minutes(1);
    expect(journal.decisions.at(-1)?.verdict).toBe('wait');
    await minutes(1);
    expect(journal.decisions.at(-1)?.verdict).toBe('inconclusive-pause');
    await minutes(10);
    expect(journal.decisions.length).toBe(2);
    expect(sink.codes()).not.toContain('traffic.rollback');
    provider.set('starts{c="eu18"}', [100]);
    control.push('resume');
    await minutes(3);
    expect(run.result()).toMatchObject({ outcome: 'promoted' });
  });

  it('where no one can answer, an inconclusive pause stops the run held instead of waiting; a queued resume goes on', async () => {
    const { registry, provider, journal, control, deps } = setup();
    const cfg = config();
    cfg.analysis!.metrics[0] = { ...cfg.analysis!.metrics[0]!, minSamples: 10, samplesQuery: 'starts{c="{{shortName}}"}' };
    cfg.analysis!.sampleDeadline = 120_000;
    provider.set('starts{c="eu18"}', [2]).set('starts{c="eu17"}', [50]);
    const unattended = { ...deps, unattended: true };
    const run = start(unattended, cfg);
    await minutes(2);
    expect(run.result()).toMatchObject({ name: 'Error', gate: 'inconclusive', message: expect.stringMatching(/^the pause on an inconclusive result at step 1\/3 \(25 %\): no one can answer it here/) });
    expect(journal.progress).toMatchObject({ phase: 'steps', stepIndex: 0, paused: true, pausedBy: 'inconclusive' });
    for (const meta of METAS) expect(registry.get(meta, 'eu18').score).toBe(25);
    // Resumed with nothing queued: stops again at once, measuring nothing.
    const decisions = journal.decisions.length;
    const again = start(unattended, cfg);
    await vi.advanceTimersByTimeAsync(1);
    expect(again.result()).toMatchObject({ gate: 'inconclusive' });
    expect(journal.decisions.length).toBe(decisions);
    // A queued resume answers it: the run measures on and promotes.
    provider.set('starts{c="eu18"}', [100]);
    control.push('resume');
    const answered = start(unattended, cfg);
    await minutes(5);
    expect(answered.result()).toMatchObject({ outcome: 'promoted' });
  });

  it('holds at a manual gate without touching the registry until resumed', async () => {
    const { registry, control, deps } = setup();
    start(deps, config({ gates: { beforeStart: 'manual' } }));
    await minutes(10);
    expect(registry.log.some((l) => l.startsWith('update'))).toBe(false);
    control.push('resume');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(registry.get('meta-eu', 'eu18')).toMatchObject({ state: 'AVAILABLE', score: 25 });
  });

  it('a run resumed while held at a manual gate asks again; the approval takes the next step without measuring again or asking twice', async () => {
    const { registry, journal, control, deps } = setup();
    const abort = new AbortController();
    const first = start(deps, config({ gates: { beforeIncrease: 'manual' } }), abort.signal);
    await minutes(1.5); // step 1 passed at 1 min: the gate holds before step 2
    expect(journal.progress).toMatchObject({ phase: 'steps', stepIndex: 0, paused: true, gate: 'beforeIncrease' });
    abort.abort();
    await vi.advanceTimersByTimeAsync(1);
    expect((first.result() as Error).name).toBe('AbortError');
    const measured = journal.decisions.length;

    const sink = new MemorySink();
    const second = start({ ...deps, sink }, config({ gates: { beforeIncrease: 'manual' } }));
    await minutes(5);
    // The terminal of the resumed run is asked (the gate event), and nothing is measured while it holds.
    expect(sink.events.filter((e) => e.code === 'traffic.gate').map((e) => e.data?.gate)).toEqual(['beforeIncrease']);
    // The answer it suggests names this deployment: a bare `shift resume` answers the newest unfinished one.
    expect(sink.events.find((e) => e.code === 'traffic.gate')?.message).toBe('manual gate beforeIncrease at step 1/3 (25 %): waiting for `ws-deployment shift resume d1` (or promote / abort)');
    expect(journal.decisions.length).toBe(measured);
    expect(registry.get('meta-eu', 'eu18').score).toBe(25);
    control.push('resume');
    await vi.advanceTimersByTimeAsync(1_000);
    // Approved: step 2 at once, as the gate promised; not step 1 measured again and the same gate asked twice.
    expect(registry.get('meta-eu', 'eu18').score).toBe(50);
    expect(journal.progress).toMatchObject({ phase: 'steps', stepIndex: 1, paused: false });
    await minutes(3);
    expect(second.result()).toMatchObject({ outcome: 'promoted' });
    expect(sink.events.filter((e) => e.code === 'traffic.gate')).toHaveLength(1);
  });

  /**
   * Stops the run for good (as SIGKILL would) right after the journal write that ends a manual gate's hold: the
   * write is durable, nothing after it happens. The next run reads the same journal.
   */
  function killAfterApproval(journal: MemoryJournal): { killed: () => boolean } {
    let killed = false;
    const record = journal.recordStep.bind(journal);
    journal.recordStep = async (progress) => {
      const held = journal.progress?.paused === true && journal.progress.gate !== undefined;
      await record(progress);
      if (!killed && held && !progress.paused) {
        killed = true;
        journal.recordStep = record;
        return new Promise<void>(() => {});
      }
    };
    return { killed: () => killed };
  }

  it.each([false, true])('an approval journaled just before the run was killed is honoured on resume, not asked again (unattended: %s)', async (unattended) => {
    const { registry, journal, control, deps } = setup();
    const cfg = config({ gates: { beforeIncrease: 'manual' } });
    const kill = killAfterApproval(journal);
    start(deps, cfg);
    await minutes(1.5); // step 1 passed at 1 min: the gate holds before step 2
    control.push('resume', 'alice@box (shift resume)');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(kill.killed()).toBe(true);
    expect(registry.get('meta-eu', 'eu18').score).toBe(25); // killed before step 2
    const measured = journal.decisions.length;

    const sink = new MemorySink();
    const resumedDeps = { ...deps, sink, unattended };
    const second = start(resumedDeps, cfg);
    await vi.advanceTimersByTimeAsync(1);
    // Approved: step 2 at once; step 1 is not measured again, the gate not asked again, nothing needs queuing.
    expect(sink.codes()).not.toContain('traffic.gate');
    expect(second.result()).toBeUndefined();
    expect(journal.decisions.length).toBe(measured);
    expect(registry.get('meta-eu', 'eu18').score).toBe(50);
    expect(sink.events.find((e) => e.code === 'traffic.resumed')?.message).toMatch(/^beforeIncrease was approved at step 1\/3 \(25 %\) by alice@box \(shift resume\) at 2025-01-01T12:01:\d\d\.\d{3}Z before the last run stopped: going on past it$/);
    expect(journal.progress).toMatchObject({ phase: 'steps', stepIndex: 1, paused: false, approvals: [{ gate: 'beforeIncrease', where: 'step 1/3 (25 %)', by: 'alice@box (shift resume)' }] });
    expect(journal.progress?.approved).toBeUndefined();
    await minutes(3);
    expect(second.result()).toMatchObject({ outcome: 'promoted' });
  });

  it('an approval not journaled is asked for again: a run killed at the gate holds there on resume', async () => {
    const { registry, journal, deps } = setup();
    const cfg = config({ gates: { beforeIncrease: 'manual' } });
    const abort = new AbortController();
    start(deps, cfg, abort.signal);
    await minutes(1.5);
    abort.abort();
    await vi.advanceTimersByTimeAsync(1);
    const ci = { ...deps, unattended: true };
    const second = start(ci, cfg);
    await vi.advanceTimersByTimeAsync(1);
    expect(second.result()).toMatchObject({ gate: 'beforeIncrease' });
    expect(registry.get('meta-eu', 'eu18').score).toBe(25);
    expect(journal.progress?.approvals).toBeUndefined();
  });

  it("where no one can answer, an operator's pause stops the run held (who paused it named); resumed, it stops again until a resume is queued", async () => {
    const { registry, journal, control, deps } = setup();
    const cfg = config();
    const unattended = { ...deps, unattended: true };
    const run = start(unattended, cfg);
    await vi.advanceTimersByTimeAsync(1);
    control.push('pause', 'bob@box (shift pause)');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(run.result()).toMatchObject({ name: 'Error', gate: 'pause', by: 'bob@box (shift pause)', where: 'step 1/3 (25 %)' });
    expect(journal.progress).toMatchObject({ phase: 'steps', stepIndex: 0, paused: true });
    for (const meta of METAS) expect(registry.get(meta, 'eu18').score).toBe(25);
    const again = start(unattended, cfg);
    await vi.advanceTimersByTimeAsync(1);
    expect(again.result()).toMatchObject({ gate: 'pause' });
    control.push('resume');
    const answered = start(unattended, cfg);
    await minutes(5);
    expect(answered.result()).toMatchObject({ outcome: 'promoted' });
  });

  it('an inconclusive pause resumed just before the run was killed measures on with its limit afresh', async () => {
    const { journal, provider, control, deps } = setup();
    const cfg = config();
    cfg.analysis!.metrics[0] = { ...cfg.analysis!.metrics[0]!, minSamples: 10, samplesQuery: 'starts{c="{{shortName}}"}' };
    cfg.analysis!.sampleDeadline = 120_000;
    provider.set('starts{c="eu18"}', [2]).set('starts{c="eu17"}', [50]);
    start(deps, cfg);
    await minutes(2);
    expect(journal.progress).toMatchObject({ paused: true, pausedBy: 'inconclusive' });
    // Stopped right after the resume's write: its counters must already be reset in it.
    const record = journal.recordStep.bind(journal);
    journal.recordStep = async (progress) => {
      await record(progress);
      if (!progress.paused) return new Promise<void>(() => {});
    };
    control.push('resume');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(journal.progress).toMatchObject({ paused: false, counters: { inconclusive: 0 } });
    expect(journal.progress?.pausedBy).toBeUndefined();
  });

  it('a run resumed while held at the beforeStart gate asks again and starts once approved', async () => {
    const { registry, journal, control, deps } = setup();
    const abort = new AbortController();
    start(deps, config({ gates: { beforeStart: 'manual' } }), abort.signal);
    await minutes(1);
    expect(journal.progress).toMatchObject({ phase: 'start', paused: true, gate: 'beforeStart' });
    abort.abort();
    await vi.advanceTimersByTimeAsync(1);
    const sink = new MemorySink();
    start({ ...deps, sink }, config({ gates: { beforeStart: 'manual' } }));
    await minutes(5);
    expect(sink.events.filter((e) => e.code === 'traffic.gate').map((e) => e.data?.gate)).toEqual(['beforeStart']);
    expect(registry.get('meta-eu', 'eu18')).toMatchObject({ state: 'CORDONED', score: 50 });
    control.push('resume');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(registry.get('meta-eu', 'eu18')).toMatchObject({ state: 'AVAILABLE', score: 25 });
    await minutes(5);
    expect(sink.events.filter((e) => e.code === 'traffic.gate')).toHaveLength(1);
  });

  it('runs the staff stage behind the permission constraint, then removes it', async () => {
    const { registry, deps } = setup();
    start(deps, config({ staffStage: { duration: '5m' } }));
    await vi.advanceTimersByTimeAsync(1);
    expect(registry.get('meta-eu', 'eu18')).toMatchObject({ state: 'AVAILABLE', admissionConstraints: ['has-permission=new-workspace-cluster'] });
    expect(registry.get('meta-eu', 'eu17').score).toBe(100);
    await minutes(5);
    expect(registry.get('meta-eu', 'eu18')).toMatchObject({ admissionConstraints: [], score: 25 });
    expect(registry.get('meta-eu', 'eu17').score).toBe(75);
  });

  it('does not add the staff constraint twice to a cluster registered behind it', async () => {
    const { registry, deps } = setup();
    for (const meta of METAS) registry.get(meta, 'eu18').admissionConstraints = ['has-permission=new-workspace-cluster'];
    start(deps, config({ staffStage: { duration: '5m' } }));
    await vi.advanceTimersByTimeAsync(1);
    expect(registry.get('meta-eu', 'eu18')).toMatchObject({ state: 'AVAILABLE', admissionConstraints: ['has-permission=new-workspace-cluster'] });
    await minutes(5);
    expect(registry.get('meta-eu', 'eu18')).toMatchObject({ admissionConstraints: [], score: 25 });
  });

  it('a run killed after the first step, before the staff constraint was removed: resume removes it, not only the scores', async () => {
    const { registry, journal, deps } = setup();
    const cfg = config({ staffStage: { duration: '5m' } });
    const abort = new AbortController();
    const first = start(deps, cfg, abort.signal);
    await minutes(5);
    await vi.advanceTimersByTimeAsync(1);
    abort.abort();
    await vi.advanceTimersByTimeAsync(1);
    expect((first.result() as Error).name).toBe('AbortError');
    expect(journal.progress).toMatchObject({ phase: 'steps', stepIndex: 0 });
    // As a SIGKILL between the first step's journaled progress and the constraint's removal leaves the registries.
    for (const meta of METAS) registry.get(meta, 'eu18').admissionConstraints = ['has-permission=new-workspace-cluster'];
    const second = start(deps, cfg);
    await vi.advanceTimersByTimeAsync(1);
    for (const meta of METAS) expect(registry.get(meta, 'eu18')).toMatchObject({ state: 'AVAILABLE', score: 25, admissionConstraints: [] });
    await minutes(3);
    expect(second.result()).toMatchObject({ outcome: 'promoted' });
    for (const meta of METAS) expect(registry.get(meta, 'eu18')).toMatchObject({ score: 100, admissionConstraints: [] });
  });

  it('a cluster that vanished from a registry is a permanent failure: no retry of the step', async () => {
    const { registry, deps } = setup();
    const run = start(deps, config({ steps: [100] }));
    await vi.advanceTimersByTimeAsync(1);
    registry.metas.get('meta-us')?.delete('eu17'); // retired behind the shift's back
    await minutes(1);
    const error = run.result() as Error & { code?: string; transient?: boolean };
    expect(error).toMatchObject({ code: 'RegistryError', transient: false, message: expect.stringMatching(/meta-us\/eu17 .*not found on meta-us; fix the cause, then resume$/) });
  });

  it('an internal error mid-shift rolls back on every meta cluster, naming where it happened', async () => {
    const { registry, deps, journal } = setup();
    const run = start(deps);
    await vi.advanceTimersByTimeAsync(1);
    const update = registry.update.bind(registry);
    let broken = true;
    registry.update = async (meta, name, change) => {
      // A bug on the way to step 2 on one meta cluster: not transient, not a registry answer.
      if (broken && meta === 'meta-us' && 'score' in change && change.score === 50) {
        broken = false;
        throw new TypeError("Cannot read properties of undefined (reading 'score')");
      }
      return update(meta, name, change);
    };
    await minutes(1);
    expect(run.result()).toMatchObject({ outcome: 'rolled-back', reason: "meta cluster meta-us failed: Cannot read properties of undefined (reading 'score')" });
    for (const meta of METAS) {
      expect(registry.get(meta, 'eu18')).toMatchObject({ state: 'CORDONED', score: 0 });
      expect(registry.get(meta, 'eu17')).toMatchObject({ state: 'AVAILABLE', score: 100 });
    }
    expect(journal.progress).toMatchObject({ phase: 'rolled-back', rolledBackFrom: 'step 1/3 (25 %)' });
  });

  it('an internal error outside the registry (recording a decision) rolls back too', async () => {
    const { registry, deps, journal } = setup();
    journal.recordDecision = async () => {
      throw new TypeError('decision is not iterable');
    };
    const run = start(deps);
    await minutes(1);
    expect(run.result()).toMatchObject({ outcome: 'rolled-back', reason: 'internal error: decision is not iterable' });
    for (const meta of METAS) expect(registry.get(meta, 'eu17')).toMatchObject({ state: 'AVAILABLE', score: 100 });
  });

  it('warns when someone changed a score the shift set, before overwriting it', async () => {
    const { registry, deps, sink } = setup();
    start(deps);
    await vi.advanceTimersByTimeAsync(1);
    expect(registry.get('meta-eu', 'eu18').score).toBe(25);
    await registry.update('meta-eu', 'eu18', { score: 70 }); // an operator's `clusters update … score 70`
    await minutes(1);
    const drift = sink.events.filter((e) => e.code === 'traffic.drift');
    expect(drift.map((e) => e.message)).toEqual([
      'eu18 on meta-eu has score 70, not the 25 the shift set: it was changed outside the shift, and the shift\'s next change overwrites it (`ws-deployment shift pause d1` holds a manual change)',
    ]);
    expect(registry.get('meta-eu', 'eu18').score).toBe(50);
  });

  it('retries transient registry errors and refuses static clusters', async () => {
    const { registry, deps, sink } = setup();
    registry.transientFailures = 2;
    start(deps);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(registry.get('meta-eu', 'eu18').score).toBe(25);
    expect(sink.codes().filter((c) => c === 'traffic.registry.retry').length).toBe(2);

    const s = setup();
    s.registry.add('meta-us', { name: 'eu17', static: true });
    const refused = start(s.deps);
    await vi.advanceTimersByTimeAsync(1);
    expect((refused.result() as Error).message).toMatch(/cluster eu17 is static in meta cluster meta-us/);
  });
});
