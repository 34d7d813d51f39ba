/**
 * Traffic gate scenario bench: 36 labelled scenarios (a new cluster failing
 * 2/5/8 % of starts — good — or 12/20/50 % — bad — against a 10 % gate, at
 * sparse, medium and high traffic, steady or noisy), each over several seeds,
 * through the real shift controller, judges and score compiler on a virtual
 * clock (scenarios/run-virtual.mjs). Same seeds ⇒ identical table and JSON.
 * Reports precision and recall of "roll back" per seed and their spread, the
 * outcome mix per failure rate, and the (virtual) time to detect or promote.
 *
 *   npm run build && node bench/traffic-scenarios.mjs [--seeds N] [--only <substring>] [--out FILE]
 *   node bench/traffic-scenarios.mjs --grpc [--only <substring>]   # one seed over real gRPC and timers (not reproducible)
 */
import { writeFileSync } from 'node:fs';
import { scenarios, THRESHOLD } from './scenarios/catalog.mjs';
import { runVirtualScenario } from './scenarios/run-virtual.mjs';
import { SHIFT_CONFIG } from './scenarios/shift-config.mjs';

const flag = (name) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const only = flag('--only');
const seeds = Number(flag('--seeds') ?? 10);
const out = flag('--out') ?? new URL('./results/traffic-scenarios.json', import.meta.url);
if (!Number.isInteger(seeds) || seeds < 1) throw new Error(`--seeds needs a whole number ≥ 1, got ${flag('--seeds')}`);
const list = scenarios().filter((s) => !only || s.name.includes(only));

const secs = (ms) => (ms / 1000).toFixed(1);
const pct = (x) => `${Math.round(x * 100)} %`;
const quantile = (xs, q) => {
  const a = [...xs].sort((x, y) => x - y);
  if (a.length === 0) return NaN;
  const i = (a.length - 1) * q;
  return a[Math.floor(i)] + (a[Math.ceil(i)] - a[Math.floor(i)]) * (i - Math.floor(i));
};
const ratio = (num, den) => (den === 0 ? undefined : num / den);
const fmt = (x) => (x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(2));

if (process.argv.includes('--grpc')) {
  const { runScenario } = await import('./scenarios/run-scenario.mjs');
  for (const s of list) {
    const r = await runScenario(s);
    console.log(`| ${s.name} | ${s.label} | ${r.outcome} | ${secs(r.ms)} | ${r.measurements} |`);
  }
} else {
  const wallStart = Date.now();
  const runs = [];
  for (const s of list) {
    for (let k = 0; k < seeds; k++) {
      const seed = s.seed * 1000 + k;
      const r = await runVirtualScenario(s, seed);
      runs.push({ scenario: s.name, traffic: s.traffic, shape: s.shape, newRate: s.newRate, label: s.label, seed, ...r });
    }
  }
  const positive = (r) => r.outcome === 'rolled-back';
  const perSeed = Array.from({ length: seeds }, (_, k) => {
    const rs = runs.filter((r) => r.seed % 1000 === k);
    const tp = rs.filter((r) => r.label === 'bad' && positive(r)).length;
    const fp = rs.filter((r) => r.label === 'good' && positive(r)).length;
    const bad = rs.filter((r) => r.label === 'bad').length;
    return { seedIndex: k, precision: ratio(tp, tp + fp), recall: ratio(tp, bad), falseRollbacks: fp };
  });
  const spread = (key) => {
    const xs = perSeed.map((p) => p[key]).filter((x) => x !== undefined);
    return { min: Math.min(...xs), median: quantile(xs, 0.5), max: Math.max(...xs) };
  };
  const rates = [...new Set(list.map((s) => s.newRate))].sort((a, b) => a - b);
  const byRate = rates.map((rate) => {
    const rs = runs.filter((r) => r.newRate === rate);
    const share = (o) => rs.filter((r) => r.outcome === o).length / rs.length;
    return { newRate: rate, label: rs[0].label, runs: rs.length, rolledBack: share('rolled-back'), promoted: share('promoted'), paused: share('paused'), timeout: share('timeout') };
  });
  const byScenario = list.map((s) => {
    const rs = runs.filter((r) => r.scenario === s.name);
    const count = (o) => rs.filter((r) => r.outcome === o).length;
    return { scenario: s.name, label: s.label, rolledBack: count('rolled-back'), promoted: count('promoted'), paused: count('paused'), timeout: count('timeout'), medianMs: quantile(rs.map((r) => r.ms), 0.5) };
  });
  const detect = runs.filter((r) => r.label === 'bad' && positive(r)).map((r) => r.ms);
  const promote = runs.filter((r) => r.label === 'good' && r.outcome === 'promoted').map((r) => r.ms);

  console.log(`\nTraffic gate scenarios on a virtual clock: ${list.length} scenarios × ${seeds} seeds; steps ${SHIFT_CONFIG.steps.join('/')} %, interval ${SHIFT_CONFIG.interval} ms, failure ratio ≤ ${THRESHOLD}, minSamples ${SHIFT_CONFIG.analysis.metrics[0].minSamples}, failureLimit ${SHIFT_CONFIG.analysis.failureLimit}, sampleDeadline ${SHIFT_CONFIG.analysis.sampleDeadline} ms\n`);
  console.log('| scenario | label | rolled back | promoted | paused | timeout | median time (s) |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of byScenario) console.log(`| ${r.scenario} | ${r.label} | ${r.rolledBack} | ${r.promoted} | ${r.paused} | ${r.timeout} | ${secs(r.medianMs)} |`);
  console.log('\n| new cluster fails | label | runs | rolled back | promoted | paused for a human |');
  console.log('|---|---|---|---|---|---|');
  for (const r of byRate) console.log(`| ${pct(r.newRate)} | ${r.label} | ${r.runs} | ${pct(r.rolledBack)} | ${pct(r.promoted)} | ${pct(r.paused)} |`);
  const p = spread('precision');
  const rc = spread('recall');
  const f = spread('falseRollbacks');
  console.log('\n| metric, over seeds | min | median | max |');
  console.log('|---|---|---|---|');
  console.log(`| precision (rolled back ∧ bad / rolled back) | ${fmt(p.min)} | ${fmt(p.median)} | ${fmt(p.max)} |`);
  console.log(`| recall (rolled back ∧ bad / bad) | ${fmt(rc.min)} | ${fmt(rc.median)} | ${fmt(rc.max)} |`);
  console.log(`| false rollbacks of good clusters (of ${list.filter((s) => s.label === 'good').length}) | ${f.min} | ${f.median} | ${f.max} |`);
  console.log(`| time to detect a bad cluster, all runs (s): median / p90 / max | ${secs(quantile(detect, 0.5))} | ${secs(quantile(detect, 0.9))} | ${secs(Math.max(...detect, 0))} |`);
  console.log(`| time to promote a good cluster, all runs (s): median / p90 / max | ${secs(quantile(promote, 0.5))} | ${secs(quantile(promote, 0.9))} | ${secs(Math.max(...promote, 0))} |`);

  // No date or wall time in the file: two runs with the same seeds write identical JSON.
  const result = { benchmark: 'traffic-scenarios', clock: 'virtual', seeds, threshold: THRESHOLD, scenarios: list.length, perSeed, byRate, byScenario, runs };
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  process.stderr.write(`(${runs.length} runs in ${((Date.now() - wallStart) / 1000).toFixed(1)} s wall; wrote ${out})\n`);
}
