/**
 * The shift at 100 % and in the bake compares with the old clusters' values from
 * before the shift began (they take no starts any more), so a healthy shift with a
 * comparison metric promotes unattended; a first generation's threshold gates run
 * for `firstGenerationWatch` and a failure leaves its clusters as they are.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { realClock } from '../../../src/traffic/clock.js';
import { trafficShiftSchema, type TrafficShiftInput } from '../../../src/traffic/config.js';
import type { RangeQueryOptions } from '../../../src/traffic/providers/provider.js';
import { runShift, type ShiftResult } from '../../../src/traffic/shift-controller.js';
import { FakeMetricProvider } from './fake-metric-provider.js';
import { FakeRegistry, MemoryJournal, QueueControl } from './fake-shift-ports.js';

const METAS = ['meta-eu'];
const NEW = { name: 'eu18', cluster: 'gp-prod-ws-eu18-eu-west1', region: 'europe-west1' };
const OLD = { name: 'eu17', cluster: 'gp-prod-ws-eu17-eu-west1', region: 'europe-west1' };
const T0 = new Date('2025-01-01T12:00:00Z').getTime();
const healthy = Array.from({ length: 20 }, (_, i) => 10 + (i % 5));

/** Old clusters report only while they take starts: up to the moment the shift reached 100 %. */
class OldGoesQuiet extends FakeMetricProvider {
  quietFromMs = Number.POSITIVE_INFINITY;
  override async range(query: string, options: RangeQueryOptions) {
    if (query.includes('eu17') && options.end.getTime() > this.quietFromMs) return [];
    return super.range(query, options);
  }
}

function setup(oldClusters = [OLD]) {
  const registry = new FakeRegistry();
  registry.add('meta-eu', { name: 'eu18', state: 'CORDONED', score: 50 });
  if (oldClusters.length > 0) registry.add('meta-eu', { name: 'eu17', score: 100 });
  const journal = new MemoryJournal(registry.log);
  const provider = new OldGoesQuiet();
  const deps = { registry, metas: METAS, provider, clock: realClock, journal, control: new QueueControl(), sink: new MemorySink() };
  return { registry, journal, provider, deps };
}

function run(deps: ReturnType<typeof setup>['deps'], input: TrafficShiftInput, oldClusters = [OLD]) {
  let settled: ShiftResult | Error | undefined;
  runShift(deps, { deploymentId: 'd1', config: trafficShiftSchema.parse(input), newClusters: [NEW], oldClusters }).then(
    (r) => (settled = r),
    (e: Error) => (settled = e),
  );
  return () => settled;
}

describe('baseline at 100 % and first generation', () => {
  beforeEach(() => vi.useFakeTimers({ now: new Date(T0) }));
  afterEach(() => vi.useRealTimers());

  it('promotes a healthy shift with a comparison metric unattended, through 100 % and the bake', async () => {
    const { journal, provider, deps } = setup();
    provider.set('lat{c="eu18"}', healthy).set('lat{c="eu17"}', healthy);
    // At 100 % (from T0 + 2 min) the old cluster has no fresh data at all.
    provider.quietFromMs = T0 + 2 * 60_000 + 1;
    const result = run(deps, {
      steps: [50, 100],
      interval: '60s',
      bake: '2m',
      analysis: {
        provider: { type: 'simulator' },
        metrics: [{ name: 'latency', query: 'lat{c="{{shortName}}"}', comparison: { method: 'mann-whitney', confidence: 0.98, resolution: '3s' } }],
      },
    });
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(result()).toMatchObject({ outcome: 'promoted' });
    const at100 = journal.decisions.filter((d) => d.percent === 100);
    expect(at100.length).toBeGreaterThanOrEqual(2);
    for (const d of at100) {
      expect(d.decisions[0]).toMatchObject({ outcome: 'pass' });
      expect(d.decisions[0]?.clusters?.[0]?.baseline?.at).toBe(new Date(T0).toISOString());
    }
  });

  it('runs a first generation\'s threshold gates for the watch and fails it without touching its clusters', async () => {
    const { registry, provider, deps } = setup([]);
    provider.set('fail{c="eu18"}', [0.9]);
    const input = {
      steps: [100],
      interval: '60s',
      analysis: {
        provider: { type: 'simulator' as const },
        metrics: [
          { name: 'failures', query: 'fail{c="{{shortName}}"}', threshold: { max: 0.1 } },
          { name: 'latency', query: 'lat{c="{{shortName}}"}', comparison: { method: 'mann-whitney' as const } },
        ],
        firstGenerationWatch: '5m',
      },
    };
    const result = run(deps, input, []);
    await vi.advanceTimersByTimeAsync(2 * 60_000);
    const r = result() as ShiftResult;
    expect(r.outcome).toBe('failed');
    expect(r.reason).toMatch(/failures on gp-prod-ws-eu18-eu-west1 is 0\.9, above the maximum 0\.1.*left as they are/);
    // It takes all starts and stays so: there is no previous generation to fall back to.
    expect(registry.get('meta-eu', 'eu18')).toMatchObject({ state: 'AVAILABLE', score: 100 });
    expect(provider.calls.some((c) => c.query.startsWith('lat'))).toBe(false);
  });

  it('promotes a healthy first generation after the watch', async () => {
    const { provider, deps, journal } = setup([]);
    provider.set('fail{c="eu18"}', [0.0]);
    const result = run(
      deps,
      { steps: [100], interval: '60s', analysis: { provider: { type: 'simulator' }, metrics: [{ name: 'failures', query: 'fail{c="{{shortName}}"}', threshold: { max: 0.1 } }], firstGenerationWatch: '3m' } },
      [],
    );
    await vi.advanceTimersByTimeAsync(2 * 60_000);
    expect(result()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(2 * 60_000);
    expect(result()).toMatchObject({ outcome: 'promoted' });
    expect(journal.decisions.length).toBeGreaterThanOrEqual(3);
  });

  it('measures each metric at its own interval and advances only when every metric passed in the step', async () => {
    const { journal, provider, deps } = setup();
    provider.set('fail{c="eu18"}', [0]).set('fail{c="eu17"}', [0]).set('slow{c="eu18"}', [0]).set('slow{c="eu17"}', [0]);
    const result = run(deps, {
      steps: [50, 100],
      interval: '60s',
      analysis: {
        provider: { type: 'simulator' },
        metrics: [
          { name: 'fast', query: 'fail{c="{{shortName}}"}', threshold: { max: 0.1 } },
          { name: 'slow', query: 'slow{c="{{shortName}}"}', threshold: { max: 0.1 }, interval: '3m' },
        ],
      },
    });
    await vi.advanceTimersByTimeAsync(2 * 60_000 + 1_000);
    // Two ticks of the fast metric; the slow one is not due yet, so the step waits.
    expect(journal.decisions.map((d) => d.decisions.map((x) => x.metric).join('+'))).toEqual(['fast', 'fast']);
    expect(journal.decisions.map((d) => d.verdict)).toEqual(['wait', 'wait']);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(journal.decisions.at(-1)?.decisions.map((x) => x.metric)).toEqual(['fast', 'slow']);
    expect(journal.decisions.at(-1)).toMatchObject({ verdict: 'pass', percent: 50 });
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(result()).toMatchObject({ outcome: 'promoted' });
  });
});
