/**
 * A beforeDestroy gate answered ahead of time: the deployment failed at the gate (an operator's
 * `shift abort`), `shift resume` then queued an approval and said `resume` applies it. A `resume`
 * where no one can approve (CI, no terminal) must do so — the queued command is the approval —
 * instead of refusing the manual gate as unanswerable; without one queued, it still refuses.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sendShiftControl } from '../../../src/cli/commands/shift.js';
import { renderSummary } from '../../../src/report/summary.js';
import { sandboxRegistry } from '../../../src/sandbox/sandbox-registry.js';
import { createRetireStep } from '../../../src/steps/retire/retire-step.js';
import { createTrafficShiftStep } from '../../../src/steps/traffic/traffic-shift-step.js';
import { METAS, waitFor, wideStep, type Harness } from './harness.js';
import { MANUAL_DESTROY_SHIFT, oldAndNewCluster, shiftAndRetireSteps } from '../../helpers/retire-harness.js';

const SHIFT = MANUAL_DESTROY_SHIFT;

describe('a queued approval of the beforeDestroy gate', () => {
  let h: Harness | undefined;
  afterEach(async () => h?.close());

  it('lets `resume` retire without a terminal; without one queued it refuses', async () => {
    h = await oldAndNewCluster(SHIFT);
    const harness = h;
    const run = h.deploy(shiftAndRetireSteps(h));
    let id = '';
    await waitFor('the deployment to start', async () => (id = (await harness.store.list())[0]?.id ?? '') !== '', 60_000);
    await waitFor('the beforeDestroy gate in the journal', async () => (await harness.store.readRecords(id)).some((r) => r.type === 'event' && r.code === 'retire.gate'), 120_000);
    await sendShiftControl(h.store, 'abort', id);
    const failed = await run;
    expect(failed.state).toBe('failed');
    expect(wideStep(failed, 'retire-old-clusters')?.error?.message).toMatch(/retirement refused by an operator at the beforeDestroy gate/);

    // In CI: nobody can approve, nothing is queued: refused, nothing retired.
    const ciSteps = () => [createTrafficShiftStep({ pollMs: 100, nonInteractive: true }), createRetireStep({ store: harness.store, pollMs: 100, nonInteractive: true, sandbox: { startsPerSecond: 0 } })];
    const refused = await h.resume(id, ciSteps());
    expect(wideStep(refused, 'retire-old-clusters')?.error?.message).toMatch(new RegExp(`beforeDestroy is manual but no one can approve here .*; or approve it ahead with \`ws-deployment shift resume ${id}\`, then resume again$`));

    const reply = await sendShiftControl(h.store, 'resume', id);
    expect(reply.text).toMatch(new RegExp(`^resume queued for deployment ${id}: .*\`ws-deployment resume ${id}\` applies it .*: approves the beforeDestroy gate: eu1`));
    for (const meta of METAS) await (await sandboxRegistry(harness.store.root, meta)).setRunning('eu1', 0);
    const resumed = await h.resume(id, ciSteps());
    expect(resumed.state, renderSummary(resumed)).toBe('succeeded');
    expect(wideStep(resumed, 'retire-old-clusters')?.outputs?.retired).toEqual([expect.objectContaining({ name: 'eu1' })]);
    expect(h.sink.events.some((e) => e.code === 'retire.approved' && /approved \(resume\)/.test(e.message))).toBe(true);
    expect(await h.store.pendingControl(id)).toEqual([]);
  }, 300_000);
});
