/**
 * The case `resume ID --retry-shift` exists for: nothing was wrong with the new clusters, a meta cluster's bridge
 * was unreachable mid-shift (its sandbox registry stopped at step 1, a real gRPC server gone, its state file kept as
 * a bridge keeps its database). The shift rolls back where it can; with the bridge back, a plain `resume` finishes
 * the rollback (concluded, retryable); then the retry starts the shift again from its first step and promotes it to
 * the end on both meta clusters. Everything goes through the engine's deploy/resume with the real registry client.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { deploymentOutcome } from '../../../src/report/outcome.js';
import { statusDocument } from '../../../src/report/summary.js';
import { shiftRetryable } from '../../../src/state/resumable.js';
import { sandboxRegistry, stopSandboxRegistries } from '../../../src/sandbox/sandbox-registry.js';
import { createTrafficShiftStep } from '../../../src/steps/traffic/traffic-shift-step.js';
import { createHarness, METAS, SIM_ANALYSIS, wideStep, type Harness } from './harness.js';

const SHIFT = `  steps: [20, 50, 100]
  interval: 1s
${SIM_ANALYSIS}`;

describe('a shift rolled back by a bridge outage, then retried', () => {
  let h: Harness | undefined;
  afterEach(async () => h?.close());

  it('the bridge back, resume finishes the rollback and resume --retry-shift promotes to the end', async () => {
    h = await createHarness(SHIFT);
    const harness = h;
    await h.register('eu1', { cordoned: false, preferability: 'Prefer' });
    await h.register('eu2', { cordoned: true });
    // Set off by the shift's own event (step 1 set everywhere), not by a delay.
    const emit = h.sink.emit.bind(h.sink);
    h.sink.emit = (e) => {
      emit(e);
      if (e.code === 'traffic.step' && e.data?.percent === 20) void sandboxRegistry(harness.store.root, METAS[1]).then((sim) => sim.stop());
    };
    const step = () => createTrafficShiftStep({ pollMs: 100, nonInteractive: true, sandbox: { startsPerSecond: 60 } });
    const snap = await h.deploy([step()]);
    expect(snap.state).toBe('failed');
    // Not retryable while the rollback is unfinished on the meta cluster that was down.
    expect(shiftRetryable(snap)).toBe(false);

    // The bridge is back (a new registry on the same state): the command the error named finishes the rollback.
    h.sink.emit = emit;
    await stopSandboxRegistries();
    const rolled = await h.resume(snap.id, [step()]);
    expect(wideStep(rolled, 'traffic-shift')?.checkpoint?.progress).toMatchObject({ phase: 'rolled-back', reason: expect.stringMatching(new RegExp(`^meta cluster ${METAS[1]} failed: `)) });
    expect(deploymentOutcome(rolled)).toMatchObject({ outcome: 'rolled-back', next: expect.stringContaining(`ws-deployment resume ${snap.id} --retry-shift`) });
    expect(shiftRetryable(rolled)).toBe(true);

    // The retry: from the first step to 100 %, on both meta clusters.
    const retried = await h.resume(snap.id, [step()], { retryShift: true });
    expect(retried.state, wideStep(retried, 'traffic-shift')?.error?.message).toBe('succeeded');
    expect(statusDocument(retried)).toMatchObject({ outcome: 'succeeded', shift: { phase: 'done', attempt: 2 } });
    for (const meta of METAS) {
      const list = await h.list(meta);
      expect(list.find((c) => c.name === 'eu2'), meta).toMatchObject({ state: 'AVAILABLE', score: 100 });
      expect(list.find((c) => c.name === 'eu1'), meta).toMatchObject({ state: 'CORDONED' });
    }
  }, 120_000);
});
