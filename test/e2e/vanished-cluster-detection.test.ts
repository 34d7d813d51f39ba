/**
 * Time to detect a vanished cluster, through the real CLI on the sandbox with the simulator provider:
 * a new cluster that reported, then stops reporting (`--inject-fault eu:vanish@10s`: its series are gone
 * from then on, the cluster itself keeps running and stays registered), is detected and rolled back
 * within two measurement intervals — with `sampleDeadline: 1h`, so the deadline cannot be what catches it.
 * Asserted on the journaled decision timestamps against the vanish moment the session announced,
 * counting measurements (not wall milliseconds: the machine may be loaded).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../helpers/require-binary.js';
import { runCli, sandboxWorkspace } from '../helpers/cli.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');

interface Decision {
  at: string;
  verdict: string;
  decisions: Array<{ metric: string; rule: string; queries: Array<{ side: string; cluster: string; series: number }>; clusters?: Array<{ cluster: string; rule: string; outcome: string }> }>;
}
interface JournalRecord {
  type: string;
  code?: string;
  data?: Record<string, unknown>;
}

describe.skipIf(!hasTerraform)('a vanished cluster on the sandbox', () => {
  const ws = sandboxWorkspace();
  const common = ['--config', ws.config, '--state-dir', ws.stateDir];
  afterAll(() => ws.cleanup());
  const text = readFileSync(ws.config, 'utf8');
  const edited = text.replace(/interval: 5s/, 'interval: 2s').replace(/bake: 5s/, 'bake: 2s').replace(/duration: 5s/, 'duration: 2s').replace(/sampleDeadline: 60s/, 'sampleDeadline: 1h');
  expect(edited).toContain('sampleDeadline: 1h');
  writeFileSync(ws.config, edited);
  const INTERVAL_MS = 2_000;

  it('is detected at the first or second measurement after its series stop, and rolled back', { timeout: 300_000 }, async () => {
    const first = await runCli(['deploy', ...common, '--cluster-id', '270']);
    expect(first.code, first.stderr).toBe(0);

    const second = await runCli(['deploy', ...common, '--cluster-id', '271', '--inject-fault', 'eu271:vanish@10s']);
    expect(second.code, second.stdout + second.stderr).toBe(1);
    // The first empty measurement is a gap (a missed scrape waits); the summary says the failing one in words.
    expect(second.stdout + second.stderr).toMatch(/start-failure-ratio: \S*eu271\S* reported before, but none of its series are in this window/);
    expect(second.stdout + second.stderr).toMatch(/start-failure-ratio on \S*eu271\S*: fail, no value: reported before, but its series are gone: it stopped reporting/);

    const id = (JSON.parse((await runCli(['status', ...common, '--output', 'json'])).stdout) as { id: string }).id;
    const records = readFileSync(join(ws.stateDir, id, 'journal.ndjson'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as JournalRecord);
    // The session says when it takes the series away.
    const vanishAt = Date.parse(/the metrics of eu271 vanish at (\S+Z)/.exec(second.stdout + second.stderr)?.[1] ?? '');
    expect(Number.isFinite(vanishAt)).toBe(true);
    const decisions = records.filter((r) => r.type === 'event' && r.code === 'traffic.decision').map((r) => r.data as unknown as Decision);
    const at = (d: Decision) => Date.parse(d.at);
    const newSeries = (d: Decision) => d.decisions.some((m) => m.queries.some((q) => q.side === 'new' && q.cluster.includes('eu271') && q.series > 0));

    // It had reported: a measurement before the vanish saw its series.
    expect(decisions.filter((d) => at(d) < vanishAt).some(newSeries)).toBe(true);
    // The first failing measurement is the stopped-reporting one, on eu271 …
    const failing = decisions.findIndex((d) => d.verdict === 'fail');
    expect(failing).toBeGreaterThan(0);
    const fail = decisions[failing] as Decision;
    const evidence = fail.decisions.flatMap((m) => m.clusters ?? []).find((e) => e.cluster.includes('eu271'));
    expect(evidence).toMatchObject({ outcome: 'fail', rule: 'no-data.stopped-reporting' });
    // … taken at the first or second measurement that found its series gone. Counted from what the measurements
    // saw, not from the announced vanish moment: on a loaded machine a measurement stamped just after that moment may
    // have read the counters just before it (and seen the series), which is not a measurement after the series stopped.
    const ofEu271 = decisions.filter((d) => d.decisions.some((m) => m.queries.some((q) => q.side === 'new' && q.cluster.includes('eu271'))));
    const lastSeen = ofEu271.findLastIndex(newSeries);
    const failingOf = ofEu271.indexOf(fail);
    expect(lastSeen).toBeGreaterThanOrEqual(0);
    expect(failingOf - (lastSeen + 1), 'empty measurements of eu271 before the failing one').toBeLessThanOrEqual(1);
    expect(failingOf).toBeGreaterThan(lastSeen);
    // And its series were last seen no later than one interval (plus the load's lag) after they were taken away.
    expect(at(ofEu271[lastSeen] as Decision)).toBeLessThan(vanishAt + 2 * INTERVAL_MS);
    // That is within two intervals of cadence (measurements every INTERVAL_MS), whatever sampleDeadline (1 h) says.
    console.log(`vanished-cluster detection: ${failingOf - lastSeen} measurement(s), ${((at(fail) - vanishAt) / INTERVAL_MS).toFixed(2)} interval(s) after the series stopped`);

    // Rolled back: the new generation is out of rotation, the old one takes the starts again.
    const list = await runCli(['clusters', 'list', ...common, '--output', 'json']);
    const entries = new Map((JSON.parse(list.stdout) as Array<{ name: string; state: string; score: number }>).map((e) => [e.name, e]));
    for (const bad of ['eu271', 'us271']) expect(entries.get(bad)).toMatchObject({ state: 'CORDONED', score: 0 });
    for (const old of ['eu270', 'us270']) expect(entries.get(old)).toMatchObject({ state: 'AVAILABLE' });
  });
});
