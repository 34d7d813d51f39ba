/**
 * An inconclusive pause gives the metrics their inconclusiveLimit again once a human resumes — also
 * when the run that paused is gone and a later run (`deploy` again) is resumed. Before, only the run
 * that paused reset the counters: a resumed later run paused again at its first inconclusive result.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { realClock } from '../../../src/traffic/clock.js';
import { trafficShiftSchema } from '../../../src/traffic/config.js';
import { runShift, type ShiftResult } from '../../../src/traffic/shift-controller.js';
import { FakeMetricProvider } from './fake-metric-provider.js';
import { FakeRegistry, MemoryJournal, QueueControl } from './fake-shift-ports.js';

const NEW = { name: 'eu18', cluster: 'gp-prod-ws-eu18-eu-west1', region: 'europe-west1' };
const OLD = { name: 'eu17', cluster: 'gp-prod-ws-eu17-eu-west1', region: 'europe-west1' };
const minutes = (n: number) => vi.advanceTimersByTimeAsync(n * 60_000);

const config = trafficShiftSchema.parse({
  steps: [25, 100],
  interval: '60s',
  analysis: {
    provider: { type: 'simulator' },
    // Too few starts for ever: past the 2-minute sampleDeadline every measurement is inconclusive; the limit tolerates one.
    metrics: [{ name: 'failures', query: 'fail{c="{{shortName}}"}', samplesQuery: 'starts{c="{{shortName}}"}', minSamples: 10, threshold: { max: 0.05 }, inconclusiveLimit: 1 }],
    sampleDeadline: '2m',
  },
});

describe('resuming an inconclusive pause in a later run', () => {
  beforeEach(() => vi.useFakeTimers({ now: new Date('2025-01-01T12:00:00Z') }));
  afterEach(() => vi.useRealTimers());

  it('resets the inconclusive counters as the run that paused would have', async () => {
    const registry = new FakeRegistry();
    registry.add('meta-eu', { name: 'eu18', state: 'CORDONED', score: 0 }).add('meta-eu', { name: 'eu17', score: 100 });
    const journal = new MemoryJournal(registry.log);
    const provider = new FakeMetricProvider().set('fail{c="eu18"}', [0]).set('fail{c="eu17"}', [0]).set('starts{c="eu18"}', [2]).set('starts{c="eu17"}', [50]);
    const control = new QueueControl();
    const deps = { registry, metas: ['meta-eu'], provider, clock: realClock, journal, control, sink: new MemorySink() };
    const start = (signal?: AbortSignal) => {
      let settled: ShiftResult | Error | undefined;
      runShift({ ...deps, signal }, { deploymentId: 'd1', config, newClusters: [NEW], oldClusters: [OLD] }).then(
        (r) => (settled = r),
        (e: Error) => (settled = e),
      );
      return () => settled;
    };

    const abort = new AbortController();
    const first = start(abort.signal);
    await minutes(3.5); // 1m wait, 2m inconclusive (tolerated), 3m inconclusive: paused
    expect(journal.decisions.map((d) => d.verdict)).toEqual(['wait', 'wait', 'inconclusive-pause']);
    expect(journal.progress).toMatchObject({ paused: true, pausedBy: 'inconclusive' });
    abort.abort();
    await vi.advanceTimersByTimeAsync(1);
    expect((first() as Error).name).toBe('AbortError');

    const second = start();
    await minutes(0.5);
    expect(journal.decisions).toHaveLength(3); // held: nothing measured
    control.push('resume');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(journal.progress?.counters.metrics?.failures?.inconclusive).toBe(0);
    expect(journal.progress?.pausedBy).toBeUndefined();
    // The later run watches from its start (4m): samples get the deadline again (the slot that came up while
    // held, then 5m: wait), the first inconclusive result (6m) is tolerated again and only the second (7m) pauses.
    await minutes(3);
    expect(journal.decisions.slice(3).map((d) => d.verdict)).toEqual(['wait', 'wait', 'wait', 'inconclusive-pause']);
    expect(second()).toBeUndefined();
  });
});
