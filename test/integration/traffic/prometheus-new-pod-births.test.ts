/**
 * A canary pod born mid-shift (a rescheduled or added ws-manager pod: a new target, its own `instance`), whose labelled
 * failure counter (client_golang's CounterVec) appears at its first scrape already counting the failures it had since
 * its process started. rate() needs two samples, so those failures are no increase, and the births check
 * (counter-births.ts) left every series of a target first scraped in the window out (it could be Prometheus on a
 * lost TSDB bringing a lifetime total): a pod whose first 20 starts all failed passed the gate at "0 failures".
 * The target's `process_start_time_seconds` tells the two apart: a process that started in the window (or just before
 * it) counted everything in its first sample since then. A target new to service discovery whose process has run for
 * an hour is still not counted so. Real Prometheus, 1 s scrapes, file_sd; the truth is the raw samples it stored.
 */
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

const hasPrometheus = requireBinary('prometheus', "a new pod's first failures are judged against a real Prometheus");

const analysis = startFailureRatioAnalysis();
const selector = (template: string, short: string) => template.replace('{{shortName}}', short);

describe.skipIf(!hasPrometheus)('a canary pod born in the window (real prometheus, file_sd)', () => {
  const old = new WorkspaceExporter();
  const pods: WorkspaceExporter[] = [];
  let prometheus: RunningPrometheus;
  let provider: PrometheusProvider;
  let dir = '';
  /** Service discovery files of two jobs: `pods`, and `fresh` (no target before its test's window). */
  const sd = { pods: { file: '', targets: [] as string[] }, fresh: { file: '', targets: [] as string[] } };

  /**
   * Starts a labelled-counter pod of cluster `short` whose process started at `processStartMs` (undefined: it does not
   * export `process_start_time_seconds`, as an exporter or a proxy without client_golang's process collector), its
   * first `failed` starts failing, and puts it into service discovery of `job`.
   */
  async function newPod(short: string, processStartMs: number | undefined, failed: number, job: keyof typeof sd = 'pods'): Promise<void> {
    const pod = new WorkspaceExporter();
    pods.push(pod);
    pod.processStartMs = processStartMs;
    pod.set(short, { startsPerTick: 1, failureRatio: 0, failuresFromFirst: true, startsFromFirst: true });
    pod.addStarts(short, failed, failed);
    sd[job].targets.push(`127.0.0.1:${await pod.start(400)}`);
    await writeFile(`${sd[job].file}.tmp`, JSON.stringify([{ targets: sd[job].targets, labels: {} }]));
    await rename(`${sd[job].file}.tmp`, sd[job].file);
  }

  /**
   * Waits until the pod's series have been stored for 3 s after their first sample; returns its starts and failures
   * samples, and `end`: the first stored scrape 3 s or more after the first. A window ending there ends on a scrape, so
   * rate() extrapolates no further than to it (scrapes drift: 3 s after the first may fall most of an interval past one).
   */
  async function firstSeconds(short: string): Promise<{ first: number; end: number; starts: StoredSample[]; failures: StoredSample[] }> {
    let first = 0;
    let end = 0;
    await waitFor(`3 s of ${short}'s samples`, async () => {
      const starts = await storedSamples(prometheus.url, selector(STARTS, short), Date.now() - 60_000, Date.now()).catch(() => []);
      first = starts[0]?.t ?? 0;
      end = starts.find((s) => s.t >= first + 3_000)?.t ?? 0;
      return first > 0 && end > 0;
    }, 60_000);
    return {
      first,
      end,
      starts: await storedSamples(prometheus.url, selector(STARTS, short), end - 60_000, end),
      failures: await storedSamples(prometheus.url, selector(FAILURES, short), end - 60_000, end),
    };
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wsd-newpod-'));
    sd.pods.file = join(dir, 'pods.json');
    sd.fresh.file = join(dir, 'fresh.json');
    await Promise.all([writeFile(sd.pods.file, '[]'), writeFile(sd.fresh.file, '[]')]);
    old.processStartMs = Date.now() - 3_600_000;
    old.set('old', { startsPerTick: 1, failureRatio: 0.02 });
    const oldAt = `127.0.0.1:${await old.start(100)}`;
    prometheus = await startPrometheus([oldAt], 20_000, 150_000, [{ name: 'pods', targets: [], fileSd: sd.pods.file }, { name: 'fresh', targets: [], fileSd: sd.fresh.file }]);
    provider = new PrometheusProvider({ url: prometheus.url, timeoutMs: 10_000 });
    await waitFor('5 s of the old cluster', async () => (await storedSamples(prometheus.url, selector(STARTS, 'old'), Date.now() - 5_000, Date.now()).catch(() => [])).length >= 5, 60_000);
  }, 90_000);

  afterAll(async () => {
    await prometheus?.stop();
    await Promise.all([old.stop(), ...pods.map((p) => p.stop())]);
    await rm(dir, { recursive: true, force: true });
  });

  it('counts the failures a new pod reports at its first scrape: its first 20 starts failed, the gate fails', async () => {
    const processStart = Date.now();
    await newPod('new', processStart, 20);
    const { end: at, starts, failures } = await firstSeconds('new');
    // The window: from just before the pod's process started to a scrape 3 s or more after its first (its counters
    // were 0 at the start of the window, so every stored value is the window's; the truth is the last one stored in it).
    const windowStart = processStart - 500;
    const truth = { failures: failures.filter((s) => s.t <= at).at(-1)?.v ?? NaN, starts: starts.filter((s) => s.t <= at).at(-1)?.v ?? NaN };
    // Premise: the failures all came before the first scrape (rate() sees no increase), and they are over 10 % of the starts.
    expect(failures[0], JSON.stringify(failures)).toMatchObject({ v: 20 });
    expect(truth.failures).toBe(20);
    expect(truth.failures / truth.starts).toBeGreaterThan(0.15);
    const m = await measure(analysis, measureContext(provider, at, { new: 'new', old: 'old' }, { intervalMs: at - windowStart }), ZERO_COUNTERS);
    const d = m.decisions[0];
    const c = d?.clusters?.[0];
    expect(c?.failures, d?.message).toBe(truth.failures);
    // Starts are the stored ones plus rate()'s extrapolation past the first and last sample (at most a scrape each side at 2.5/s).
    expect(Math.abs((c?.samples ?? 0) - truth.starts), d?.message).toBeLessThanOrEqual(8);
    expect(d?.outcome, d?.message).toBe('fail');
    expect(d?.warnings.join('\n')).toMatch(/gp-prod-ws-new-eu-west1: 1 failure series began in the window: counted from 0 \(20 failure\(s\)/);
  }, 90_000);

  it("does not count as born the totals of a target new to service discovery whose process has run for an hour", async () => {
    const joined = Date.now();
    await newPod('veteran', joined - 3_600_000, 100);
    const { end: at, starts } = await firstSeconds('veteran');
    const m = await measure(analysis, measureContext(provider, at, { new: 'veteran', old: 'old' }, { intervalMs: at - (joined - 500) }), ZERO_COUNTERS);
    const d = m.decisions[0];
    // Its 100 failures and first starts are an hour old: the window holds only what rate() saw after the first scrape.
    expect(d?.clusters?.[0]?.failures, d?.message).toBe(0);
    expect(d?.clusters?.[0]?.samples ?? 0, d?.message).toBeLessThan((starts.at(-1)?.v ?? 0) - 50);
    expect(d?.outcome, d?.message).not.toBe('fail');
    expect(d?.warnings.join('\n')).not.toMatch(/began in the window/);
  }, 90_000);
  it('counts the failures of a new pod that does not export its start time, where its job was scraped before the window', async () => {
    // Another pod of the job, scraped before the window (in production: the pod this one replaces or joins).
    await newPod('sibling', undefined, 1);
    await firstSeconds('sibling');
    const joined = Date.now();
    await newPod('anon', undefined, 20);
    const { end: at, starts, failures } = await firstSeconds('anon');
    const truth = { failures: failures.filter((s) => s.t <= at).at(-1)?.v ?? NaN, starts: starts.filter((s) => s.t <= at).at(-1)?.v ?? NaN };
    expect(failures[0], JSON.stringify(failures)).toMatchObject({ v: 20 });
    const m = await measure(analysis, measureContext(provider, at, { new: 'anon', old: 'old' }, { intervalMs: at - (joined - 500) }), ZERO_COUNTERS);
    const d = m.decisions[0];
    const c = d?.clusters?.[0];
    // Before: 0 failures (a target first scraped in the window without a start time was taken for a lost TSDB's).
    expect(c?.failures, d?.message).toBe(truth.failures);
    expect(Math.abs((c?.samples ?? 0) - truth.starts), d?.message).toBeLessThanOrEqual(8);
    expect(d?.outcome, d?.message).toBe('fail');
    expect(d?.warnings.join('\n')).toMatch(/gp-prod-ws-anon-eu-west1: 1 failure series began in the window: counted from 0 \(20 failure\(s\)/);
  }, 90_000);

  it('does not count the totals of a target without a start time whose job was not scraped before the window (as after a lost TSDB)', async () => {
    const joined = Date.now();
    await newPod('unknown', undefined, 100, 'fresh');
    const { end: at, starts } = await firstSeconds('unknown');
    const m = await measure(analysis, measureContext(provider, at, { new: 'unknown', old: 'old' }, { intervalMs: at - (joined - 500) }), ZERO_COUNTERS);
    const d = m.decisions[0];
    expect(d?.clusters?.[0]?.failures, d?.message).toBe(0);
    expect(d?.clusters?.[0]?.samples ?? 0, d?.message).toBeLessThan((starts.at(-1)?.v ?? 0) - 50);
    expect(d?.warnings.join('\n')).not.toMatch(/began in the window/);
  }, 90_000);
});
