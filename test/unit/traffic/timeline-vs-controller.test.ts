/**
 * "What the operator is told is what happens": for generated analysis configs (several metrics with
 * random per-metric initialDelay / interval / count, dry runs, steps, a staff stage, a bake) the stage
 * ends `plan`'s timeline promises equal the times the real shift controller advances, run on a
 * virtual clock (vitest fake timers drive the real clock) with an always-passing fake provider.
 * The controller is the counterpart here: the timeline is never consulted to drive it.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { describeShift } from '../../../src/steps/traffic/shift-plan.js';
import type { ClusterTarget, DeploymentPlanContext } from '../../../src/steps/step.js';
import { realClock } from '../../../src/traffic/clock.js';
import { trafficShiftSchema, type TrafficShiftConfig, type TrafficShiftInput } from '../../../src/traffic/config.js';
import type { ShiftProgress } from '../../../src/traffic/shift-ports.js';
import type { ScoreCluster } from '../../../src/traffic/scores.js';
import { runShift, type ShiftResult } from '../../../src/traffic/shift-controller.js';
import { buildTimeline } from '../../../src/traffic/timeline.js';
import type { RangeQueryOptions } from '../../../src/traffic/providers/provider.js';
import { FakeMetricProvider } from './fake-metric-provider.js';
import { FakeRegistry, MemoryJournal, QueueControl } from './fake-shift-ports.js';

const T0 = Date.parse('2025-01-01T12:00:00Z');
const NEW = { name: 'eu18', cluster: 'gp-prod-ws-eu18-eu-west1', region: 'europe-west1' };
const OLD = { name: 'eu17', cluster: 'gp-prod-ws-eu17-eu-west1', region: 'europe-west1' };

/** Remembers when each stage began (seconds since T0), as the controller journals it. */
class StageJournal extends MemoryJournal {
  readonly stages: Array<{ stage: string; at: number }> = [];

  override async recordStep(progress: ShiftProgress): Promise<void> {
    const stage = progress.phase === 'steps' ? `step ${progress.stepIndex}` : progress.phase;
    if (this.stages.at(-1)?.stage !== stage) this.stages.push({ stage, at: (progress.phaseStartedAtMs - T0) / 1000 });
    await super.recordStep(progress);
  }
}

/**
 * The new cluster's series: present until `vanishAfterMs` after they were first read (then gone, as a
 * cluster that stopped reporting), or never there (`vanishAfterMs` < 0: a cluster that never reports).
 */
class VanishingProvider extends FakeMetricProvider {
  firstReadAtMs: number | undefined;
  constructor(private readonly vanishAfterMs: number) {
    super();
  }

  get vanishedAtMs(): number | undefined {
    return this.firstReadAtMs === undefined ? undefined : this.firstReadAtMs + this.vanishAfterMs;
  }

  private gone(query: string): boolean {
    if (!query.includes('eu18')) return false;
    if (this.vanishAfterMs < 0) return true;
    this.firstReadAtMs ??= Date.now();
    return Date.now() >= (this.vanishedAtMs as number);
  }

  override async instant(query: string, options?: { time?: Date }) {
    return this.gone(query) ? [] : super.instant(query, options);
  }

  override async range(query: string, options: RangeQueryOptions) {
    return this.gone(query) ? [] : super.range(query, options);
  }
}

const seconds = (values: readonly number[]) => fc.constantFrom(...values).map((s) => `${s}s`);
const metricArb = fc.record(
  {
    interval: seconds([10, 15, 20, 30, 45, 60, 90]),
    initialDelay: seconds([0, 5, 10, 25, 40, 60, 75, 120]),
    count: fc.integer({ min: 1, max: 4 }),
    dryRun: fc.boolean(),
  },
  { requiredKeys: [] },
);
const configArb = fc.record({
  interval: seconds([10, 20, 30, 60]),
  initialDelay: seconds([0, 15, 30, 45]),
  steps: fc.uniqueArray(fc.integer({ min: 1, max: 99 }), { maxLength: 3 }).map((s) => [...s.sort((a, b) => a - b), 100]),
  bake: seconds([0, 0, 20, 45, 100, 300]),
  staff: fc.option(seconds([15, 40]), { nil: undefined }),
  metrics: fc.array(metricArb, { minLength: 1, maxLength: 4 }).map((ms) => (ms.every((m) => m.dryRun) ? [{ ...ms[0], dryRun: false }, ...ms.slice(1)] : ms)),
});
type Generated = typeof configArb extends fc.Arbitrary<infer T> ? T : never;

function toConfig(g: Generated, extra: { sampleDeadline?: string } = {}): TrafficShiftConfig {
  return trafficShiftSchema.parse({
    steps: g.steps,
    interval: g.interval,
    bake: g.bake,
    ...(g.staff ? { staffStage: { duration: g.staff } } : {}),
    analysis: {
      provider: { type: 'simulator' },
      initialDelay: g.initialDelay,
      ...extra,
      metrics: g.metrics.map((m, i) => ({ name: `m${i}`, query: `m${i}{c="{{shortName}}"}`, threshold: { max: 0.05 }, ...m })),
    },
  } as TrafficShiftInput);
}

/** Runs the real controller to the end on the virtual clock; returns when each stage began and when it finished. */
async function runController(
  config: TrafficShiftConfig,
  spoil: (provider: FakeMetricProvider) => void = () => {},
  provider: FakeMetricProvider = new FakeMetricProvider(),
): Promise<{ stages: Array<{ stage: string; at: number }>; result: ShiftResult | Error | undefined; journal: StageJournal }> {
  const registry = new FakeRegistry();
  registry.add('meta-eu', { name: 'eu18', state: 'CORDONED', score: 50 }).add('meta-eu', { name: 'eu17', score: 100 });
  for (const [i] of config.analysis?.metrics.entries() ?? []) for (const c of ['eu18', 'eu17']) provider.set(`m${i}{c="${c}"}`, [0.01]);
  spoil(provider);
  const journal = new StageJournal(registry.log);
  // A long poll: waits go straight to their deadline (no 1 s steps), so the virtual run stays cheap.
  const deps = { registry, metas: ['meta-eu'], provider, clock: realClock, journal, control: new QueueControl(), sink: new MemorySink(), pollMs: 3_600_000 };
  let result: ShiftResult | Error | undefined;
  runShift(deps, { deploymentId: 'd1', config, newClusters: [NEW], oldClusters: [OLD] }).then(
    (r) => (result = r),
    (e: Error) => (result = e),
  );
  // Bounded: a config of this generator promotes within an hour of virtual time.
  for (let i = 0; i < 60 && result === undefined; i++) await vi.advanceTimersByTimeAsync(60_000);
  return { stages: journal.stages, result, journal };
}

const SCORE_CLUSTERS: ScoreCluster[] = [
  { name: 'eu18', role: 'new', region: 'europe-west1', state: 'CORDONED', score: 0, maxScore: 100, constraintSet: '' },
  { name: 'eu17', role: 'old', region: 'europe-west1', state: 'AVAILABLE', score: 100, maxScore: 100, constraintSet: '' },
];

/** The stage ends the timeline promises, in the shape the controller's journal shows them. */
function promised(config: TrafficShiftConfig): Array<{ stage: string; at: number }> {
  const t = buildTimeline(config, SCORE_CLUSTERS);
  const stages = [...(t.staffStageMs > 0 ? [{ stage: 'staff', at: 0 }] : []), ...t.steps.map((s) => ({ stage: `step ${s.index}`, at: s.startsAtMs / 1000 }))];
  const last = t.steps.at(-1);
  // The controller enters the bake after the last step even without one (and finishes at once).
  stages.push({ stage: 'bake', at: (last?.endsAtMs ?? 0) / 1000 });
  stages.push({ stage: 'done', at: t.minTimeToPromotionMs / 1000 });
  expect(t.minTimeToFullMs).toBe(last?.startsAtMs);
  return stages;
}

describe('the timeline plan promises is the schedule the controller keeps', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('promises every stage start, step end, bake end and promotion at the time the controller advances (generated configs)', async () => {
    await fc.assert(
      fc.asyncProperty(configArb, async (g) => {
        vi.setSystemTime(T0);
        const config = toConfig(g);
        const { stages, result } = await runController(config);
        expect(result).toMatchObject({ outcome: 'promoted' });
        expect(stages.filter((s) => s.stage !== 'start')).toEqual(promised(config));
      }),
      { numRuns: 40, seed: 20_261_202 },
    );
  });

  it('rolls back a metric that fails (or errors) from the shift\'s start no later than the worst case plan promises (generated configs)', async () => {
    const limits = fc.record({ failureLimit: fc.integer({ min: 0, max: 2 }), consecutiveErrorLimit: fc.integer({ min: 0, max: 2 }) }, { requiredKeys: [] });
    await fc.assert(
      fc.asyncProperty(configArb, fc.array(limits, { minLength: 4, maxLength: 4 }), fc.nat(), fc.constantFrom('fail', 'error'), async (g, perMetric, pick, how) => {
        vi.setSystemTime(T0);
        const config = toConfig({ ...g, metrics: g.metrics.map((m, i) => ({ ...m, ...perMetric[i] })) });
        const deciding = config.analysis?.metrics.map((m, i) => ({ m, i })).filter(({ m }) => !m.dryRun) ?? [];
        const bad = deciding[pick % deciding.length]?.i ?? 0;
        const { result, journal } = await runController(config, (provider) => {
          for (const c of ['eu18', 'eu17']) {
            if (how === 'fail' && c === 'eu18') provider.set(`m${bad}{c="${c}"}`, [0.5]);
            if (how === 'error') provider.fail(`m${bad}{c="${c}"}`, 'unreachable');
          }
        });
        expect(result).toMatchObject({ outcome: 'rolled-back' });
        const decidedAt = (Date.parse(journal.decisions.at(-1)?.at ?? '') - T0) / 1000;
        const t = buildTimeline(config, SCORE_CLUSTERS);
        const bound = how === 'fail' ? t.detection.failingMetricMs : t.detection.brokenMetricsMs;
        expect(decidedAt).toBeLessThanOrEqual(bound / 1000);
      }),
      { numRuns: 40, seed: 20_261_203 },
    );
  });

  const failureLimits = fc.array(fc.record({ failureLimit: fc.integer({ min: 0, max: 2 }) }, { requiredKeys: [] }), { minLength: 4, maxLength: 4 });
  const deadlines = seconds([20, 45, 60, 150, 300]);

  it('rolls back a cluster that never reports no later than plan promises, each metric at its own interval (generated configs)', async () => {
    await fc.assert(
      fc.asyncProperty(configArb, failureLimits, deadlines, async (g, perMetric, sampleDeadline) => {
        vi.setSystemTime(T0);
        const config = toConfig({ ...g, metrics: g.metrics.map((m, i) => ({ ...m, ...perMetric[i] })) }, { sampleDeadline });
        const { result, journal } = await runController(config, () => {}, new VanishingProvider(-1));
        expect(result).toMatchObject({ outcome: 'rolled-back' });
        const last = journal.decisions.at(-1);
        expect(last?.decisions.find((d) => d.outcome === 'fail')?.rule).toBe('no-data.never-reported');
        const decidedAt = Date.parse(last?.at ?? '') - T0;
        expect(decidedAt).toBeLessThanOrEqual(buildTimeline(config, SCORE_CLUSTERS).detection.silentClusterMs);
      }),
      { numRuns: 30, seed: 20_261_204 },
    );
  });

  it('rolls back a cluster that stopped reporting no later than plan promises after its series stopped (generated configs)', async () => {
    await fc.assert(
      fc.asyncProperty(configArb, failureLimits, fc.integer({ min: 1, max: 400 }), async (g, perMetric, vanishAfterS) => {
        vi.setSystemTime(T0);
        // Steps long enough that the series stop during the shift, not after its promotion.
        const config = toConfig({ ...g, steps: [10, 20, 30, 40, 50, 100], bake: '600s', metrics: g.metrics.map((m, i) => ({ ...m, ...perMetric[i] })) });
        const provider = new VanishingProvider(vanishAfterS * 1000);
        const { result, journal } = await runController(config, () => {}, provider);
        expect(result).toMatchObject({ outcome: 'rolled-back' });
        const last = journal.decisions.at(-1);
        expect(last?.decisions.find((d) => d.outcome === 'fail')?.rule).toBe('no-data.stopped-reporting');
        const sinceStopped = Date.parse(last?.at ?? '') - (provider.vanishedAtMs as number);
        expect(sinceStopped).toBeLessThanOrEqual(buildTimeline(config, SCORE_CLUSTERS).detection.stoppedReportingMs);
      }),
      { numRuns: 30, seed: 20_261_205 },
    );
  });

  it('the case that showed the drift: slow every 2m after 1m30s with count 2 ends step 1 at 6m30s, not 1m30s', async () => {
    const config = trafficShiftSchema.parse({
      steps: [25, 50, 100],
      interval: '60s',
      analysis: {
        provider: { type: 'simulator' },
        initialDelay: '30s',
        metrics: [
          { name: 'fast', query: 'm0{c="{{shortName}}"}', threshold: { max: 0.05 } },
          { name: 'slow', query: 'm1{c="{{shortName}}"}', threshold: { max: 0.05 }, interval: '120s', initialDelay: '90s', count: 2 },
        ],
      },
    } as TrafficShiftInput);
    const expected = [{ stage: 'step 0', at: 0 }, { stage: 'step 1', at: 390 }, { stage: 'step 2', at: 750 }, { stage: 'bake', at: 1110 }, { stage: 'done', at: 1110 }];
    expect(promised(config)).toEqual(expected);
    expect((await runController(config)).stages.filter((s) => s.stage !== 'start')).toEqual(expected);
  });
});

describe('plan text', () => {
  const cluster = { shortName: 'eu18', region: 'europe-west1', prefix: 'eu' } as ClusterTarget;
  const ctx = { clusters: [cluster], config: { metaClusters: [{ name: 'meta-eu' }] } } as unknown as DeploymentPlanContext;

  it('says when each step ends at the earliest and what a stage needs from each metric, and that counted starts depend on traffic', () => {
    const config = trafficShiftSchema.parse({
      steps: [25, 100],
      interval: '60s',
      bake: '5m',
      analysis: {
        provider: { type: 'simulator' },
        initialDelay: '30s',
        metrics: [
          { name: 'fast', query: 'fast{c="{{shortName}}"}', threshold: { max: 0.05 } },
          { name: 'slow', query: 'slow{c="{{shortName}}"}', threshold: { max: 0.05 }, interval: '120s', initialDelay: '90s', count: 2 },
          {
            name: 'failures',
            query: 'f{c="{{shortName}}"}',
            samplesQuery: 's{c="{{shortName}}"}',
            threshold: { max: 0.05, sequential: { healthy: 0.01 } },
          },
        ],
      },
    } as TrafficShiftInput);
    const text = describeShift(ctx, config).map((a) => a.description).join('\n');
    // Step 1: 30 s delay, then ticks every 60 s until slow has 2 passes (t − 90 ≥ 240): 6 ticks → +6m30s.
    expect(text).toMatch(/step 1\/2 at \+0s: .*measure every 1m; ends at the earliest at \+6m30s/);
    expect(text).toMatch(/step 2\/2 at \+6m30s: .*ends at the earliest at \+12m30s/);
    // Bake: max(6 ticks for slow, 5 for 5m) → 6m after the last step.
    expect(text).toMatch(/bake at 100 % for 5m, ends at the earliest at \+18m30s/);
    expect(text).toMatch(/promotion \(old clusters cordoned\) after 18m30s/);
    expect(text).toMatch(/slow: 2 passes every 2m after 1m30s/);
    expect(text).toMatch(/at the least 6 measurements per stage/);
    // The SPRT's fastest acceptance (no failure): ceil(ln 0.05 / ln(0.95 / 0.99)) = 73 starts.
    expect(text).toMatch(/failures ≥ 73 starts per cluster \(sequential test, without a failure\)/);
  });
  it('says that the windows were checked against analysis.scrapeInterval only, and that the run checks the real interval before the first change', () => {
    const shift = (scrapeInterval?: string) =>
      trafficShiftSchema.parse({
        steps: [100],
        interval: '60s',
        analysis: {
          provider: { type: 'prometheus', url: 'http://127.0.0.1:9' },
          ...(scrapeInterval ? { scrapeInterval } : {}),
          metrics: [{ name: 'starts', query: 'sum(rate(s{c="{{shortName}}"}[{{interval}}]))', threshold: { min: 1 } }],
        },
      } as TrafficShiftInput);
    const text = (c: TrafficShiftConfig) => describeShift(ctx, c).map((a) => a.description).join('\n');
    expect(text(shift('15s'))).toMatch(/checked the gate windows against analysis\.scrapeInterval \(15s\) only; before the first registry change the run reads the real interval from Prometheus .* refuses the shift for a window shorter than two of them; where it cannot be read .* it warns/);
    expect(text(shift())).toMatch(/checked no gate window against a scrape interval \(analysis\.scrapeInterval is not set\); before the first registry change/);
    // The simulator has no scraping: nothing to check, nothing said.
    expect(text(trafficShiftSchema.parse({ steps: [100], analysis: { provider: { type: 'simulator' }, metrics: [{ name: 'm', query: 'm', threshold: { max: 1 } }] } } as TrafficShiftInput))).not.toMatch(/real interval/);
  });
});

