/**
 * Benchmark runner: `node bench/run.mjs` runs all, `node bench/run.mjs <name> [args…]`
 * runs one. `npm run bench` builds dist/ first; the benchmarks import the compiled code.
 */
const BENCHMARKS = {
  'engine-makespan': () => import('./engine-makespan.mjs'),
  'critical-path': () => import('./critical-path.mjs'),
  'cli-cold-start': () => import('./cli-cold-start.mjs'),
  'journal-cost': () => import('./journal-cost.mjs'),
  'rollback-latency': () => import('./rollback-latency.mjs'),
  'rollback-link': () => import('./rollback-link.mjs'),
  // Runs on import (a standalone script too: `node bench/traffic-scenarios.mjs`).
  'traffic-scenarios': () => import('./traffic-scenarios.mjs'),
  'judge-false-fail': () => import('./judge-false-fail.mjs'),
  'judge-sequential': () => import('./judge-sequential.mjs'),
  'redact-cost': () => import('./redact-cost.mjs'),
};

const [name, ...args] = process.argv.slice(2);
if (name !== undefined && !(name in BENCHMARKS)) {
  console.error(`unknown benchmark "${name}"; choose one of ${Object.keys(BENCHMARKS).join(', ')}`);
  process.exitCode = 2;
} else {
  for (const [key, load] of Object.entries(BENCHMARKS)) {
    if (name !== undefined && key !== name) continue;
    const started = Date.now();
    console.log(`\n=== ${key} ===`);
    const mod = await load();
    if (typeof mod.default === 'function') await mod.default(name ? args : []);
    console.log(`(${key}: ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
}
