/**
 * Healthy new cluster: the shift walks 25 → 50 → 100 % on two meta clusters
 * (registry simulators over real gRPC), judging the simulator's counters, and
 * promotes: new cluster uncordoned at full score, old cluster cordoned.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTrafficShiftStep } from '../../../src/steps/traffic/traffic-shift-step.js';
import { parseDuration } from '../../../src/traffic/duration.js';
import { createHarness, METAS, SIM_ANALYSIS, scoresOf, wideStep, type Harness } from './harness.js';
import { journalEvents } from './journal.js';

const SHIFT = `  steps: [25, 50, 100]
  interval: 1s
${SIM_ANALYSIS}`;

describe('traffic shift on the sandbox registries', () => {
  let h: Harness | undefined;
  afterEach(async () => h?.close());

  it('promotes healthy new clusters and records every decision', async () => {
    h = await createHarness(SHIFT);
    await h.register('eu1', { cordoned: false, preferability: 'Prefer' });
    await h.register('eu2', { cordoned: true });
    const before = scoresOf(await h.lists(), ['eu1', 'eu2']);

    const snap = await h.deploy([createTrafficShiftStep({ pollMs: 100, sandbox: { startsPerSecond: 60 } })]);

    expect(snap.state, JSON.stringify(snap.error)).toBe('succeeded');
    const step = wideStep(snap, 'traffic-shift');
    expect(step?.outputs).toMatchObject({ outcome: 'promoted', oldClusters: [{ name: 'eu1', cluster: 'gp-dev-ws-eu1-eu-west1' }], newClusters: [{ name: 'eu2' }] });
    for (const meta of METAS) {
      const list = await h.list(meta);
      expect(list.find((c) => c.name === 'eu2')).toMatchObject({ state: 'AVAILABLE', score: 100 });
      expect(list.find((c) => c.name === 'eu1')).toMatchObject({ state: 'CORDONED', score: 0 });
    }
    // The original state was checkpointed before the first change, exactly as the registries held it.
    const original = step?.checkpoint?.original as Record<string, Record<string, { state: string; score: number }>>;
    for (const meta of METAS) {
      expect(original[meta]?.eu1).toMatchObject({ state: before[meta]?.eu1?.state, score: before[meta]?.eu1?.score });
      expect(original[meta]?.eu2).toMatchObject({ state: 'CORDONED', score: 50 });
    }
    const decisions = journalEvents(h.store.root, snap.id, 'traffic.decision');
    expect(decisions.length).toBeGreaterThanOrEqual(3);
    const passes = decisions.filter((d) => d.data?.verdict === 'pass');
    expect(passes.map((d) => d.data?.percent)).toEqual([25, 50, 100]);
    // Each record carries the query as sent and the values it returned.
    const q = (passes[0]?.data?.decisions as Array<{ queries: Array<{ query: string; values: number[] }> }>)[0]?.queries[0];
    // The failure ratio's windows tile (each starts where the last counted one ended), so the span is
    // whatever passed since: about the 1 s interval, written as a Prometheus duration (`1s`, `999ms`, `1s12ms`).
    const window = /^failure_ratio\(eu2\[((?:\d+(?:ms|s|m))+)\]\)$/.exec(q?.query ?? '');
    expect(window, q?.query).not.toBeNull();
    const spanMs = parseDuration(window![1]!);
    expect(spanMs).toBeGreaterThan(0);
    expect(spanMs).toBeLessThanOrEqual(30_000);
    expect((step?.checkpoint?.decisions as unknown[]).length).toBe(decisions.length);
  });

  it('promotes the first generation at once when there are no old clusters, without a staff stage or an operator', async () => {
    h = await createHarness(`${SHIFT}\n  staffStage: { permission: new-workspace-cluster, duration: 1h }\n  gates: { beforeStart: manual }\n`);
    // Registered the way the sandbox example registers: cordoned and staff-only.
    await h.register('eu2', { cordoned: true, constraints: ['has-permission=new-workspace-cluster'] });
    const snap = await h.deploy([createTrafficShiftStep({ pollMs: 100, sandbox: { startsPerSecond: 0 } })]);
    expect(snap.state, JSON.stringify(snap.error)).toBe('succeeded');
    expect(wideStep(snap, 'traffic-shift')?.outputs).toMatchObject({ outcome: 'promoted', firstGeneration: true, oldClusters: [] });
    for (const meta of METAS) {
      expect((await h.list(meta)).find((c) => c.name === 'eu2')).toMatchObject({ state: 'AVAILABLE', score: 100, admissionConstraints: [] });
    }
    const messages = h.sink.events.filter((e) => e.code.startsWith('traffic.')).map((e) => [e.code, e.message]);
    expect(messages).toContainEqual(['traffic.first-generation', expect.stringContaining('no old clusters')]);
    expect(messages).toContainEqual(['traffic.done', 'new clusters take all new starts']);
    expect(messages.map(([code]) => code)).not.toContain('traffic.promote');
    expect(messages.map(([code]) => code)).not.toContain('traffic.staff');
    expect(messages.map(([code]) => code)).not.toContain('traffic.gate');
  });
});
