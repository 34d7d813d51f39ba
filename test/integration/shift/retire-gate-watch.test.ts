/**
 * The beforeDestroy gate seen from another terminal: while the retirement waits
 * for approval, `status --watch`'s view — built from the journal alone, as the
 * watch process reads it — says so and names the commands that answer it (with
 * the deployment's id); once `shift resume` approves, the line is gone and the
 * retirement runs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sendShiftControl } from '../../../src/cli/commands/shift.js';
import { watchView } from '../../../src/report/watch/watch-view.js';
import { sandboxRegistry } from '../../../src/sandbox/sandbox-registry.js';
import { METAS, waitFor, wideStep, type Harness } from './harness.js';
import { MANUAL_DESTROY_SHIFT, oldAndNewCluster, shiftAndRetireSteps } from '../../helpers/retire-harness.js';

const SHIFT = MANUAL_DESTROY_SHIFT;

describe('the beforeDestroy gate in status --watch', () => {
  let h: Harness | undefined;
  afterEach(async () => h?.close());

  it('shows the waiting gate with the commands that answer it, until it is approved', async () => {
    h = await oldAndNewCluster(SHIFT);
    const harness = h;
    const run = h.deploy(shiftAndRetireSteps(h));
    let id = '';
    const view = async () => watchView({ records: await harness.store.readRecords(id), pending: await harness.store.pendingControl(id), now: Date.now() }).lines;
    await waitFor('the deployment to start', async () => (id = (await harness.store.list())[0]?.id ?? '') !== '', 60_000);
    // Generous: the shift's step and bake come first, on a loaded machine.
    await waitFor('the beforeDestroy gate in the journal', async () => (await harness.store.readRecords(id)).some((r) => r.type === 'event' && r.code === 'retire.gate'), 120_000);

    const waiting = (await view()).filter((l) => l.startsWith('waiting for approval'));
    expect(waiting).toEqual([
      `waiting for approval at manual gate beforeDestroy (to retire eu1 (cordon, drain, deregister)): approve with \`ws-deployment shift resume ${id}\`, refuse with \`ws-deployment shift abort ${id}\``,
    ]);
    // The sessions on eu1 end, so the drain after approval does not wait.
    for (const meta of METAS) await (await sandboxRegistry(harness.store.root, meta)).setRunning('eu1', 0);
    await sendShiftControl(h.store, 'resume', id);
    const snap = await run;
    expect(snap.state, JSON.stringify(snap.error)).toBe('succeeded');
    expect(wideStep(snap, 'retire-old-clusters')?.state).toBe('succeeded');
    expect((await view()).some((l) => l.includes('waiting for approval'))).toBe(false);
  }, 240_000);
});
