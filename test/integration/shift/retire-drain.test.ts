/**
 * Retiring old clusters after a promoted shift: the retire step refuses while
 * regular workspaces still run when the drain timeout passes (the cluster stays
 * cordoned and registered), and a resume after the sessions ended deregisters it
 * from both meta clusters. A cluster ws-deployment did not create is not
 * destroyed: the step reports the command to run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sandboxRegistry } from '../../../src/sandbox/sandbox-registry.js';
import { createRetireStep } from '../../../src/steps/retire/retire-step.js';
import { createTrafficShiftStep } from '../../../src/steps/traffic/traffic-shift-step.js';
import { METAS, SIM_ANALYSIS, wideStep, type Harness } from './harness.js';
import { oldAndNewCluster, shiftAndRetireSteps } from '../../helpers/retire-harness.js';

const SHIFT = `  steps: [50, 100]
  interval: 1s
  retire: { drainTimeout: 2s, destroy: true }
  gates: { beforeDestroy: auto }
${SIM_ANALYSIS}`;

describe('retire old clusters', () => {
  let h: Harness | undefined;
  afterEach(async () => h?.close());

  it('refuses while workspaces run past the drain timeout, then deregisters once they ended', async () => {
    h = await oldAndNewCluster(SHIFT);
    const steps = shiftAndRetireSteps(h, 200);
    const first = await h.deploy(steps);
    expect(wideStep(first, 'traffic-shift')?.state).toBe('succeeded');
    const retire = wideStep(first, 'retire-old-clusters');
    expect(retire?.state).toBe('failed');
    expect(retire?.error?.code).toBe('PreCheckRefused');
    expect(retire?.error?.message).toMatch(/old cluster eu1 still runs regular workspaces after the drain timeout 2s .*\d+ regular workspaces? still runs? on it/);
    for (const meta of METAS) expect((await h.list(meta)).find((c) => c.name === 'eu1')).toMatchObject({ state: 'CORDONED' });

    // The users stop their workspaces.
    for (const meta of METAS) await (await sandboxRegistry(h.store.root, meta)).setRunning('eu1', 0);
    const second = await h.resume(first.id, steps);
    expect(second.state, JSON.stringify(second.error)).toBe('succeeded');
    const outputs = wideStep(second, 'retire-old-clusters')?.outputs as { retired: Array<{ name: string; destroyed: boolean; manual?: string[] }> };
    expect(outputs.retired).toHaveLength(1);
    expect(outputs.retired[0]).toMatchObject({ name: 'eu1', destroyed: false });
    expect(outputs.retired[0]?.manual).toEqual(['gcloud', 'container', 'clusters', 'delete', 'gp-dev-ws-eu1-eu-west1', '--region', 'europe-west1', '--project', 'sandbox-project', '--quiet']);
    for (const meta of METAS) {
      const list = await h.list(meta);
      expect(list.map((c) => c.name)).toEqual(['eu2']);
      // Never forced: no session was broken.
      expect((await sandboxRegistry(h.store.root, meta)).counters().eu1?.brokenByForce).toBe(0);
    }
  });

  it('retires nothing when this deployment did not shift (shift excluded): held back for resume, and says why', async () => {
    h = await oldAndNewCluster(SHIFT);
    const snap = await h.deploy([createTrafficShiftStep(), createRetireStep({ store: h.store, sandbox: { startsPerSecond: 0 } })], { skip: ['traffic-shift'] });
    expect(snap.state).toBe('partial');
    expect(wideStep(snap, 'retire-old-clusters')).toMatchObject({ state: 'pending', attempts: 0, excluded: 'held', waitsFor: ['*/traffic-shift'] });
    for (const meta of METAS) expect((await h.list(meta)).find((c) => c.name === 'eu1')).toMatchObject({ state: 'AVAILABLE', score: 100 });
  });
});
