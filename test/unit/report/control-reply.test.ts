/**
 * What `shift pause|resume|promote|abort` tells an operator, per state of the
 * deployment, read from the journal's snapshot; and the summary's words for
 * `--skip`ped steps and for a deployment whose shift rolled back.
 */
import { describe, expect, it } from 'vitest';
import { controlReply, controlReplyAfter } from '../../../src/report/control-reply.js';
import { renderSummary, statusDocument } from '../../../src/report/summary.js';
import { applyRecord, type JournalRecord, type Snapshot, type StepRecordState } from '../../../src/state/model.js';

const clusters = { newClusters: [{ name: 'eu18' }, { name: 'us18' }], oldClusters: [{ name: 'eu17' }, { name: 'us17' }] };

function snap(state: Snapshot['state'], deploymentSteps: StepRecordState[]): Snapshot {
  return {
    schemaVersion: 1,
    seq: 1,
    id: 'd-1',
    state,
    createdAt: '2026-11-25T10:00:00.000Z',
    updatedAt: '2026-11-25T10:01:00.000Z',
    inputs: {} as Snapshot['inputs'],
    clusterId: 18,
    clusters: [],
    deploymentSteps,
  };
}

const atBeforeDestroy = snap('running', [
  { name: 'traffic-shift', state: 'succeeded', attempts: 1, checkpoint: { clusters, progress: { phase: 'done', stepIndex: 2, paused: false } } },
  { name: 'retire-old-clusters', state: 'running', attempts: 1, checkpoint: { clusters, awaiting: 'beforeDestroy' } },
]);

describe('shift replies', () => {
  it('abort at the beforeDestroy gate refuses the retirement and changes nothing (not "rolls back")', () => {
    const reply = controlReply(atBeforeDestroy, 'abort', true);
    expect(reply).toEqual({
      send: true,
      text: 'abort sent to deployment d-1; its process takes it within a second: retirement refused: nothing is changed — eu18, us18 keep all new starts at their scores, eu17, us17 stay cordoned and registered; the deployment ends as failed (`ws-deployment resume d-1` asks again, `ws-deployment retire --cluster NAME` retires one by hand)',
    });
    expect(reply.text).not.toMatch(/roll/);
    expect(controlReply(atBeforeDestroy, 'resume', true).text).toMatch(/approves the beforeDestroy gate: eu17, us17 .* drained, deregistered and destroyed/);
    expect(controlReply(atBeforeDestroy, 'pause', true)).toMatchObject({ send: false, text: expect.stringMatching(/waits at the beforeDestroy gate anyway/) });
  });

  it('pause on a succeeded deployment says it is over, instead of advising resume', () => {
    const reply = controlReply(snap('succeeded', []), 'pause', false);
    expect(reply.send).toBe(false);
    expect(reply.text).toMatch(/^deployment d-1 succeeded: its traffic shift and retirement are over, nothing would take "pause"/);
    expect(reply.text).not.toMatch(/ws-deployment resume/);
  });

  it("abort in a first generation's watch does not promise a rollback: its clusters keep every start", () => {
    const watch = snap('running', [{ name: 'traffic-shift', state: 'running', attempts: 1, checkpoint: { clusters: { ...clusters, oldClusters: [] }, progress: { phase: 'watch', stepIndex: 0, paused: false } } }]);
    const reply = controlReply(watch, 'abort', true);
    expect(reply.text).toMatch(/: the first generation has no earlier one to roll back to: the watch stops, eu18, us18 keep every new start, and the deployment ends as failed/);
    expect(reply.text).not.toMatch(/rolls back|rolled back|cordoned/);
    expect(controlReply(watch, 'pause', true).text).toMatch(/holds at the first generation's watch/);
  });

  it('mid-shift: the effect at the step it stands at; without a process it is queued for resume', () => {
    const mid = snap('running', [{ name: 'traffic-shift', state: 'running', attempts: 1, checkpoint: { clusters, progress: { phase: 'steps', stepIndex: 1, paused: false } } }]);
    expect(controlReply(mid, 'abort', true).text).toMatch(/: the shift rolls back from step 2: the saved scores of eu17, us17 are restored and eu18, us18 are cordoned/);
    expect(controlReply(mid, 'resume', true)).toMatchObject({ send: false, text: expect.stringMatching(/not paused \(at step 2\)/) });
    const gone = controlReply(mid, 'abort', false);
    expect(gone.text).toMatch(/^abort queued for deployment d-1: no process runs it now \(its process is gone\)\. `ws-deployment status d-1` shows it as pending, and `ws-deployment resume d-1` applies it/);
    // A partial run ended by itself (exit 0): its process is not "gone", its shift was left out.
    const excluded = snap('partial', [{ name: 'traffic-shift', state: 'pending', attempts: 0 }]);
    expect(controlReply(excluded, 'pause', false).text).toMatch(/^pause queued for deployment d-1: no process runs it now \(it ended partial: steps left out by --only\/--skip did not run\)\. .*`ws-deployment resume d-1` applies it/);
    const interrupted = controlReply({ ...mid, state: 'interrupted' }, 'pause', false);
    expect(interrupted).toMatchObject({ send: true, text: expect.stringMatching(/^pause queued for deployment d-1: no process runs it now/) });
    const gated = snap('running', [{ name: 'traffic-shift', state: 'running', attempts: 1, checkpoint: { clusters, progress: { phase: 'steps', stepIndex: 0, paused: true, gate: 'beforeIncrease' } } }]);
    expect(controlReply(gated, 'resume', true).text).toMatch(/the shift continues from step 1 and approves the manual gate beforeIncrease only \(a later manual gate stops a resume without a terminal again/);
  });

  it('a resume queued at a shift gate names its scope: that gate only, and the next manual gate', () => {
    const at = (stepIndex: number, gate: string, manualGates: string[]) =>
      snap('failed', [{ name: 'traffic-shift', state: 'failed', attempts: 1, checkpoint: { clusters, schedule: { steps: [10, 25, 50, 100], manualGates }, progress: { phase: 'steps', stepIndex, paused: true, gate } } }]);
    // Held in CI (exit 3, the run ends as failed): it did not fail, it waits for this answer.
    expect(controlReply(at(0, 'beforeIncrease', ['beforeIncrease']), 'abort', false).text).toMatch(
      /^abort queued for deployment d-1: no process runs it now \(it stopped held at the manual gate beforeIncrease, where no one could answer it\)\. /,
    );
    expect(controlReply(at(0, 'beforeIncrease', ['beforeIncrease', 'beforePromotion']), 'resume', false).text).toMatch(
      /approves the manual gate beforeIncrease only \(the next manual gate, beforeIncrease \(before step 3\/4\), stops a resume without a terminal again; `shift promote` answers every remaining gate\)$/,
    );
    expect(controlReply(at(0, 'beforeIncrease', ['beforeIncrease']), 'resume', false).text).toMatch(/the next manual gate, beforeIncrease \(before step 3\/4\)/);
    expect(controlReply(at(1, 'beforeIncrease', ['beforeIncrease', 'beforePromotion']), 'resume', false).text).toMatch(/the next manual gate, beforePromotion \(before step 4\/4\)/);
    expect(controlReply(at(2, 'beforePromotion', ['beforeIncrease', 'beforePromotion']), 'resume', false).text).toMatch(/approves the manual gate beforePromotion only \(no manual gate follows it;/);
    expect(controlReply(at(0, 'beforeIncrease', ['beforeIncrease']), 'resume', false).text).toMatch(/^resume queued for deployment d-1/);
  });

  it('a rollback or promote that started and did not finish: shift commands are refused, resume finishes it, the summary says so', () => {
    const mid = (progress: Record<string, unknown>) => snap('failed', [{ name: 'traffic-shift', state: 'failed', attempts: 1, checkpoint: { clusters, progress: { phase: 'steps', stepIndex: 1, paused: false, ...progress } } }]);
    const rolling = mid({ rollingBack: { reason: 'aborted by an operator' } });
    for (const command of ['pause', 'resume', 'promote', 'abort'] as const) {
      expect(controlReply(rolling, command, false)).toEqual({ send: false, text: `"${command}" not sent to deployment d-1: the shift is rolling back and its run stopped before that finished; \`ws-deployment resume d-1\` finishes it, and no shift command changes that` });
    }
    expect(renderSummary(rolling)).toMatch(/\ntraffic shift: at step 2; rolling back, not finished: `resume` finishes the rollback .*; aborted by an operator\n/);
    expect(controlReply(mid({ promoting: true }), 'abort', false).text).toMatch(/being promoted \(an operator asked\)/);
    expect(renderSummary(mid({ promoting: true }))).toMatch(/\ntraffic shift: at step 2; promoting \(an operator asked\), not finished: `resume` finishes it/);
  });

  it('a shift stopped mid-way that no process runs says the new clusters go on taking that share, unjudged', () => {
    const at = (state: 'running' | 'interrupted' | 'failed', progress: Record<string, unknown>) =>
      snap(state, [{ name: 'traffic-shift', state: state === 'running' ? 'running' : 'interrupted', attempts: 1, checkpoint: { clusters, schedule: { steps: [10, 25, 50, 100], manualGates: [] }, progress: { paused: false, ...progress } } }]);
    const words = (s: ReturnType<typeof at>) => /\ntraffic shift: [^\n]*/.exec(renderSummary(s))?.[0];
    expect(words(at('interrupted', { phase: 'steps', stepIndex: 1 }))).toBe('\ntraffic shift: at step 2; no process runs it: the new clusters go on taking 25 % of new starts, judged by no gate, until the shift is resumed or rolled back');
    expect(words(at('interrupted', { phase: 'staff', stepIndex: 0 }))).toMatch(/in the staff stage; no process runs it: the new clusters go on taking the staff's new starts/);
    expect(words(at('failed', { phase: 'bake', stepIndex: 3 }))).toMatch(/baking at 100 %; no process runs it: the new clusters go on taking 100 % of new starts/);
    // Its own process runs it, or a held gate's line says what answers it: nothing added.
    expect(words(at('running', { phase: 'steps', stepIndex: 1 }))).toBe('\ntraffic shift: at step 2');
    expect(words(at('interrupted', { phase: 'steps', stepIndex: 1, paused: true }))).toBe('\ntraffic shift: at step 2 (paused)');
  });

  it('a rolled-back deployment is over', () => {
    const rolled = snap('failed', [{ name: 'traffic-shift', state: 'failed', attempts: 1, checkpoint: { concluded: 'its traffic shift rolled back: fail' } }]);
    expect(controlReply(rolled, 'abort', false)).toEqual({ send: false, text: 'deployment d-1 is over (its traffic shift rolled back: fail); nothing would take "abort"' });
    expect(renderSummary(rolled).split('\n')[0]).toBe('deployment d-1: rolled back (cluster id 18)');
  });
});

describe('steps left out with --skip', () => {
  it('show as excluded (by --skip), with the count and the resume command of a partial deployment', () => {
    let s: Snapshot | undefined;
    const records: JournalRecord[] = [
      { seq: 1, time: 't', type: 'deployment.created', id: 'd-1', inputs: {} as Snapshot['inputs'], clusterId: 18, clusters: [], steps: [], deploymentSteps: ['traffic-shift', 'retire-old-clusters'] },
      { seq: 2, time: 't', type: 'step.excluded', cluster: '*', step: 'traffic-shift', by: '--skip' },
    ];
    for (const r of records) s = applyRecord(s, r);
    const partial = { ...(s as Snapshot), state: 'partial' as const };
    const table = renderSummary(partial);
    expect(table).toMatch(/\(all clusters\)\s+traffic-shift\s+excluded\s+0\s+excluded by --skip\n/);
    expect(table).toContain('partial: 1 step not run yet (left out by --only/--skip, or held back behind one left out); run them with `ws-deployment resume d-1`');
    expect(statusDocument(partial).steps[0]).toMatchObject({ state: 'pending', excluded: '--skip' });
    expect(statusDocument(partial).excluded).toEqual({ count: 1, command: 'ws-deployment resume d-1' });
    // A later run without the flag runs it: starting clears the mark.
    const started = applyRecord(s, { seq: 3, time: 't', type: 'step.started', cluster: '*', step: 'traffic-shift', attempt: 1 });
    expect(started.deploymentSteps[0]?.excluded).toBeUndefined();
  });
});

describe('shift replies with commands already queued (taken first)', () => {
  const atStep1 = (paused: boolean) =>
    snap('interrupted', [{ name: 'traffic-shift', state: 'interrupted', attempts: 1, checkpoint: { clusters, progress: { phase: 'steps', stepIndex: 0, paused } } }]);

  it('after a queued abort, promote is refused instead of promising all new starts on the new clusters', () => {
    const reply = controlReplyAfter(atStep1(false), 'promote', false, ['abort']);
    expect(reply.send).toBe(false);
    expect(reply.text).toMatch(/^"promote" not sent to deployment d-1: "abort" is already queued for it and is taken first/);
    expect(controlReplyAfter(atStep1(false), 'abort', false, ['abort'])).toMatchObject({ send: false, text: expect.stringMatching(/sending it again changes nothing/) });
  });

  it('after a queued pause, resume is accepted (it continues the shift), and a second pause is refused', () => {
    expect(controlReply(atStep1(false), 'resume', false).send).toBe(false);
    expect(controlReplyAfter(atStep1(false), 'resume', false, ['pause'])).toMatchObject({ send: true, text: expect.stringMatching(/the shift continues from step 1$/) });
    expect(controlReplyAfter(atStep1(false), 'pause', false, ['pause'])).toMatchObject({ send: false, text: expect.stringMatching(/already paused at step 1/) });
    expect(controlReplyAfter(atStep1(true), 'pause', false, ['resume']).send).toBe(true);
  });

  it('at the beforeDestroy gate a queued approval is decisive: abort after it is refused', () => {
    expect(controlReplyAfter(atBeforeDestroy, 'abort', true, ['resume'])).toMatchObject({ send: false, text: expect.stringMatching(/"resume" is already queued/) });
    expect(controlReplyAfter(atBeforeDestroy, 'abort', true, [])).toEqual(controlReply(atBeforeDestroy, 'abort', true));
  });
});

