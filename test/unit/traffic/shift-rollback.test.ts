/**
 * Rollback rules (src/traffic/shift-rollback.ts), each stated on its own against the behavioural
 * registry fake. Expected scores are worked by hand: with one new cluster and one old cluster
 * whose saved score is 100, p % of new starts is exactly new = p, old = 100 − p.
 */
import { describe, expect, it } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { trafficShiftSchema, type TrafficShiftInput } from '../../../src/traffic/config.js';
import type { IncompleteRollback, OriginalSnapshot, ShiftProgress } from '../../../src/traffic/shift-ports.js';
import { ShiftRegistry } from '../../../src/traffic/shift-registry.js';
import { cannotRecordRollback, lastKnownScores, restoreOrRecord, restoreOriginal, stepBack } from '../../../src/traffic/shift-rollback.js';
import { RollbackIncomplete } from '../../../src/traffic/shift-stops.js';
import { WsdError } from '../../../src/core/errors.js';
import type { RegistryPort } from '../../../src/traffic/shift-ports.js';
import { FakeRegistry } from './fake-shift-ports.js';

const META = 'meta-eu';
const NEW = { name: 'eu18', cluster: 'gp-prod-ws-eu18-eu-west1', region: 'europe-west1' };
const OLD = { name: 'eu17', cluster: 'gp-prod-ws-eu17-eu-west1', region: 'europe-west1' };
const NOW = Date.parse('2026-12-02T12:00:00Z');
const clock = { now: () => NOW, sleep: async () => undefined };
const analysis = { provider: { type: 'prometheus', url: 'http://127.0.0.1:9090' }, metrics: [{ name: 'errors', query: 'x{c="{{cluster}}"}', threshold: { max: 1 } }] };

function setup(shift: Partial<TrafficShiftInput> = {}, newConstraints: string[] = []) {
  const registry = new FakeRegistry().add(META, { name: 'eu18', state: 'AVAILABLE', score: 50, admissionConstraints: [...newConstraints] }).add(META, { name: 'eu17', score: 50 });
  const original: OriginalSnapshot = {
    [META]: {
      eu18: { name: 'eu18', state: 'CORDONED', score: 0, maxScore: 100, static: false, admissionConstraints: [...newConstraints] },
      eu17: { name: 'eu17', state: 'AVAILABLE', score: 100, maxScore: 100, static: false, admissionConstraints: [] },
    },
  };
  const sink = new MemorySink();
  const config = trafficShiftSchema.parse({ steps: [50, 100], analysis, ...shift });
  const ops = new ShiftRegistry(registry, [META], clock, sink, 'd1');
  return { registry, original, sink, config, ops, input: { config, newClusters: [NEW], oldClusters: [OLD] } };
}

describe('gradual rollback steps', () => {
  it('steps down from 50 % in 4 equal steps (38, 25, 13 %), waiting duration/steps after each, then leaves the flip to the caller', async () => {
    const { registry, original, sink, ops, input } = setup({ rollback: { mode: 'gradual', duration: '4m', steps: 4 } });
    const waits: number[] = [];
    await stepBack(ops, original, input, 50, sink, async (until) => (waits.push(until), true), clock);
    // 50·3/4 = 37.5 → 38, 50·2/4 = 25, 50·1/4 = 12.5 → 13; the 4th step (0 %) is the flip, not a step.
    expect(registry.scores(META, 'eu18')).toEqual([38, 25, 13]);
    expect(registry.scores(META, 'eu17')).toEqual([62, 75, 87]);
    expect(waits).toEqual([NOW + 60_000, NOW + 60_000, NOW + 60_000]);
    expect(sink.events.filter((e) => e.code.startsWith('traffic.rollback'))).toMatchObject([38, 25, 13].map((percent) => ({
      level: 'warn',
      code: 'traffic.rollback.step',
      step: 'traffic-shift',
      message: `rollback: ${percent} % of new starts on the new clusters`,
      data: { percent },
    })));
  });

  it('stops stepping at the first step that rounds to 0 % (from 1 % in 4 steps: 1, 1, then 0 is the flip)', async () => {
    const { registry, original, sink, ops, input } = setup({ rollback: { mode: 'gradual', duration: '4m', steps: 4 } });
    const waits: number[] = [];
    await stepBack(ops, original, input, 1, sink, async (until) => (waits.push(until), true), clock);
    // 1·3/4 = 0.75 → 1, 1·2/4 = 0.5 → 1, 1·1/4 = 0.25 → 0: stop.
    expect(registry.scores(META, 'eu18')).toEqual([1, 1]);
    expect(waits).toHaveLength(2);
  });

  it('is cut short when the wait says so (an abort or a decision to flip now)', async () => {
    const { registry, original, sink, ops, input } = setup({ rollback: { mode: 'gradual', duration: '10m', steps: 5 } });
    await stepBack(ops, original, input, 100, sink, async () => false, clock);
    expect(registry.scores(META, 'eu18')).toEqual([80]);
  });

  it('waits on the real clock when given none', async () => {
    const { original, sink, ops, input } = setup({ rollback: { mode: 'gradual', duration: '2m', steps: 2 } });
    const before = Date.now();
    let until = 0;
    await stepBack(ops, original, input, 50, sink, async (u) => ((until = u), true));
    expect(until).toBeGreaterThanOrEqual(before + 60_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 60_000);
  });
});

describe('instant rollback (the flip)', () => {
  it('removes the staff stage constraint from the new clusters when there was a staff stage', async () => {
    const { registry, original, ops, input } = setup({ staffStage: { permission: 'staff-x' } }, []);
    registry.get(META, 'eu18').admissionConstraints.push('has-permission=staff-x');
    await restoreOriginal(ops, original, input);
    expect(registry.get(META, 'eu18')).toMatchObject({ state: 'CORDONED', score: 0, admissionConstraints: [] });
    expect(registry.log).toContain(`update ${META} eu18 {"admissionConstraint":{"add":false,"constraint":"has-permission=staff-x"}}`);
    expect(registry.get(META, 'eu17')).toMatchObject({ state: 'AVAILABLE', score: 100 });
  });

  it('touches no admission constraint without a staff stage', async () => {
    const { registry, original, ops, input } = setup({}, ['has-feature-preview']);
    await restoreOriginal(ops, original, input);
    expect(registry.log.filter((l) => l.includes('admissionConstraint'))).toEqual([]);
    expect(registry.get(META, 'eu18')).toMatchObject({ state: 'CORDONED', score: 0, admissionConstraints: ['has-feature-preview'] });
  });
});

describe('a rollback a meta cluster does not take', () => {
  it('rolled back elsewhere, recorded as under way with what is known there, reported as RollbackIncomplete', async () => {
    const { registry, original, sink, input } = setup();
    const US = 'meta-us';
    registry.add(US, { name: 'eu18', state: 'AVAILABLE', score: 50 }).add(US, { name: 'eu17', score: 50 });
    // meta-us refuses every connection (its bridge stays down).
    const port: RegistryPort = {
      list: (meta) => registry.list(meta),
      update: (meta, name, change) =>
        meta === US ? Promise.reject(new WsdError('RegistryUnavailable', 'cannot reach the cluster registry of meta-us', { transient: true })) : registry.update(meta, name, change),
    };
    const both = { ...original, [US]: structuredClone(original[META] ?? {}) };
    const progress: ShiftProgress = { phase: 'steps', stepIndex: 0, phaseStartedAtMs: NOW - 5_000, measurementsInStep: 1, counters: { measurements: 1, failures: 0, errors: 0, consecutiveErrors: 0, inconclusive: 0 }, paused: false };
    const ops = new ShiftRegistry(port, [META, US], clock, sink, 'd1');
    const recorded: IncompleteRollback[][] = [];
    const error = await restoreOrRecord(ops, both, input, 'operator abort', {
      metas: [META, US],
      sink,
      stops: cannotRecordRollback,
      scoresOf: (meta) => lastKnownScores(meta, both, progress, [50, 100], input, ops),
      record: async (incomplete) => void recorded.push(incomplete),
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RollbackIncomplete);
    expect(error).toMatchObject({ code: 'RegistryError', transient: true });
    expect((error as Error).message).toBe(
      'traffic shift rollback incomplete on meta-us (cannot reach the cluster registry of meta-us; last known scores there: eu18 50, eu17 50). ' +
        'Rolled back on meta-eu. Why it rolled back: operator abort. Once the bridge answers, resume finishes the rollback there (it does not retry the step)',
    );
    // What the shift journals as `progress.rollingBack.incomplete` (what `status` reads and `resume` finishes).
    expect(recorded).toEqual([[{ meta: US, error: 'cannot reach the cluster registry of meta-us', scores: { eu18: 50, eu17: 50 } }]]);
    expect(sink.events.find((e) => e.code === 'traffic.rollback.incomplete')).toMatchObject({ level: 'error', message: (error as Error).message });
    expect(registry.get(META, 'eu18')).toMatchObject({ state: 'CORDONED', score: 0 });
  });
});
