/**
 * Issue #10's labelled scenario suite: ≥ 30 scenarios (test/integration/traffic/
 * scenarios/catalog.ts) through ONE real Prometheus (scrape 1 s) scraping ONE
 * exporter (series labelled per scenario), each judged by the REAL CLI on the
 * sandbox with the `prometheus` provider, two generations per run. Scenarios run
 * concurrently (bounded), each in its own state dir.
 *
 * Asserts: precision and recall of "roll back" ≥ 0.95, median time to detect
 * ≤ 2 intervals, every healthy shift (with a bake and comparison metrics too)
 * promotes without a human; and each scenario's outcome is its label.
 *
 * Time to detect (in shift intervals, over the bad scenarios that rolled back), two figures,
 * both counted from the moment the driver applied the bad change to the exporter:
 * - SCHEDULED: to the time the controller's schedule set for the deciding measurement (its
 *   stage's start + k × tick, from the journal). It says how many measurements the evidence
 *   needed and does not depend on how late a loaded machine ran them (unless one outlasts a
 *   whole interval: the controller then skips that slot). The issue's goal, median ≤ 2, is
 *   asserted on this figure.
 * - WALL CLOCK: to when that measurement actually ran (the decision's `at`). On a loaded 2-core
 *   CI machine (two CI runs at once) measurements run late, so its gate allows half an interval
 *   more: median ≤ 2.5.
 *
 *   WSD_WRITE_RESULTS=1 npx vitest run test/integration/traffic/prometheus-scenarios.test.ts
 * writes the measured table to bench/results/prometheus-scenarios.json.
 * CI installs Prometheus with: apt-get update && apt-get install -y prometheus
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, runCli } from '../../helpers/cli.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { startPrometheus, type RunningPrometheus } from './prometheus-process.js';
import { ExporterProcess } from './exporter-process.js';
import { INTERVAL_MS, SCENARIOS } from './scenarios/catalog.js';
import { configText } from './scenarios/configs.js';
import { runScenario, type ScenarioResult } from './scenarios/run-scenario.js';
import { summarise } from './scenarios/summary.js';

const hasPrometheus = requireBinary('prometheus', 'the labelled scenario suite runs a real Prometheus');
const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');
const CONCURRENCY = Number(process.env.WSD_SCENARIO_CONCURRENCY ?? 10);
/** `WSD_SCENARIOS=s03,s17` runs those only (while working on them); the figures need them all. */
const ONLY = process.env.WSD_SCENARIOS?.split(',');
/** `WSD_SCENARIO_REPEAT=N` runs each selected scenario N times at once (ids `s27r1`…): how often does it miss? */
const REPEAT = Number(process.env.WSD_SCENARIO_REPEAT ?? 1);
const PICKED = ONLY ? SCENARIOS.filter((s) => ONLY.includes(s.id)) : SCENARIOS;
const SELECTED = REPEAT > 1 ? Array.from({ length: REPEAT }, (_, k) => PICKED.map((s) => ({ ...s, id: `${s.id}r${k + 1}` }))).flat() : PICKED;

describe.skipIf(!hasPrometheus || !hasTerraform)('labelled canary scenarios on a real prometheus through the CLI', () => {
  const exporter = new ExporterProcess();
  let prometheus: RunningPrometheus;
  let oldSinceMs = 0;
  const templateDir = mkdtempSync(join(tmpdir(), 'wsd-prom-gen1-'));
  let template: Promise<string> | undefined;
  /** Generation 1 deployed once (no first-generation watch), copied into every scenario that does not watch it. */
  const gen1Template = () =>
    (template ??= (async () => {
      const config = join(templateDir, 'deploy.yaml');
      const stateDir = join(templateDir, 'state');
      writeFileSync(config, configText('ratio', 'gen1', prometheus.url));
      const r = await runCli(['deploy', '--config', config, '--state-dir', stateDir, '--cluster-id', '100']);
      if (r.code !== 0) throw new Error(`generation 1 template failed: exit ${r.code}\n${r.stderr.slice(-2000)}`);
      return stateDir;
    })());

  beforeAll(async () => {
    // Every scenario's generation-1 cluster takes all starts from now on: the baseline before each shift has history.
    const port = await exporter.start();
    for (const s of SELECTED) exporter.set(s.id, 'eu100', { rate: s.rate, ...s.old });
    prometheus = await startPrometheus([`127.0.0.1:${port}`], 20_000, 1_200_000);
    // History begins when Prometheus scrapes, not when the exporter counts: taken before the start, a slow start
    // under a CI pair ate the margin, and the first bake shifts found fewer baseline points than minSamples for good.
    oldSinceMs = Date.now();
  }, 60_000);
  afterAll(async () => {
    await prometheus?.stop();
    await exporter.stop();
    rmSync(templateDir, { recursive: true, force: true });
  });

  it(`${SCENARIOS.length} scenarios: precision and recall of "roll back" ≥ 0.95, median time to detect ≤ 2 intervals, healthy shifts promote unattended`, { timeout: 900_000 }, async () => {
    expect(SCENARIOS.length).toBeGreaterThanOrEqual(30);
    const started = Date.now();
    const results: ScenarioResult[] = new Array(SELECTED.length);
    let next = 0;
    const worker = async () => {
      while (next < SELECTED.length) {
        const i = next++;
        const s = SELECTED[i]!;
        results[i] = await runScenario(s, { exporter, gen1Template, prometheusUrl: prometheus.url, deadUrl: 'http://127.0.0.1:9', oldSinceMs });
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const wallSeconds = (Date.now() - started) / 1000;
    const summary = summarise(results, INTERVAL_MS);
    const table = results
      .map((r) => `${r.id} ${r.label.padEnd(21)} → ${r.outcome.padEnd(21)} ${String(r.detectScheduledIntervals ?? '').padEnd(5)} ${String(r.detectIntervals ?? '').padEnd(5)} ${String(r.gen1Seconds ?? '').padEnd(5)} ${String(r.seconds).padEnd(6)} ${r.rule ?? ''} ${r.detail ?? ''} ${r.label === 'roll back' ? (r.decisions ?? []).join(' ') : ''}`)
      .join('\n');
    console.log(`\n${table}\nprecision ${summary.precision} recall ${summary.recall} median detect ${summary.medianScheduledDetectIntervals} scheduled / ${summary.medianDetectIntervals} wall-clock intervals, ${wallSeconds.toFixed(0)} s wall`);
    const missed = results.filter((r) => r.outcome !== r.label);
    if (ONLY) {
      expect(missed, table).toEqual([]);
      return;
    }
    if (missed.length > 0) console.warn(`scenarios that ended differently from their label:\n${missed.map((r) => `${r.id} ${r.label} → ${r.outcome} ${r.rule ?? ''}`).join('\n')}`);
    if (process.env.WSD_WRITE_RESULTS === '1') {
      const out = { benchmark: 'prometheus-scenarios', intervalMs: INTERVAL_MS, concurrency: CONCURRENCY, wallSeconds: Math.round(wallSeconds), ...summary, scenarios: results };
      writeFileSync(join(REPO, 'bench', 'results', 'prometheus-scenarios.json'), `${JSON.stringify(out, null, 2)}\n`);
    }

    expect(summary.precision, table).toBeGreaterThanOrEqual(0.95);
    expect(summary.recall, table).toBeGreaterThanOrEqual(0.95);
    // The issue's goal, median ≤ 2 intervals, on the scheduled figure: how many measurements the evidence needed.
    expect(summary.medianScheduledDetectIntervals, table).toBeLessThanOrEqual(2);
    // The wall-clock figure adds how late the measurements ran; on a loaded 2-core CI machine that is up to half an
    // interval (BENCHMARKS §6: 4–5 intervals for 1-interval spikes at load 50), so its gate has that margin.
    expect(summary.medianDetectIntervals, table).toBeLessThanOrEqual(2.5);
    // Strict (issue #10: "every healthy shift promotes without a human"): no miss is allowed. A scenario
    // whose verdict could flip by chance or by load is a defect of the scenario or of the product.
    expect(missed, table).toEqual([]);
  });
});
