/**
 * A new cluster that fails starts: the shift rolls back on its own, with a
 * decision record that names the metric, the values and the rule, and every
 * meta cluster gets back exactly the scores, states and constraints saved
 * before the first change.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTrafficShiftStep } from '../../../src/steps/traffic/traffic-shift-step.js';
import { createHarness, SIM_ANALYSIS, scoresOf, wideStep, type Harness } from './harness.js';
import { journalEvents } from './journal.js';

const SHIFT = `  steps: [20, 50, 100]
  interval: 1s
  staffStage: { permission: new-workspace-cluster, duration: 1s }
${SIM_ANALYSIS}`;

describe('automatic rollback on the sandbox registries', () => {
  let h: Harness | undefined;
  afterEach(async () => h?.close());

  it('rolls back a failing new cluster and restores the exact saved state on both meta clusters', async () => {
    h = await createHarness(SHIFT);
    await h.register('eu1', { cordoned: false, preferability: 'Prefer' });
    await h.register('eu3', { cordoned: false, preferability: 'None' });
    await h.register('eu2', { cordoned: true, constraints: ['has-permission=new-workspace-cluster'] });
    const lists = await h.lists();
    const before = scoresOf(lists, ['eu1', 'eu2', 'eu3']);

    const step = createTrafficShiftStep({ pollMs: 100, sandbox: { startsPerSecond: 60, faults: [{ cluster: 'eu', rate: 0.7 }] } });
    const snap = await h.deploy([step]);

    expect(snap.state).toBe('failed');
    const record = wideStep(snap, 'traffic-shift');
    expect(record?.state).toBe('failed');
    expect(record?.error?.code).toBe('GateFailed');
    // The failure names the metric, the cluster, the rule and the limit, and what it means for users;
    // its numbers are in the journaled decision (the summary prints them once).
    expect(record?.error?.message).toMatch(/fail: start-failure-ratio failed on gp-dev-ws-eu2-eu-west1 \(rule threshold\.max(\.decisive)?\); failed measurements 1 > failureLimit 0/);
    expect(record?.error?.message).toMatch(/sessions already on the new clusters stay there/);

    const failing = journalEvents(h.store.root, snap.id, 'traffic.decision').filter((d) => d.data?.verdict === 'fail');
    expect(failing).toHaveLength(1);
    const decision = (failing[0]?.data?.decisions as Array<{ metric: string; outcome: string; rule: string; statistics: { method: string }; queries: Array<{ values: number[] }> }>)[0];
    expect(decision).toMatchObject({ metric: 'start-failure-ratio', outcome: 'fail', rule: 'threshold.max', statistics: { method: 'proportion' } });
    expect(decision?.queries[0]?.values[0]).toBeGreaterThan(0.2);

    const after = await h.lists();
    // Old clusters: exactly as saved. New cluster: cordoned at score 0 (the controller's rollback), its
    // registration constraint back after the staff stage had removed it.
    expect(scoresOf(after, ['eu1', 'eu3'])).toEqual(scoresOf(lists, ['eu1', 'eu3']));
    for (const [meta, list] of Object.entries(after)) {
      expect(list.find((c) => c.name === 'eu2'), meta).toMatchObject({ state: 'CORDONED', score: 0, admissionConstraints: before[meta]?.eu2?.admissionConstraints });
    }
    expect(record?.checkpoint?.progress).toMatchObject({ phase: 'rolled-back' });
  });
});
