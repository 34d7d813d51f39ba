/**
 * The opt-in sequential judge (`threshold.sequential`: SPRT, anytime-valid) against the fixed Wilson
 * threshold judge, one stage at a time, on a seeded simulation of the counts a stage accumulates:
 * per measurement Poisson(20) starts, each failing with probability p. A stage is measured until the
 * judge passes or fails, at most 60 measurements (then: undecided).
 *
 *   node bench/judge-sequential.mjs [runs]      (needs a built dist/; default 2000)
 *
 * Reported per scenario: false-rollback rate (healthy p ≤ healthy), false-promotion rate (p ≥ max),
 * and the mean / median / p95 measurements to a decision. Settings: max 0.05, healthy 0.01,
 * falseRollback 0.01, falsePromotion 0.05; Wilson at confidence 0.99 and 0.95 (its level per look).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { judgeProportionThreshold, judgeSequentialThreshold } from '../dist/traffic/judges/threshold.js';
import { seededRandom } from '../dist/registry/simulator/random.js';
import { poissonSampler } from './lib/sampling.mjs';

const MAX_MEASUREMENTS = 60;
const RULE = { max: 0.05, healthy: 0.01, falseRollback: 0.01, falsePromotion: 0.05 };

export default function run(args = []) {
  const runs = Number(args[0] ?? process.argv[2] ?? 2000);
  const rng = seededRandom(20261202);
  const poisson = poissonSampler(rng);
  const judges = {
    'sequential (SPRT 0.01 vs 0.05, α 0.01, β 0.05)': (c) => judgeSequentialThreshold('r', 'c', c, RULE, 0).outcome,
    'fixed: Wilson bounds, max 0.05, confidence 0.99': (c) => judgeProportionThreshold('r', 'c', c, { max: 0.05, confidence: 0.99 }, 0).outcome,
    'fixed: Wilson bounds, max 0.05, confidence 0.95 (default)': (c) => judgeProportionThreshold('r', 'c', c, { max: 0.05, confidence: 0.95 }, 0).outcome,
  };
  const scenarios = [
    { name: 'healthy p = 0.01', p: 0.01, bad: false },
    { name: 'healthy p = 0.005', p: 0.005, bad: false },
    { name: 'bad p = 0.05 (at max)', p: 0.05, bad: true },
    { name: 'bad p = 0.2', p: 0.2, bad: true },
  ];
  const results = [];
  for (const [judgeName, judge] of Object.entries(judges)) {
    for (const sc of scenarios) {
      const tally = { pass: 0, fail: 0, undecided: 0 };
      const times = [];
      for (let r = 0; r < runs; r++) {
        const c = { failures: 0, samples: 0 };
        let outcome = 'undecided';
        let m = 0;
        while (m < MAX_MEASUREMENTS) {
          m++;
          const n = poisson(20);
          for (let i = 0; i < n; i++) if (rng() < sc.p) c.failures++;
          c.samples += n;
          const o = judge(c);
          if (o === 'pass' || o === 'fail') {
            outcome = o;
            break;
          }
        }
        tally[outcome]++;
        if (outcome !== 'undecided') times.push(m);
      }
      times.sort((a, b) => a - b);
      const q = (f) => times[Math.min(times.length - 1, Math.floor(f * times.length))] ?? null;
      const wrong = sc.bad ? tally.pass : tally.fail;
      results.push({
        judge: judgeName,
        scenario: sc.name,
        runs,
        ...tally,
        errorRate: wrong / runs,
        error: sc.bad ? 'false promotion' : 'false rollback',
        meanMeasurements: times.length ? times.reduce((a, b) => a + b, 0) / times.length : null,
        medianMeasurements: q(0.5),
        p95Measurements: q(0.95),
      });
    }
  }
  for (const r of results) {
    console.log(
      `${r.judge.padEnd(58)} ${r.scenario.padEnd(22)} ${r.error.padEnd(15)} ${(100 * r.errorRate).toFixed(2).padStart(6)} %  measurements to decide: mean ${r.meanMeasurements?.toFixed(1)}, median ${r.medianMeasurements}, p95 ${r.p95Measurements}  (pass ${r.pass}, fail ${r.fail}, undecided ${r.undecided})`,
    );
  }
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/judge-sequential.json', import.meta.url), JSON.stringify({ at: new Date().toISOString(), results }, null, 1) + '\n');
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) run();
