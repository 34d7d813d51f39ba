/**
 * The setup the retire integration suites share: a shift harness
 * (test/integration/shift/harness.ts) where the old generation eu1 takes all
 * starts and the new eu2 is registered cordoned, and the shift and retire
 * steps as those suites run them: brisk simulated users during the shift,
 * none during the retirement (so nobody ends the sessions on eu1 but the test).
 */
import type { DeploymentStep } from '../../src/steps/step.js';
import { createRetireStep } from '../../src/steps/retire/retire-step.js';
import { createTrafficShiftStep } from '../../src/steps/traffic/traffic-shift-step.js';
import { createHarness, SIM_ANALYSIS, type Harness } from '../integration/shift/harness.js';

/** A brisk shift straight to 100 % whose retirement waits at a manual beforeDestroy gate (no destroy). */
export const MANUAL_DESTROY_SHIFT = `  steps: [100]
  interval: 1s
  bake: 1s
  retire: { drainTimeout: 30s, destroy: false }
  gates: { beforeDestroy: manual }
${SIM_ANALYSIS}`;

/** A harness for `shift` (the trafficShift YAML block) with eu1 old and promoted, eu2 new and cordoned. */
export async function oldAndNewCluster(shift: string): Promise<Harness> {
  const h = await createHarness(shift);
  await h.register('eu1', { cordoned: false, preferability: 'Prefer' });
  await h.register('eu2', { cordoned: true });
  return h;
}

/** The traffic-shift and retire steps, polling every 100 ms (the retirement every `retirePollMs`). */
export function shiftAndRetireSteps(h: Harness, retirePollMs = 100): DeploymentStep[] {
  return [
    createTrafficShiftStep({ pollMs: 100, sandbox: { startsPerSecond: 60 } }),
    // No simulated users during the retirement: nobody ends the sessions on eu1.
    createRetireStep({ store: h.store, pollMs: retirePollMs, sandbox: { startsPerSecond: 0 } }),
  ];
}
