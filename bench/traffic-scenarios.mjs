/**
 * Traffic gate scenario bench: 24 labelled, seeded scenarios (good and bad new
 * clusters, sparse to high and steady or noisy traffic) run through the real
 * shift controller, registries and judges (see scenarios/run-scenario.mjs).
 * Reports precision and recall of "roll back" and the time to detect a bad
 * cluster / to promote a good one.
 *
 *   npm run build && node bench/traffic-scenarios.mjs [--only <substring>]
 */
import { scenarios } from './scenarios/catalog.mjs';
import { runScenario, SHIFT_CONFIG } from './scenarios/run-scenario.mjs';

const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const list = scenarios().filter((s) => !only || s.name.includes(only));

const pad = (v, n) => String(v).padEnd(n);
const secs = (ms) => (ms / 1000).toFixed(1);
const median = (xs) => {
  const a = [...xs].sort((x, y) => x - y);
  return a.length === 0 ? NaN : a.length % 2 ? a[(a.length - 1) / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
};

const rows = [];
for (const s of list) {
  const r = await runScenario(s);
  rows.push({ ...s, ...r });
  process.stderr.write(`${pad(s.name, 34)} ${pad(s.label, 5)} → ${pad(r.outcome, 12)} ${secs(r.ms)} s, ${r.measurements} measurements${r.rule ? `, ${r.rule}` : ''}\n`);
}

const positive = (r) => r.outcome === 'rolled-back';
const tp = rows.filter((r) => r.label === 'bad' && positive(r)).length;
const fp = rows.filter((r) => r.label === 'good' && positive(r)).length;
const fn = rows.filter((r) => r.label === 'bad' && !positive(r)).length;
const timeouts = rows.filter((r) => r.outcome === 'timeout').length;
const detect = rows.filter((r) => r.label === 'bad' && positive(r)).map((r) => r.ms);
const promote = rows.filter((r) => r.label === 'good' && r.outcome === 'promoted').map((r) => r.ms);

console.log(`\nTraffic gate scenarios: steps ${SHIFT_CONFIG.steps.join('/')} %, interval ${SHIFT_CONFIG.interval} ms, threshold failure ratio ≤ ${SHIFT_CONFIG.analysis.metrics[0].threshold.max}, minSamples ${SHIFT_CONFIG.analysis.metrics[0].minSamples}, failureLimit ${SHIFT_CONFIG.analysis.failureLimit}\n`);
console.log('| scenario | label | outcome | time (s) | measurements |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.name} | ${r.label} | ${r.outcome} | ${secs(r.ms)} | ${r.measurements} |`);
console.log('\n| metric | value |');
console.log('|---|---|');
console.log(`| scenarios | ${rows.length} (${rows.filter((r) => r.label === 'bad').length} bad, ${rows.filter((r) => r.label === 'good').length} good) |`);
console.log(`| precision (rolled back ∧ bad / rolled back) | ${tp + fp === 0 ? 'n/a' : (tp / (tp + fp)).toFixed(2)} |`);
console.log(`| recall (rolled back ∧ bad / bad) | ${tp + fn === 0 ? 'n/a' : (tp / (tp + fn)).toFixed(2)} |`);
console.log(`| false rollbacks of good clusters | ${fp} |`);
console.log(`| paused for a human (too few samples past sampleDeadline) | ${rows.filter((r) => r.outcome === 'paused').length} (${rows.filter((r) => r.outcome === 'paused' && r.label === 'bad').length} bad) |`);
console.log(`| timeouts (no decision in 30 s) | ${timeouts} |`);
console.log(`| time to detect a bad cluster, median / max (s) | ${secs(median(detect))} / ${secs(Math.max(...detect, 0))} |`);
console.log(`| time to promote a good cluster, median / max (s) | ${secs(median(promote))} / ${secs(Math.max(...promote, 0))} |`);
