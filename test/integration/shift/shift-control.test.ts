/**
 * Steering a running shift from "another terminal" (the state store's control
 * queue, as `ws-deployment shift …` uses it): abort rolls back; a manual gate
 * without --yes waits for promote; with no human to ask it refuses up front.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sendShiftControl } from '../../../src/cli/commands/shift.js';
import { renderSummary } from '../../../src/report/summary.js';
import { createTrafficShiftStep } from '../../../src/steps/traffic/traffic-shift-step.js';
import { createHarness, METAS, SIM_ANALYSIS, scoresOf, waitFor, wideStep, type Harness } from './harness.js';

const LONG = `  steps: [10, 20, 30, 40, 50, 100]
  interval: 1s
${SIM_ANALYSIS}`;

const GATED = `  steps: [25, 100]
  interval: 1s
  gates: { beforeIncrease: manual, beforePromotion: manual }
${SIM_ANALYSIS}`;

describe('shift control', () => {
  let h: Harness | undefined;
  afterEach(async () => h?.close());

  it('rolls back when an operator aborts', async () => {
    h = await createHarness(LONG);
    await h.register('eu1', { cordoned: false, preferability: 'Prefer' });
    await h.register('eu2', { cordoned: true });
    const before = scoresOf(await h.lists(), ['eu1']);
    const run = h.deploy([createTrafficShiftStep({ pollMs: 100, sandbox: { startsPerSecond: 60 } })]);
    const harness = h;
    const id = await (async () => {
      await waitFor('the deployment to start', async () => (await harness.store.list()).length > 0);
      return (await harness.store.list())[0]?.id as string;
    })();
    await waitFor('step 2 of the shift', async () => {
      const p = wideStep((await harness.store.open(id)).snapshot(), 'traffic-shift')?.checkpoint?.progress as { stepIndex?: number } | undefined;
      return (p?.stepIndex ?? 0) >= 1;
    });
    const reply = await sendShiftControl(h.store, 'abort');
    expect(reply.id).toBe(id);
    expect(reply.text).toMatch(new RegExp(`^abort sent to deployment ${id}; its process takes it within a second: the shift rolls back from step \\d: the saved scores of eu1 are restored and eu2 are cordoned`));
    const snap = await run;
    expect(snap.state).toBe('failed');
    expect(wideStep(snap, 'traffic-shift')?.error?.message).toMatch(/rolled back at step \d\/6 \(\d+ %\): aborted by \S+@\S+ \(shift abort\) at \d{4}-/);
    // No metric fired: nothing to fix, just a new generation when wanted.
    expect(wideStep(snap, 'traffic-shift')?.error?.message).toMatch(/Deploy a new generation when it is wanted again; this deployment is over$/);
    expect(renderSummary(snap)).toMatch(/\ntraffic shift: rolled back from step \d\/6 \(\d+ %\); aborted by \S+@\S+ \(shift abort\) at \S+\n/);
    expect(scoresOf(await h.lists(), ['eu1'])).toEqual(before);
    for (const meta of METAS) expect((await h.list(meta)).find((c) => c.name === 'eu2')).toMatchObject({ state: 'CORDONED', score: 0 });
  });

  it('says where an abort during the staff stage stopped it', async () => {
    h = await createHarness(`${LONG}\n  staffStage: { permission: new-workspace-cluster, duration: 1h }\n`);
    await h.register('eu1', { cordoned: false, preferability: 'Prefer' });
    await h.register('eu2', { cordoned: true });
    const run = h.deploy([createTrafficShiftStep({ pollMs: 100, sandbox: { startsPerSecond: 60 } })]);
    const harness = h;
    let id = '';
    await waitFor('the staff stage', async () => {
      id = (await harness.store.list())[0]?.id ?? '';
      const p = id ? (wideStep((await harness.store.open(id)).snapshot(), 'traffic-shift')?.checkpoint?.progress as { phase?: string } | undefined) : undefined;
      return p?.phase === 'staff';
    });
    await sendShiftControl(h.store, 'abort');
    const snap = await run;
    expect(wideStep(snap, 'traffic-shift')?.error?.message).toMatch(/^traffic shift rolled back at the staff stage: aborted by \S+@\S+ \(shift abort\) at \S+\./);
    expect(renderSummary(snap)).toMatch(/\ntraffic shift: rolled back from the staff stage; aborted by \S+@\S+ \(shift abort\) at \S+\n/);
  });

  it('holds at a manual gate until promote when --yes is not given', async () => {
    h = await createHarness(GATED);
    await h.register('eu1', { cordoned: false, preferability: 'Prefer' });
    await h.register('eu2', { cordoned: true });
    const run = h.deploy([createTrafficShiftStep({ pollMs: 100, sandbox: { startsPerSecond: 60 } })]);
    const harness = h;
    let id = '';
    await waitFor('the shift to wait at the gate', async () => {
      id = (await harness.store.list())[0]?.id ?? '';
      if (!id) return false;
      const p = wideStep((await harness.store.open(id)).snapshot(), 'traffic-shift')?.checkpoint?.progress as { paused?: boolean; measurementsInStep?: number } | undefined;
      return p?.paused === true && (p.measurementsInStep ?? 0) >= 1;
    });
    // Still at 25 % while it waits.
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await h.list(METAS[0])).find((c) => c.name === 'eu1')?.state).toBe('AVAILABLE');
    expect(h.sink.events.some((e) => e.code === 'traffic.gate' && /ws-deployment shift resume/.test(e.message))).toBe(true);
    expect((await sendShiftControl(h.store, 'promote', id)).text).toMatch(/eu2 take all new starts now and eu1 are cordoned/);
    const snap = await run;
    expect(snap.state, JSON.stringify(snap.error)).toBe('succeeded');
    for (const meta of METAS) expect((await h.list(meta)).find((c) => c.name === 'eu1')).toMatchObject({ state: 'CORDONED', score: 0 });
  });

  it('queues a command for a deployment no process runs, shows it pending, and applies it on resume', async () => {
    h = await createHarness(LONG);
    await h.register('eu1', { cordoned: false, preferability: 'Prefer' });
    await h.register('eu2', { cordoned: true });
    const before = scoresOf(await h.lists(), ['eu1']);
    const stop = new AbortController();
    const shiftStep = () => createTrafficShiftStep({ pollMs: 100, sandbox: { startsPerSecond: 60 } });
    const run = h.deploy([shiftStep()], {}, stop.signal);
    const harness = h;
    let id = '';
    await waitFor('step 2 of the shift', async () => {
      id = (await harness.store.list())[0]?.id ?? '';
      const p = id ? (wideStep((await harness.store.open(id)).snapshot(), 'traffic-shift')?.checkpoint?.progress as { stepIndex?: number } | undefined) : undefined;
      return (p?.stepIndex ?? 0) >= 1;
    });
    stop.abort(new Error('SIGINT')); // Ctrl-C / SIGTERM: the process stops, the shift stays where it is
    expect((await run).state).toBe('interrupted');
    const reply = await sendShiftControl(h.store, 'abort');
    expect(reply.id).toBe(id);
    expect(reply.text).toMatch(new RegExp(`^abort queued for deployment ${id}: no process runs it now \\(its process is gone\\)\\. \`ws-deployment status ${id}\` shows it as pending, and \`ws-deployment resume ${id}\` applies it when the run gets back to this point: the shift rolls back from step \\d`));
    expect((await h.store.pendingControl(id)).map((p) => p.command)).toEqual(['abort']);
    // A second command is refused, not queued: the queued abort is taken first and sets the shift's course.
    await expect(sendShiftControl(h.store, 'resume', id)).rejects.toMatchObject({ code: 'ResumeRefused', message: expect.stringMatching(/"resume" not sent to deployment .*: "abort" is already queued for it and is taken first/) });
    const resumed = await h.resume(id, [shiftStep()]);
    expect(resumed.state).toBe('failed');
    // Who sent the queued abort, as for one a running process takes.
    expect(wideStep(resumed, 'traffic-shift')?.error?.message).toMatch(/aborted by \S+@\S+ \(shift abort\) at /);
    expect(await h.store.pendingControl(id)).toEqual([]);
    expect(scoresOf(await h.lists(), ['eu1'])).toEqual(before);
    // Over now: a further command is refused with the reason.
    await expect(sendShiftControl(h.store, 'pause', id)).rejects.toMatchObject({ message: expect.stringMatching(/is over \(its traffic shift rolled back/) });
  });

  it('passes a manual gate with --yes', async () => {
    h = await createHarness(GATED);
    await h.register('eu1', { cordoned: false, preferability: 'Prefer' });
    await h.register('eu2', { cordoned: true });
    const snap = await h.deploy([createTrafficShiftStep({ pollMs: 100, nonInteractive: true, sandbox: { startsPerSecond: 60 } })], { yes: true });
    expect(snap.state, JSON.stringify(snap.error)).toBe('succeeded');
  });

  it('refuses a manual gate up front when no one can approve it', async () => {
    h = await createHarness(GATED);
    await h.register('eu1', { cordoned: false, preferability: 'Prefer' });
    await h.register('eu2', { cordoned: true });
    const before = scoresOf(await h.lists(), ['eu1', 'eu2']);
    // Before anything exists: no deployment journaled, nothing created or changed.
    await expect(h.deploy([createTrafficShiftStep({ pollMs: 100, nonInteractive: true })])).rejects.toMatchObject({
      code: 'PreCheckRefused',
      message: expect.stringMatching(/^traffic-shift: trafficShift.gates beforeIncrease, beforePromotion are manual .* pass --yes .* set the gate to auto; nothing was created$/),
    });
    expect(await h.store.list()).toEqual([]);
    expect(scoresOf(await h.lists(), ['eu1', 'eu2'])).toEqual(before);
  });
});
