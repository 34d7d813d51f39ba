/**
 * The opt-in sequential judge (`threshold.sequential`, an SPRT with Ville's anytime-valid bounds).
 * Expected values are closed-form numbers computed independently (Python's math.log, by hand), not by
 * calling the module: with p0 = 0.01, p1 = 0.05 each failure adds ln 5 = 1.6094379124341003 and each
 * success ln(0.95/0.99) = −0.041242958534049134; roll back at ln(1/0.01) = 4.605170185988092, pass at
 * ln 0.05 = −2.995732273553991.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { metricSchema } from '../../../src/traffic/analysis-config.js';
import { realClock } from '../../../src/traffic/clock.js';
import { trafficShiftSchema, type TrafficShiftInput } from '../../../src/traffic/config.js';
import { judgeSequentialThreshold } from '../../../src/traffic/judges/threshold.js';
import { describeJudging } from '../../../src/traffic/judging-plan.js';
import { runShift, type ShiftResult } from '../../../src/traffic/shift-controller.js';
import { bernoulliSprt, startsToAccept } from '../../../src/traffic/stats/sprt.js';
import { seededRandom } from '../../../src/registry/simulator/random.js';
import { FakeMetricProvider } from './fake-metric-provider.js';
import { FakeRegistry, MemoryJournal, QueueControl } from './fake-shift-ports.js';

const S = { p0: 0.01, p1: 0.05, alpha: 0.01, beta: 0.05 };
const RULE = { max: 0.05, healthy: 0.01, falseRollback: 0.01, falsePromotion: 0.05 };

describe('SPRT on counts', () => {
  it('computes the log likelihood ratio and the anytime-valid bounds', () => {
    expect(bernoulliSprt(0, 0, S)).toMatchObject({ llr: 0, upper: 4.605170185988092, lower: -2.995732273553991, decision: 'continue' });
    expect(bernoulliSprt(3, 20, S).llr).toBeCloseTo(4.1271834422234654, 12);
    expect(bernoulliSprt(4, 20, S).llr).toBeCloseTo(5.777864313191615, 12);
    expect(bernoulliSprt(1, 112, S).llr).toBeCloseTo(-2.9685304848453535, 12);
  });

  it('decides exactly at the boundaries', () => {
    expect(bernoulliSprt(2, 2, S).decision).toBe('continue'); // 3.2189 < 4.6052
    expect(bernoulliSprt(3, 3, S).decision).toBe('reject'); // 4.8283
    expect(bernoulliSprt(3, 20, S).decision).toBe('continue');
    expect(bernoulliSprt(4, 20, S).decision).toBe('reject');
    expect(bernoulliSprt(0, 72, S).decision).toBe('continue'); // −2.96949
    expect(bernoulliSprt(0, 73, S).decision).toBe('accept'); // −3.01074
    expect(bernoulliSprt(1, 112, S).decision).toBe('continue');
    expect(bernoulliSprt(1, 113, S).decision).toBe('accept'); // −3.00977
    expect(startsToAccept(S)).toBe(73); // ceil(2.995732 / 0.041243) = ceil(72.64)
  });

  it('judges a cluster: fail when damning, pass when sufficient (and minSamples met), wait otherwise', () => {
    expect(judgeSequentialThreshold('r', 'eu18', { failures: 4, samples: 20 }, RULE, 0)).toMatchObject({ outcome: 'fail', rule: 'sequential.reject', statistics: { method: 'sequential', n1: 20, p0: 0.01, alpha: 0.01, beta: 0.05 } });
    expect(judgeSequentialThreshold('r', 'eu18', { failures: 0, samples: 73 }, RULE, 0)).toMatchObject({ outcome: 'pass', rule: 'sequential.accept' });
    expect(judgeSequentialThreshold('r', 'eu18', { failures: 0, samples: 73 }, RULE, 100)).toMatchObject({ outcome: 'wait', rule: 'sequential.continue', message: expect.stringMatching(/need 100 starts \(minSamples\)/) });
    expect(judgeSequentialThreshold('r', 'eu18', { failures: 3, samples: 20 }, RULE, 0)).toMatchObject({ outcome: 'wait', rule: 'sequential.continue' });
  });
});

describe('error bound over every look (seeded simulation, as bench/judge-sequential.mjs)', () => {
  /** 1000 stages of a cluster failing with probability p, 20 starts per measurement, judged after each, ≤ 60 looks. */
  function stages(p: number): { pass: number; fail: number } {
    const rng = seededRandom(7);
    const tally = { pass: 0, fail: 0 };
    for (let r = 0; r < 1000; r++) {
      const c = { failures: 0, samples: 0 };
      for (let m = 0; m < 60; m++) {
        for (let i = 0; i < 20; i++) if (rng() < p) c.failures++;
        c.samples += 20;
        const o = judgeSequentialThreshold('r', 'c', c, RULE, 0).outcome;
        if (o === 'pass' || o === 'fail') {
          tally[o]++;
          break;
        }
      }
    }
    return tally;
  }

  it('rolls back at most falseRollback (1 %) of healthy stages and promotes at most falsePromotion (5 %) of stages at max', () => {
    expect(stages(0.01).fail).toBeLessThanOrEqual(10);
    expect(stages(0.05).pass).toBeLessThanOrEqual(50);
  });
});

describe('threshold.sequential config', () => {
  const base = { name: 'r', query: 'ratio{c="{{shortName}}"}', samplesQuery: 'starts{c="{{shortName}}"}' };
  const issues = (input: Record<string, unknown>) => metricSchema.safeParse({ ...base, ...input }).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];

  it('takes healthy with defaults for the error rates', () => {
    const m = metricSchema.parse({ ...base, threshold: { max: 0.05, sequential: { healthy: 0.01 } } });
    expect(m.threshold?.sequential).toEqual({ healthy: 0.01, falseRollback: 0.01, falsePromotion: 0.05 });
  });

  it('refuses healthy at or above max, a min bound, and a metric without counts', () => {
    expect(issues({ threshold: { max: 0.05, sequential: { healthy: 0.05 } } })).toEqual(['threshold.sequential.healthy: sequential.healthy 0.05 must lie below threshold max 0.05 (the rate a healthy cluster has, e.g. 0.01)']);
    expect(issues({ threshold: { min: 0.9, sequential: { healthy: 0.01 } } })[0]).toMatch(/^threshold\.sequential: sequential judges a failure ratio against its max/);
    expect(issues({ samplesQuery: undefined, threshold: { max: 0.05, sequential: { healthy: 0.01 } } })[0]).toMatch(/^threshold\.sequential: threshold\.sequential judges counts: the metric needs a samplesQuery/);
  });

  it('plan says what the sequential judge does and its error bounds', () => {
    const t = trafficShiftSchema.parse({ steps: [100], interval: '1m', analysis: { provider: { type: 'simulator' }, metrics: [{ ...base, threshold: { max: 0.05, sequential: { healthy: 0.01 } } }] } });
    expect(describeJudging(t.analysis, { kind: 'step', percent: 100 })).toBe(
      'r: threshold max 0.05, sequential test (SPRT) of 0.01 against it on each cluster\'s counts of the stage: rolls back as soon as damning (false-rollback ≤ 0.01), passes as soon as sufficient (false-promotion ≤ 0.05)',
    );
  });

  it('refuses overlapping windows (lookback longer than the interval): counts must not be added twice', () => {
    const r = trafficShiftSchema.safeParse({ steps: [100], interval: '1m', analysis: { provider: { type: 'simulator' }, metrics: [{ ...base, lookback: '5m', threshold: { max: 0.05, sequential: { healthy: 0.01 } } }] } });
    expect(r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'analysis.metrics.0.lookback: r: threshold.sequential adds up the counts of each measurement, so its windows must not overlap, but lookback 5m is longer than the interval 1m; drop lookback or make it at most the interval',
    ]);
  });
});

describe('a shift with the sequential judge', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2025-01-01T12:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** 40 starts per interval on every cluster, `failures` of them failing. */
  async function shift(threshold: Record<string, unknown>, failures: number) {
    const registry = new FakeRegistry().add('m', { name: 'eu18', state: 'CORDONED', score: 50 }).add('m', { name: 'eu17' });
    const journal = new MemoryJournal();
    const provider = new FakeMetricProvider();
    for (const c of ['eu18', 'eu17']) provider.set(`ratio{c="${c}"}`, [failures / 40]).set(`starts{c="${c}"}`, [40]);
    const config = trafficShiftSchema.parse({
      steps: [25, 50, 100],
      interval: '60s',
      analysis: { provider: { type: 'simulator' }, sampleDeadline: '1h', metrics: [{ name: 'r', query: 'ratio{c="{{shortName}}"}', samplesQuery: 'starts{c="{{shortName}}"}', threshold }] },
    } as TrafficShiftInput);
    let settled: ShiftResult | undefined;
    void runShift({ registry, metas: ['m'], provider, clock: realClock, journal, control: new QueueControl(), sink: new MemorySink() }, {
      deploymentId: 'd1', config,
      newClusters: [{ name: 'eu18', cluster: 'eu18', region: 'r' }],
      oldClusters: [{ name: 'eu17', cluster: 'eu17', region: 'r' }],
    }).then((r) => (settled = r));
    await vi.advanceTimersByTimeAsync(60 * 60_000);
    return { result: settled, perStage: [25, 50, 100].map((p) => journal.decisions.filter((d) => d.percent === p).length) };
  }

  it('promotes a clean cluster as soon as the evidence suffices: 2 measurements per stage (40 starts: llr −1.65; 80: −3.30 ≤ −3.00)', async () => {
    const seq = await shift({ max: 0.05, sequential: { healthy: 0.01 } }, 0);
    expect(seq.result).toMatchObject({ outcome: 'promoted' });
    expect(seq.perStage).toEqual([2, 2, 2]);
  });

  it('rolls back a 20 % failing cluster at the first measurement (8 of 40: llr 12.88 − 1.32 ≥ 4.61)', async () => {
    const seq = await shift({ max: 0.05, sequential: { healthy: 0.01 } }, 8);
    expect(seq.result).toMatchObject({ outcome: 'rolled-back', reason: expect.stringMatching(/sequential|evidence says the failure ratio is at 0\.05/) });
    expect(seq.perStage).toEqual([1, 0, 0]);
  });
});
