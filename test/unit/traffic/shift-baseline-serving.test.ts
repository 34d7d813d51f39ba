/**
 * The comparison baseline is the old generation that serves, not every old cluster
 * registered with the prefix: an earlier generation that was rolled back is still
 * registered, cordoned at score 0, takes no starts, and its series (here: values
 * from the time it failed) must not be what the new clusters are compared with.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { realClock } from '../../../src/traffic/clock.js';
import { trafficShiftSchema } from '../../../src/traffic/config.js';
import { servingClusters } from '../../../src/traffic/old-clusters.js';
import { runShift, type ShiftResult } from '../../../src/traffic/shift-controller.js';
import { FakeMetricProvider } from './fake-metric-provider.js';
import { FakeRegistry, MemoryJournal, QueueControl } from './fake-shift-ports.js';

const T0 = new Date('2025-01-01T12:00:00Z').getTime();
const NEW = { name: 'eu18', cluster: 'gp-prod-ws-eu18-eu-west1', region: 'europe-west1' };
const SERVING = { name: 'eu16', cluster: 'gp-prod-ws-eu16-eu-west1', region: 'europe-west1' };
const ROLLED_BACK = { name: 'eu17', cluster: 'gp-prod-ws-eu17-eu-west1', region: 'europe-west1' };
const healthy = Array.from({ length: 20 }, (_, i) => 10 + (i % 5));

describe('servingClusters', () => {
  it('keeps old clusters AVAILABLE with a score above 0 on some meta cluster', () => {
    const original = {
      'meta-eu': { eu16: { state: 'AVAILABLE', score: 100 }, eu17: { state: 'CORDONED', score: 0 }, eu15: { state: 'AVAILABLE', score: 0 } },
      'meta-us': { eu15: { state: 'AVAILABLE', score: 0 }, eu14: { state: 'DRAINING', score: 50 } },
    };
    const olds = ['eu14', 'eu15', 'eu16', 'eu17'].map((name) => ({ name }));
    expect(servingClusters(olds, original).map((o) => o.name)).toEqual(['eu16']);
    // Serving on one meta is enough.
    expect(servingClusters(olds, { ...original, 'meta-us': { eu17: { state: 'AVAILABLE', score: 10 } } }).map((o) => o.name)).toEqual(['eu16', 'eu17']);
  });
});

describe('the shift compares with the serving old generation only', () => {
  beforeEach(() => vi.useFakeTimers({ now: new Date(T0) }));
  afterEach(() => vi.useRealTimers());

  it('leaves an earlier rolled-back generation (cordoned at score 0) out of the baseline and promotes a healthy shift', async () => {
    const registry = new FakeRegistry();
    registry.add('meta-eu', { name: 'eu18', state: 'CORDONED', score: 0 });
    registry.add('meta-eu', { name: 'eu16', score: 100 });
    // Generation 17 was rolled back: still registered, cordoned at score 0.
    registry.add('meta-eu', { name: 'eu17', state: 'CORDONED', score: 0 });
    const journal = new MemoryJournal(registry.log);
    const sink = new MemorySink();
    const provider = new FakeMetricProvider();
    // The serving generation and the new one start workspaces alike; the rolled-back one's series still read
    // fast starts (values from before it failed, or a histogram nobody feeds): with it in the baseline the
    // healthy new cluster looks slower than "the old generation".
    provider.set('lat{c="eu18"}', healthy).set('lat{c="eu16"}', healthy).set('lat{c="eu17"}', Array(20).fill(1));
    const deps = { registry, metas: ['meta-eu'], provider, clock: realClock, journal, control: new QueueControl(), sink };
    const config = trafficShiftSchema.parse({
      steps: [50, 100],
      interval: '60s',
      analysis: {
        provider: { type: 'simulator' },
        metrics: [{ name: 'latency', query: 'lat{c="{{shortName}}"}', comparison: { method: 'mann-whitney', confidence: 0.98, resolution: '3s' } }],
      },
    });
    let settled: ShiftResult | Error | undefined;
    runShift(deps, { deploymentId: 'd1', config, newClusters: [NEW], oldClusters: [SERVING, ROLLED_BACK] }).then(
      (r) => (settled = r),
      (e: Error) => (settled = e),
    );
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(settled).toMatchObject({ outcome: 'promoted' });
    expect(provider.calls.some((c) => c.query === 'lat{c="eu17"}')).toBe(false);
    expect(journal.decisions.length).toBeGreaterThanOrEqual(2);
    for (const d of journal.decisions) expect(d.decisions[0]?.clusters?.[0]?.baseline?.clusters).toEqual([SERVING.cluster]);
    expect(sink.events.find((e) => e.code === 'traffic.baseline')?.message).toMatch(/eu17 took no starts when the shift began.*the baseline is eu16/);
    // It is still an old cluster of the shift: cordoned at the end like the others.
    expect(registry.get('meta-eu', 'eu17')).toMatchObject({ state: 'CORDONED', score: 0 });
  });
});
