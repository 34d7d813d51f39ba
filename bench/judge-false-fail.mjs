/**
 * False-fail rate of every judge on two IDENTICAL healthy clusters: a deterministic
 * in-process simulation (seeded), N evaluations per judge, each on fresh windows.
 * A "false fail" is an outcome `fail` although both clusters draw from the same
 * distribution. Each judge is set to a 1 % level (confidence 0.99) where it has one.
 *
 *   node bench/judge-false-fail.mjs [evaluations]      (needs a built dist/; default 1000)
 *
 * Traffic model per cluster and 30 s window: Poisson(12) starts, each failing with p = 1 %,
 * start time log-normal(median 20 s, σ 0.35); the p95 of a window is its 95th percentile
 * start time. Comparisons use 20 windows per side (a 10 m lookback at resolution 30 s).
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { judgeComparison, judgeProportionComparison } from '../dist/traffic/judges/comparison.js';
import { judgeProportionThreshold } from '../dist/traffic/judges/threshold.js';
import { seededRandom } from '../dist/registry/simulator/random.js';
import { poissonSampler } from './lib/sampling.mjs';


export default function run(args = []) {
  const evaluations = Number(args[0] ?? process.argv[2] ?? 1000);
  const rng = seededRandom(20261202);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const poisson = poissonSampler(rng);
  /** One 30 s window of one healthy cluster. */
  const window = () => {
    const starts = poisson(12);
    let failures = 0;
    const times = [];
    for (let i = 0; i < starts; i++) {
      if (rng() < 0.01) failures++;
      times.push(20 * Math.exp(0.35 * gauss()));
    }
    times.sort((a, b) => a - b);
    const p95 = times.length > 0 ? times[Math.min(times.length - 1, Math.ceil(0.95 * times.length) - 1)] : Number.NaN;
    return { starts, failures, ratio: starts > 0 ? failures / starts : Number.NaN, p95 };
  };
  const windows = (n) => Array.from({ length: n }, window);
  const finite = (xs) => xs.filter((v) => Number.isFinite(v));
  const sum = (ws, key) => ws.reduce((a, w) => a + w[key], 0);

  const judges = {
    'mann-whitney p95 (20 vs 20 windows, confidence 0.99, one-sided)': (a, b) =>
      judgeComparison('p95', finite(a.map((w) => w.p95)), finite(b.map((w) => w.p95)), { method: 'mann-whitney', confidence: 0.99, direction: 'increase' }).outcome,
    'mann-whitney failure ratio (20 vs 20 windows, confidence 0.99)': (a, b) =>
      judgeComparison('ratio', finite(a.map((w) => w.ratio)), finite(b.map((w) => w.ratio)), { method: 'mann-whitney', confidence: 0.99, direction: 'increase' }).outcome,
    'proportion vs baseline (Newcombe, maxDifference 0.02, confidence 0.99)': (a, b) =>
      judgeProportionComparison('ratio', { failures: sum(a, 'failures'), samples: sum(a, 'starts') }, { failures: sum(b, 'failures'), samples: sum(b, 'starts') }, { method: 'proportion', confidence: 0.99, maxDifference: 0.02, direction: 'increase' }, 20).outcome,
    'proportion vs threshold max 0.05 (Wilson, confidence 0.99, 1 window)': (a) =>
      judgeProportionThreshold('ratio', 'new', { failures: a[0].failures, samples: a[0].starts }, { max: 0.05, confidence: 0.99 }, 0).outcome,
    'proportion vs threshold max 0.05 (Wilson, confidence 0.99, 20 windows)': (a) =>
      judgeProportionThreshold('ratio', 'new', { failures: sum(a, 'failures'), samples: sum(a, 'starts') }, { max: 0.05, confidence: 0.99 }, 20).outcome,
    'mean ratio p95 (maxRatio 1.2, no error control)': (a, b) =>
      judgeComparison('p95', finite(a.map((w) => w.p95)), finite(b.map((w) => w.p95)), { method: 'ratio', confidence: 0.99, maxRatio: 1.2, direction: 'increase' }).outcome,
  };

  const results = [];
  for (const [name, judge] of Object.entries(judges)) {
    const tally = { pass: 0, fail: 0, wait: 0, inconclusive: 0 };
    for (let i = 0; i < evaluations; i++) tally[judge(windows(20), windows(20))]++;
    results.push({ judge: name, evaluations, ...tally, falseFailRate: tally.fail / evaluations });
  }
  for (const r of results) {
    console.log(`${r.judge.padEnd(74)} false-fail ${(100 * r.falseFailRate).toFixed(2).padStart(5)} %  (pass ${r.pass}, fail ${r.fail}, wait ${r.wait}, inconclusive ${r.inconclusive})`);
  }
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/judge-false-fail.json', import.meta.url), JSON.stringify({ at: new Date().toISOString(), results }, null, 1) + '\n');
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) run();
