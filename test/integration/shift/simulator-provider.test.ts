/**
 * The simulator metric provider and the sandbox fault knob: windowed counters
 * from a real registry simulator, 0/0 as NaN (no data, like PromQL), unknown
 * queries as bad-query, and `--inject-fault` parsing and targeting.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { alwaysReachable, startSimulator, type RunningSimulator } from '../../../src/registry/simulator/index.js';
import { describeFault, parseFaultSpec, resolveFaultTargets, vanishTimes } from '../../../src/sandbox/sandbox-traffic.js';
import { parseSimulatorQuery, SimulatorProvider } from '../../../src/sandbox/simulator-provider.js';
import { planTimeline } from '../../../src/steps/traffic/shift-plan.js';
import { buildTargets } from '../../../src/plan/targets.js';
import { readFileSync } from 'node:fs';

describe('simulator metric provider', () => {
  let sim: RunningSimulator | undefined;
  let dir = '';
  afterEach(async () => {
    await sim?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers windowed starts, failures and failure ratios from the counters', async () => {
    dir = await mkdtemp(join(tmpdir(), 'wsd-simprov-'));
    sim = await startSimulator({ stateFile: join(dir, 'state.json'), reachability: alwaysReachable });
    let now = 1_000_000;
    const s = sim;
    const provider = new SimulatorProvider({ readers: [() => s.counters()], now: () => now, sampleEveryMs: 0 });
    await s.setRunning('eu1', 0); // known, with zero counters
    provider.sample();
    // No starts yet: the ratio is 0/0 (NaN, "no data" for the judges); unknown clusters match no series.
    const empty = await provider.instant('failure_ratio(eu1[5s])', { time: new Date(now) });
    expect(Number.isNaN(empty[0]?.points[0]?.[1])).toBe(true);
    expect(await provider.instant('starts(eu9[5s])')).toEqual([]);
    // 10 s later the cluster saw 40 starts, 10 of them failed (as the simulator counts them when it places them).
    const counters = s.counters();
    const patched = { ...counters, eu1: { ...counters.eu1!, starts: 40, failures: 10, running: 30 } };
    now = 1_000_000;
    const provider2 = new SimulatorProvider({ readers: [() => (now < 1_010_000 ? counters : patched)], now: () => now, sampleEveryMs: 0 });
    now = 1_010_000;
    expect((await provider2.instant('starts(eu1[5s])'))[0]?.points[0]?.[1]).toBe(40);
    expect((await provider2.instant('failures(eu1[5s])'))[0]?.points[0]?.[1]).toBe(10);
    expect((await provider2.instant('failure_ratio(eu1[5s])'))[0]?.points[0]?.[1]).toBe(0.25);
    expect((await provider2.instant('running(eu1)'))[0]?.points[0]?.[1]).toBe(30);
    // A range query evaluates the window at every step: before the jump nothing happened.
    const range = await provider2.range('starts(eu1[5s])', { start: new Date(1_000_000), end: new Date(1_010_000), stepMs: 5_000 });
    expect(range[0]?.points.map((p) => p[1])).toEqual([0, 0, 40]);
    provider.stop();
    provider2.stop();
  });

  it('rejects queries outside its language as bad-query', () => {
    expect(() => parseSimulatorQuery('rate(x[5m])')).toThrow(/not understood/);
    expect(() => parseSimulatorQuery('starts(eu1)')).toThrow(/needs a window/);
    expect(parseSimulatorQuery('failure_ratio(eu17[30s])')).toEqual({ fn: 'failure_ratio', cluster: 'eu17', windowMs: 30_000 });
    // Tiled windows span what passed since the last one: compound Prometheus durations, as the controller writes them.
    expect(parseSimulatorQuery('failure_ratio(eu17[4s989ms])')).toEqual({ fn: 'failure_ratio', cluster: 'eu17', windowMs: 4_989 });
    expect(parseSimulatorQuery('starts(eu17[1m30s])')).toEqual({ fn: 'starts', cluster: 'eu17', windowMs: 90_000 });
    expect(parseSimulatorQuery('starts(eu17[1h2m3s4ms])')).toEqual({ fn: 'starts', cluster: 'eu17', windowMs: 3_723_004 });
    expect(() => parseSimulatorQuery('starts(eu17[30s1m])')).toThrow(/not a duration/);
  });

  it('parses and targets --inject-fault', () => {
    expect(parseFaultSpec('eu:0.5')).toEqual({ cluster: 'eu', rate: 0.5 });
    expect(() => parseFaultSpec('eu:1.5')).toThrow(/between 0 and 1/);
    expect(() => parseFaultSpec('eu')).toThrow(/<cluster>:<failure-rate>/);
    const clusters = [{ name: 'gp-dev-ws-eu2-eu-west1', shortName: 'eu2', prefix: 'eu' }, { name: 'gp-dev-ws-us2-us-west1', shortName: 'us2', prefix: 'us' }];
    expect(resolveFaultTargets({ cluster: 'eu', rate: 1 }, clusters)).toEqual(['eu2']);
    expect(resolveFaultTargets({ cluster: 'us2', rate: 1 }, clusters)).toEqual(['us2']);
    expect(resolveFaultTargets({ cluster: 'eu1', rate: 1 }, clusters)).toEqual(['eu1']);
    expect(() => resolveFaultTargets({ cluster: 'ap', rate: 1 }, clusters)).toThrow(/no cluster of this deployment/);
  });

  it('parses --inject-fault <cluster>:vanish@<duration> and times the vanish from the shift\'s start', () => {
    expect(parseFaultSpec('eu:vanish@10s')).toEqual({ cluster: 'eu', vanishAfterMs: 10_000 });
    expect(describeFault({ cluster: 'eu', vanishAfterMs: 90_000 })).toBe('eu:vanish@1m30s');
    expect(() => parseFaultSpec('eu:vanish@soon')).toThrow(/<cluster>:vanish@<duration>/);
    const clusters = [{ name: 'gp-dev-ws-eu2-eu-west1', shortName: 'eu2', prefix: 'eu' }, { name: 'gp-dev-ws-us2-us-west1', shortName: 'us2', prefix: 'us' }];
    const specs = [parseFaultSpec('eu:vanish@10s'), parseFaultSpec('us:0.5')];
    expect([...vanishTimes(specs, clusters, 1_000)]).toEqual([['eu2', 11_000]]);
  });

  it('the sandbox example promotes within a couple of minutes', () => {
    const file = join(process.cwd(), 'examples', 'sandbox.yaml');
    const loaded = parseConfig(readFileSync(file, 'utf8'), file);
    const shift = loaded.config.trafficShift;
    expect(shift?.analysis?.provider.type).toBe('simulator');
    const timeline = planTimeline(shift as NonNullable<typeof shift>, buildTargets(loaded.config, 7));
    expect(timeline.minTimeToPromotionMs).toBeLessThanOrEqual(60_000);
  });
});
