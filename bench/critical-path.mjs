/**
 * Time to first traffic against the critical path of the step graph. 10 sandbox
 * clusters in 5 regions; every step runs a real `sleep` through runTool whose
 * length is the real step's duration scaled 1/100 (create 10 min → 6 s, gitpod
 * 4 min → 2.4 s, jaeger 1 min → 0.6 s, monitoring 2 min → 1.2 s, alive 1 min →
 * 0.6 s, register 10 s → 0.1 s). A deployment-wide `traffic-shift` marks the
 * first moment traffic can move (every cluster registered) and ends at once.
 *
 * Each repetition runs the deployment twice on the same engine: as the graph
 * (the releases share a layer, as the real install steps do) and as the old
 * chain (the same steps without a layer). The critical path is computed from
 * the graph the engine builds (`engine/cluster-graph.ts`), not assumed.
 *
 *   node bench/run.mjs critical-path [--scale 0.01] [--reps 3]
 */
import { setMaxListeners } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fmt, printTable, summarize, writeResults } from './lib/report.mjs';
import { writeSandboxConfig } from './lib/sandbox-config.mjs';

const CLUSTERS = 10;
const REGIONS = ['europe-west1', 'us-west1', 'us-east1', 'asia-east1', 'southamerica-east1'];
/** Real durations in seconds (issue 13). */
const REAL = {
  'create-cluster': 600,
  'install-gitpod': 240,
  'install-jaeger': 60,
  'install-monitoring': 120,
  'alive-test': 60,
  'register-cluster': 10,
};
const RELEASES = new Set(['install-gitpod', 'install-jaeger', 'install-monitoring']);

/** The generated sandbox config, its 10 clusters spread over 5 regions (2 each). */
function writeConfig(dir) {
  const { file, text } = writeSandboxConfig(dir, CLUSTERS);
  let i = 0;
  const spread = text.replace(/region: [a-z0-9-]+, prefix:/g, () => `region: ${REGIONS[i++ % REGIONS.length]}, prefix:`);
  writeFileSync(file, spread);
  return { file, text: spread };
}

function sleepStep(dist, name, seconds, marks, asGraph) {
  return {
    name,
    applies: () => true,
    describe: () => [],
    ...(asGraph && RELEASES.has(name) ? { layer: 'releases' } : {}),
    run: async (ctx) => {
      const start = performance.now();
      await dist.runTool({ argv: ['sleep', String(seconds)], signal: ctx.signal, redactor: ctx.redactor });
      marks.push({ cluster: ctx.cluster.name, step: name, start, end: performance.now() });
      return {};
    },
  };
}

/** Longest path through one cluster's graph plus nothing for the instant shift: what no scheduler can beat. */
function criticalPathMs(dist, steps, config, durations) {
  const graph = dist.clusterStepGraph(steps, config);
  const finish = new Map();
  const finishOf = (name) => {
    if (finish.has(name)) return finish.get(name);
    const node = graph.find((n) => n.step.name === name);
    const value = Math.max(0, ...node.after.map(finishOf)) + durations[name] * 1000;
    finish.set(name, value);
    return value;
  };
  return Math.max(...graph.map((n) => finishOf(n.step.name)));
}

async function runOnce(dist, loaded, dir, scale, asGraph) {
  const durations = Object.fromEntries(Object.entries(REAL).map(([k, v]) => [k, v * scale]));
  const marks = [];
  let firstTraffic;
  const steps = Object.keys(REAL).map((name) => sleepStep(dist, name, durations[name], marks, asGraph));
  const shift = {
    name: 'traffic-shift',
    scope: 'deployment',
    applies: () => true,
    describe: () => [],
    run: async () => {
      firstTraffic = performance.now();
      return {};
    },
  };
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  const deps = {
    store: new dist.FileStateStore(join(dir, `state-${asGraph ? 'graph' : 'chain'}-${Math.random().toString(36).slice(2)}`)),
    sink: dist.nullSink,
    signal: controller.signal,
    redactor: new dist.Redactor(),
    steps,
    deploymentSteps: [shift],
    probe: async () => ({ exists: false }),
  };
  const options = { dryRun: false, overwrite: false, yes: true, verbose: false, failFast: false };
  const t0 = performance.now();
  const snap = await dist.startDeployment(loaded, options, deps);
  const makespanMs = performance.now() - t0;
  if (snap.state !== 'succeeded') throw new Error(`benchmark deployment ended ${snap.state}: ${snap.error?.message}`);
  const registered = marks.filter((m) => m.step === 'register-cluster').map((m) => m.end - t0);
  return {
    criticalPathMs: criticalPathMs(dist, steps, loaded.config, durations),
    firstTrafficMs: firstTraffic - t0,
    makespanMs,
    registeredMs: summarize(registered),
  };
}

/** The same child processes in the same graph with plain awaits, no engine: this machine's floor right now. */
async function bareOnce(dist, scale) {
  const sleep = (name) => dist.runTool({ argv: ['sleep', String(REAL[name] * scale)] });
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLUSTERS }, async () => {
      await sleep('create-cluster');
      await Promise.all([...RELEASES].map(sleep));
      await sleep('alive-test');
      await sleep('register-cluster');
    }),
  );
  return performance.now() - t0;
}

async function loadDist() {
  const [{ startDeployment }, { parseConfig }, { FileStateStore }, { nullSink }, { Redactor }, { runTool }, { clusterStepGraph }] = await Promise.all([
    import('../dist/engine/deployment.js'),
    import('../dist/config/load.js'),
    import('../dist/state/file-store.js'),
    import('../dist/core/events.js'),
    import('../dist/core/redact.js'),
    import('../dist/tools/exec.js'),
    import('../dist/engine/cluster-graph.js'),
  ]);
  return { startDeployment, parseConfig, FileStateStore, nullSink, Redactor, runTool, clusterStepGraph };
}

function option(args, name, fallback) {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
}

const median = (runs, key) => [...runs].sort((a, b) => a[key] - b[key])[Math.floor(runs.length / 2)];

export default async function criticalPath(args = []) {
  const scale = option(args, '--scale', 0.01);
  const reps = option(args, '--reps', 3);
  const dist = await loadDist();
  const dir = mkdtempSync(join(tmpdir(), 'wsd-bench-critpath-'));
  try {
    const { file, text } = writeConfig(dir);
    const loaded = dist.parseConfig(text, file);
    const graph = [];
    const chain = [];
    const bare = [];
    for (let r = 0; r < reps; r++) {
      // Alternated so a burst of load on this shared machine hits all three alike.
      graph.push(await runOnce(dist, loaded, dir, scale, true));
      bare.push(await bareOnce(dist, scale));
      chain.push(await runOnce(dist, loaded, dir, scale, false));
      console.error(`critical-path: repetition ${r + 1}/${reps} done`);
    }
    const rows = [];
    const results = {};
    for (const [label, runs] of [['graph (releases together)', graph], ['old chain', chain]]) {
      const m = median(runs, 'firstTrafficMs');
      const critical = m.criticalPathMs;
      results[label] = { ...m, firstTrafficRatio: m.firstTrafficMs / critical, makespanRatio: m.makespanMs / critical, all: runs };
      rows.push([
        label,
        fmt(critical, 0),
        fmt(m.firstTrafficMs, 0),
        fmt(m.firstTrafficMs / critical, 3),
        fmt(m.makespanMs, 0),
        fmt(m.makespanMs / critical, 3),
        `${fmt(m.registeredMs.min, 0)} / ${fmt(m.registeredMs.max, 0)}`,
        runs.map((x) => fmt(x.firstTrafficMs, 0)).join(', '),
      ]);
    }
    const saved = results['old chain'].firstTrafficMs - results['graph (releases together)'].firstTrafficMs;
    const expected = (REAL['install-jaeger'] + REAL['install-monitoring']) * scale * 1000;
    printTable(
      `time to first traffic: ${CLUSTERS} clusters in ${REGIONS.length} regions, steps = real durations × ${scale} (real \`sleep\` via runTool), file store; median of ${reps}`,
      ['run', 'critical path ms', 'first traffic ms', '÷ critical path', 'makespan ms', '÷ critical path', 'registered first / last ms', 'first traffic, every run'],
      rows,
    );
    const bareMs = [...bare].sort((a, b) => a - b)[Math.floor(bare.length / 2)];
    const criticalMs = results['graph (releases together)'].criticalPathMs;
    console.log(`\nbare floor (same processes, same graph, plain awaits, no engine): ${fmt(bareMs, 0)} ms = ${fmt(bareMs / criticalMs, 3)} × critical path (runs: ${bare.map((b) => fmt(b, 0)).join(', ')})`);
    console.log(`engine over the bare floor: ${fmt(results['graph (releases together)'].makespanMs - bareMs, 0)} ms`);
    console.log(`first traffic earlier by ${fmt(saved, 0)} ms; the parallelised installs (jaeger + monitoring) sum to ${fmt(expected, 0)} ms`);
    const path = writeResults('critical-path', {
      clusters: CLUSTERS,
      regions: REGIONS,
      scale,
      repetitions: reps,
      realSeconds: REAL,
      goal: 'first traffic and makespan ≤ 1.03 × the graph critical path; first traffic earlier than the chain by jaeger + monitoring',
      savedMs: saved,
      bareMs: bare,
      expectedSavingMs: expected,
      results,
    });
    console.log(`wrote ${path}`);
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
