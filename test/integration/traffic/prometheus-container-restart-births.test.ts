/**
 * A canary's ws-manager container restarts inside its pod: same target (`instance`), counters from 0, a new
 * `process_start_time_seconds`. Its labelled failure series (client_golang's CounterVec) goes stale at the restart and
 * comes back at its first failures after it. When the pre-restart samples are before the window, Prometheus sees only
 * [20, 20, …] in it: rate() no increase, and the births check (counter-births.ts) took the series for one seen within
 * the hour, not born: a container whose first 20 starts after the restart all failed passed at "0 failures". When the
 * pre-restart samples are inside the window, rate()'s reset detection counts the reborn value: counted once, not
 * again as born. Real Prometheus, 1 s scrapes; the truth is the raw samples it stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measure } from '../../../src/traffic/judges/measure.js';
import { ZERO_COUNTERS } from '../../../src/traffic/judges/step-verdict.js';
import { PrometheusProvider } from '../../../src/traffic/providers/prometheus.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { waitFor } from '../shift/harness.js';
import { FAILURES, measureContext, STARTS, startFailureRatioAnalysis } from './measure-context.js';
import { startPrometheus, type RunningPrometheus } from './prometheus-process.js';
import { storedSamples, type StoredSample } from './stored-samples.js';
import { WorkspaceExporter } from './workspace-exporter.js';

const hasPrometheus = requireBinary('prometheus', "a restarted container's first failures are judged against a real Prometheus");

const analysis = startFailureRatioAnalysis();
const selector = (template: string, short: string) => template.replace('{{shortName}}', short);

describe.skipIf(!hasPrometheus)('a canary container restarted in its pod (real prometheus)', () => {
  const old = new WorkspaceExporter();
  const pods = new Map<string, WorkspaceExporter>();
  let prometheus: RunningPrometheus;
  let provider: PrometheusProvider;

  const samples = (template: string, short: string, from: number, end: number) => storedSamples(prometheus.url, selector(template, short), from, end);

  /** Waits until `check` holds of the cluster's stored failure samples (the last 60 s). */
  async function failuresUntil(short: string, what: string, check: (s: StoredSample[]) => boolean): Promise<StoredSample[]> {
    let stored: StoredSample[] = [];
    await waitFor(what, async () => check((stored = await samples(FAILURES, short, Date.now() - 60_000, Date.now()).catch(() => []))), 60_000);
    return stored;
  }

  /**
   * The pod's container restarts: counters from 0 (its failure series gone until its next failure), a new process start
   * time. Answers the stamps of the last scrape stored before the restart and of the first after it, told apart by the
   * starts counter's drop in the stored samples (not by when the restart was sent: a scrape may be under way).
   */
  async function restart(short: string): Promise<{ lastBefore: number; firstAfter: number }> {
    const pod = pods.get(short) as WorkspaceExporter;
    pod.restart(short);
    pod.processStartMs = Date.now();
    let seam = { lastBefore: NaN, firstAfter: NaN };
    await waitFor(`a scrape of ${short} after its restart`, async () => {
      const stored = await samples(STARTS, short, Date.now() - 30_000, Date.now()).catch(() => []);
      const i = stored.findIndex((x, k) => k > 0 && x.v < (stored[k - 1]?.v ?? 0));
      if (i > 0) seam = { lastBefore: stored[i - 1]?.t ?? NaN, firstAfter: stored[i]?.t ?? NaN };
      return i > 0;
    }, 30_000);
    return seam;
  }

  beforeAll(async () => {
    old.processStartMs = Date.now() - 3_600_000;
    old.set('old', { startsPerTick: 1, failureRatio: 0.02 });
    const targets = [`127.0.0.1:${await old.start(100)}`];
    // Each canary in a pod of its own (its own instance): a restart resets only its counters and start time.
    for (const short of ['outside', 'inside']) {
      const pod = new WorkspaceExporter();
      pods.set(short, pod);
      pod.processStartMs = Date.now() - 3_600_000;
      // 2.5 starts a second, labelled counters (exported from their first event on).
      pod.set(short, { startsPerTick: 1, failureRatio: 0, failuresFromFirst: true, startsFromFirst: true });
      targets.push(`127.0.0.1:${await pod.start(400)}`);
    }
    prometheus = await startPrometheus(targets, 20_000, 150_000);
    provider = new PrometheusProvider({ url: prometheus.url, timeoutMs: 10_000 });
    await waitFor('5 s of every cluster', async () => {
      const stored = await Promise.all(['old', 'outside', 'inside'].map((s) => samples(STARTS, s, Date.now() - 5_000, Date.now()).catch(() => [])));
      return stored.every((s) => s.length >= 5);
    }, 60_000);
  }, 90_000);

  afterAll(async () => {
    await prometheus?.stop();
    await Promise.all([old.stop(), ...[...pods.values()].map((p) => p.stop())]);
  });

  it('counts the failures of a series back after the restart, its pre-restart samples before the window: the gate fails', async () => {
    const pod = pods.get('outside') as WorkspaceExporter;
    // Before the restart the failure series exists (5 failures), and is stored.
    pod.addStarts('outside', 5, 5);
    await failuresUntil('outside', 'the failure series at 5', (s) => s.at(-1)?.v === 5);
    const { lastBefore } = await restart('outside');
    // The container's first 20 starts after the restart fail: the series comes back at 20.
    pod.addStarts('outside', 20, 20);
    const failures = await failuresUntil('outside', '3 s of the series back', (s) => {
      const back = s.filter((x) => x.t > lastBefore);
      return back.length > 0 && (back.at(-1)?.t ?? 0) >= (back[0]?.t ?? 0) + 3_000;
    });
    const back = failures.filter((s) => s.t > lastBefore);
    // The window: from just after the last scrape before the restart (Prometheus 2's ranges include their start) to the
    // first scrape 3 s or more after the series came back (a window ending on a scrape: rate() extrapolates the starts'
    // jump of 20 no further than to it; a second past it, over ~3 s of samples, is 10 starts more).
    const at = back.find((s) => s.t >= (back[0]?.t ?? 0) + 3_000)?.t ?? NaN;
    const starts = await samples(STARTS, 'outside', lastBefore - 10_000, at);
    const inWindow = (s: StoredSample) => s.t > lastBefore && s.t <= at;
    // Premise: the window holds only samples after the restart (the series at 20 from its first: rate() sees no
    // increase), the series was seen within the hour before it (at 5), and its failures are over 15 % of the starts.
    expect(failures.filter((s) => s.t <= lastBefore).at(-1)?.v, JSON.stringify(failures)).toBe(5);
    expect(back.filter(inWindow).map((s) => s.v), JSON.stringify(back)).toEqual(back.filter(inWindow).map(() => 20));
    const truth = { failures: 20, starts: starts.filter(inWindow).at(-1)?.v ?? NaN };
    expect(truth.failures / truth.starts).toBeGreaterThan(0.15);
    const m = await measure(analysis, measureContext(provider, at, { new: 'outside', old: 'old' }, { intervalMs: at - lastBefore - 1 }), ZERO_COUNTERS);
    const d = m.decisions[0];
    const c = d?.clusters?.[0];
    expect(c?.failures, d?.message).toBe(truth.failures);
    // Starts: the stored ones plus rate()'s extrapolation past the first and last sample (at most a scrape each side at 2.5/s).
    expect(Math.abs((c?.samples ?? 0) - truth.starts), d?.message).toBeLessThanOrEqual(8);
    expect(d?.outcome, d?.message).toBe('fail');
    expect(d?.warnings.join('\n')).toMatch(/gp-prod-ws-outside-eu-west1: 1 failure series began in the window: counted from 0 \(20 failure\(s\)/);

    // The next window, tiled from this one's end: the series was seen under the restarted process before it, so its 20
    // failures (counted above) are not born again. Its samples there are all 20 (no failure since): 0 failures.
    const next = at + 3_000;
    await failuresUntil('outside', 'the next 3 s stored', (s) => (s.at(-1)?.t ?? 0) >= next);
    const later = (await samples(FAILURES, 'outside', at, next)).filter((s) => s.t > at && s.t <= next);
    expect(later.map((s) => s.v)).toEqual(later.map(() => 20));
    const again = await measure(analysis, measureContext(provider, next, { new: 'outside', old: 'old' }, { intervalMs: 3_000 }), ZERO_COUNTERS);
    expect(again.decisions[0]?.clusters?.[0]?.failures, again.decisions[0]?.message).toBe(0);
    expect(again.decisions[0]?.warnings.join('\n')).not.toMatch(/failure series began in the window/);
  }, 90_000);

  it('counts a restart inside the window once: rate() counts the reset, the series is not counted again as born', async () => {
    const pod = pods.get('inside') as WorkspaceExporter;
    // Before the restart the failure series is at 30; after it, it comes back at 20 (below 30: a reset rate() sees).
    pod.addStarts('inside', 30, 30);
    await failuresUntil('inside', 'the failure series at 30 for 3 s', (s) => s.filter((x) => x.v === 30).length >= 4);
    const beforeRestart = (await samples(FAILURES, 'inside', Date.now() - 10_000, Date.now())).at(-1)?.t ?? NaN;
    const { lastBefore } = await restart('inside');
    pod.addStarts('inside', 20, 20);
    const failures = await failuresUntil('inside', '3 s of the series back', (s) => {
      const back = s.filter((x) => x.t > lastBefore);
      return back.length > 0 && (back.at(-1)?.t ?? 0) >= (back[0]?.t ?? 0) + 3_000;
    });
    const at = (failures.filter((s) => s.t > lastBefore)[0]?.t ?? NaN) + 3_000;
    // The window starts 1.5 s before the failure series' last sample before the restart: one or two of them (at 30) are in it.
    const from = beforeRestart - 1_500;
    const inWindow = (s: StoredSample) => s.t > from && s.t <= at;
    const values = failures.filter(inWindow).map((s) => s.v);
    // Premise: the series was at 30 before the window too (no birth in it), then in it; after the restart only at 20.
    expect(failures.filter((s) => s.t <= from).at(-1)?.v, JSON.stringify(failures)).toBe(30);
    expect(values.filter((v) => v === 30).length, JSON.stringify(failures)).toBeGreaterThanOrEqual(1);
    expect(values.filter((v) => v !== 30), JSON.stringify(failures)).toEqual(values.filter((v) => v !== 30).map(() => 20));
    const m = await measure(analysis, measureContext(provider, at, { new: 'inside', old: 'old' }, { intervalMs: at - from }), ZERO_COUNTERS);
    const d = m.decisions[0];
    // The 20 failures after the restart, counted once: rate()'s reset (20 − 30 + 30), scaled up as rate() extrapolates
    // the window's samples to its edges (a scrape or so each side of ~5 s of them); counted again as born, 40 or more.
    expect(d?.clusters?.[0]?.failures, d?.message).toBeGreaterThanOrEqual(20);
    expect(d?.clusters?.[0]?.failures, d?.message).toBeLessThan(40);
    expect(d?.warnings.join('\n')).not.toMatch(/failure series began in the window/);
  }, 90_000);
});
