/**
 * A crash in the middle of a shift (the run's AbortSignal, as SIGINT/SIGTERM
 * deliver it): the shift stops without rollback with its original state and
 * progress journaled; `resume` continues at the same step, and a rollback after
 * the crash restores exactly the state saved before the first change.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Redactor } from '../../../src/core/redact.js';
import { retireStandalone } from '../../../src/steps/retire/retire-standalone.js';
import { createTrafficShiftStep } from '../../../src/steps/traffic/traffic-shift-step.js';
import { createHarness, METAS, SIM_ANALYSIS, scoresOf, waitFor, wideStep, type Harness } from './harness.js';

const SHIFT = `  steps: [20, 40, 60, 100]
  interval: 1s
${SIM_ANALYSIS}`;

async function crashAtStep(h: Harness, stepIndex: number): Promise<string> {
  const abort = new AbortController();
  const run = h.deploy([createTrafficShiftStep({ pollMs: 100, sandbox: { startsPerSecond: 60 } })], {}, abort.signal);
  let id = '';
  await waitFor(`step ${stepIndex + 1}`, async () => {
    id = (await h.store.list())[0]?.id ?? '';
    const p = id ? (wideStep((await h.store.open(id)).snapshot(), 'traffic-shift')?.checkpoint?.progress as { stepIndex?: number } | undefined) : undefined;
    return (p?.stepIndex ?? -1) >= stepIndex;
  });
  abort.abort(new Error('SIGKILL stand-in'));
  const snap = await run;
  expect(snap.state).toBe('interrupted');
  expect(wideStep(snap, 'traffic-shift')?.state).toBe('interrupted');
  return id;
}

describe('crash during a shift', () => {
  let h: Harness | undefined;
  afterEach(async () => h?.close());

  it('keeps the saved scores and progress, and resume finishes the shift', async () => {
    h = await createHarness(SHIFT);
    await h.register('eu1', { cordoned: false, preferability: 'Prefer' });
    await h.register('eu3', { cordoned: false, preferability: 'None' });
    await h.register('eu2', { cordoned: true });
    const before = scoresOf(await h.lists(), ['eu1', 'eu2', 'eu3']);
    const id = await crashAtStep(h, 1);

    const checkpoint = wideStep((await h.store.open(id)).snapshot(), 'traffic-shift')?.checkpoint ?? {};
    const original = checkpoint.original as Record<string, Record<string, { score: number; state: string }>>;
    for (const meta of METAS) for (const name of ['eu1', 'eu2', 'eu3']) expect(original[meta]?.[name]).toMatchObject({ score: before[meta]?.[name]?.score, state: before[meta]?.[name]?.state });
    const decisionsBefore = (checkpoint.decisions as unknown[]).length;
    expect(decisionsBefore).toBeGreaterThanOrEqual(1);
    // Not rolled back by the crash: the new cluster still takes its share.
    expect((await h.list(METAS[1])).find((c) => c.name === 'eu2')?.state).toBe('AVAILABLE');

    const snap = await h.resume(id, [createTrafficShiftStep({ pollMs: 100, sandbox: { startsPerSecond: 60 } })]);
    expect(snap.state, JSON.stringify(snap.error)).toBe('succeeded');
    const step = wideStep(snap, 'traffic-shift');
    expect(step?.outputs).toMatchObject({ outcome: 'promoted' });
    expect((step?.checkpoint?.decisions as unknown[]).length).toBeGreaterThan(decisionsBefore);
    // The step it crashed in was not started over: no second pass at 20 %.
    const percents = (step?.checkpoint?.decisions as Array<{ percent: number; verdict: string }>).filter((d) => d.verdict === 'pass').map((d) => d.percent);
    expect(percents.filter((p) => p === 20)).toHaveLength(1);
    for (const meta of METAS) expect((await h.list(meta)).find((c) => c.name === 'eu2')).toMatchObject({ state: 'AVAILABLE', score: 100 });
  });

  it('rolls back exactly after a crash when the operator aborts before resuming', async () => {
    h = await createHarness(SHIFT);
    await h.register('eu1', { cordoned: false, preferability: 'Prefer' });
    await h.register('eu3', { cordoned: false, preferability: 'None' });
    await h.register('eu2', { cordoned: true });
    const before = scoresOf(await h.lists(), ['eu1', 'eu3']);
    const id = await crashAtStep(h, 2);
    expect(scoresOf(await h.lists(), ['eu1', 'eu3'])).not.toEqual(before);

    await h.store.sendControl(id, 'abort');
    const snap = await h.resume(id, [createTrafficShiftStep({ pollMs: 100, sandbox: { startsPerSecond: 60 } })]);
    expect(snap.state).toBe('failed');
    expect(wideStep(snap, 'traffic-shift')?.error?.message).toMatch(/aborted by an operator/);
    expect(scoresOf(await h.lists(), ['eu1', 'eu3'])).toEqual(before);
  });

  it('refuses `retire --cluster` of a cluster the interrupted shift counts on, and the resume still finishes', async () => {
    h = await createHarness(SHIFT);
    await h.register('eu1', { cordoned: false, preferability: 'Prefer' });
    await h.register('eu2', { cordoned: true });
    const id = await crashAtStep(h, 0);
    const retire = (name: string) =>
      retireStandalone({ config: h!.loaded.config, store: h!.store, name, yes: true, sink: h!.sink, redactor: new Redactor(), signal: new AbortController().signal, pollMs: 100 });
    await expect(retire('eu1')).rejects.toMatchObject({
      code: 'PreCheckRefused',
      message: `cluster eu1 is part of unfinished deployment ${id} (as old cluster); finish it first with \`ws-deployment resume ${id}\`, which retires its old clusters itself once the new ones are promoted`,
    });
    await expect(retire('eu2')).rejects.toMatchObject({ code: 'PreCheckRefused', message: expect.stringContaining(`${id} (as new cluster)`) });
    for (const meta of METAS) expect((await h.list(meta)).map((c) => c.name).sort()).toEqual(['eu1', 'eu2']);
    // The refusals released the environment lock.
    const resumed = await h.resume(id, [createTrafficShiftStep({ pollMs: 100, sandbox: { startsPerSecond: 60 } })]);
    expect(resumed.state, JSON.stringify(resumed.error)).toBe('succeeded');
  });
});
