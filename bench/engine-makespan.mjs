/**
 * Engine makespan: `startDeployment` on N sandbox clusters whose 3 steps each run
 * a real child process (`sleep <d>`) through runTool, on a FileStateStore in a
 * temp dir. Clusters are independent and concurrency is unbounded, so the ideal
 * makespan is one cluster's chain: 3 × d. Also runs the same child processes as
 * bare chains (runTool only, no engine) to separate the engine's cost from the
 * cost of starting hundreds of processes on this machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fmt, printTable, summarize, writeResults } from './lib/report.mjs';
import { writeSandboxConfig } from './lib/sandbox-config.mjs';

const STEP_SECONDS = 0.2;
const STEPS = ['create-cluster', 'install-gitpod', 'install-jaeger'];

/** Wraps a store so every journal append is timed (the file journal blocks the event loop while it fsyncs). */
function timedStore(store, appendMs) {
  const wrap = (journal) => ({
    get id() {
      return journal.id;
    },
    get dir() {
      return journal.dir;
    },
    snapshot: () => journal.snapshot(),
    append: async (record) => {
      const t = performance.now();
      try {
        return await journal.append(record);
      } finally {
        appendMs.push(performance.now() - t);
      }
    },
  });
  return {
    get root() {
      return store.root;
    },
    lock: (key, holder) => store.lock(key, holder),
    create: async (id) => wrap(await store.create(id)),
    open: async (id) => wrap(await store.open(id)),
    list: () => store.list(),
    close: () => store.close(),
  };
}

/** Steps whose `run` starts `sleep <seconds>` and records when it was entered and when the child was reaped. */
function sleepSteps(runTool, seconds, marks) {
  return STEPS.map((name, index) => ({
    name,
    applies: () => true,
    describe: () => [],
    run: async (ctx) => {
      const entered = performance.now();
      const result = await runTool({ argv: ['sleep', String(seconds)], signal: ctx.signal, redactor: ctx.redactor });
      marks.push({ cluster: ctx.cluster.name, index, entered, reaped: performance.now(), childMs: result.durationMs });
      return { slept: seconds };
    },
  }));
}

/** Per-step orchestration gaps: time from a child being reaped to the next step of that cluster starting its child. */
function gaps(marks) {
  const byCluster = new Map();
  for (const m of marks) byCluster.set(m.cluster, [...(byCluster.get(m.cluster) ?? []), m]);
  const out = [];
  for (const list of byCluster.values()) {
    list.sort((a, b) => a.index - b.index);
    for (let i = 1; i < list.length; i++) out.push(list[i].entered - list[i - 1].reaped);
  }
  return out;
}

async function engineRun(dist, n, seconds) {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-bench-engine-'));
  try {
    const { text, file } = writeSandboxConfig(dir, n);
    const loaded = dist.parseConfig(text, file);
    const appendMs = [];
    const marks = [];
    const deps = {
      store: timedStore(new dist.FileStateStore(join(dir, 'state')), appendMs),
      sink: dist.nullSink,
      signal: new AbortController().signal,
      redactor: new dist.Redactor(),
      steps: sleepSteps(dist.runTool, seconds, marks),
      probe: async () => ({ exists: false }),
    };
    const options = { dryRun: false, overwrite: false, yes: true, verbose: false, failFast: false };
    const elu0 = performance.eventLoopUtilization();
    const t0 = performance.now();
    const snap = await dist.startDeployment(loaded, options, deps);
    const t1 = performance.now();
    const elu = performance.eventLoopUtilization(elu0);
    if (snap.state !== 'succeeded') throw new Error(`benchmark deployment ended ${snap.state}: ${snap.error?.message}`);
    const firstEntered = Math.min(...marks.map((m) => m.entered));
    const lastReaped = Math.max(...marks.map((m) => m.reaped));
    return {
      makespanMs: t1 - t0,
      setupMs: firstEntered - t0,
      finishMs: t1 - lastReaped,
      gapMs: summarize(gaps(marks)),
      childMs: summarize(marks.map((m) => m.childMs)),
      appendMs: summarize(appendMs),
      appendTotalMs: appendMs.reduce((s, v) => s + v, 0),
      appends: appendMs.length,
      eventLoopUtilization: elu.utilization,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The same child processes, chained per cluster with plain awaits: the floor of this machine. */
async function bareRun(dist, n, seconds) {
  const marks = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: n }, async (_, c) => {
      for (let index = 0; index < STEPS.length; index++) {
        const entered = performance.now();
        const result = await dist.runTool({ argv: ['sleep', String(seconds)] });
        marks.push({ cluster: String(c), index, entered, reaped: performance.now(), childMs: result.durationMs });
      }
    }),
  );
  return { makespanMs: performance.now() - t0, gapMs: summarize(gaps(marks)), childMs: summarize(marks.map((m) => m.childMs)) };
}

async function loadDist() {
  const [{ startDeployment }, { parseConfig }, { FileStateStore }, { nullSink }, { Redactor }, { runTool }] = await Promise.all([
    import('../dist/engine/deployment.js'),
    import('../dist/config/load.js'),
    import('../dist/state/file-store.js'),
    import('../dist/core/events.js'),
    import('../dist/core/redact.js'),
    import('../dist/tools/exec.js'),
  ]);
  return { startDeployment, parseConfig, FileStateStore, nullSink, Redactor, runTool };
}

const median = (runs, pick) => summarize(runs.map(pick)).p50;

export default async function engineMakespan(args = []) {
  const sizes = args.length ? args.map(Number) : [1, 10, 50, 200];
  const reps = 3;
  const dist = await loadDist();
  const ideal = STEPS.length * STEP_SECONDS * 1000;
  await engineRun(dist, 2, 0.01); // warm-up: module compilation and first spawn
  const rows = [];
  const results = [];
  for (const n of sizes) {
    const engine = [];
    const bare = [];
    for (let r = 0; r < reps; r++) {
      engine.push(await engineRun(dist, n, STEP_SECONDS));
      bare.push(await bareRun(dist, n, STEP_SECONDS));
    }
    // The run with the median makespan speaks for the size.
    const pickMedian = (runs) => [...runs].sort((a, b) => a.makespanMs - b.makespanMs)[Math.floor(runs.length / 2)];
    const e = pickMedian(engine);
    const b = pickMedian(bare);
    const steps = STEPS.length;
    const row = {
      clusters: n,
      idealMs: ideal,
      makespanMs: e.makespanMs,
      ratio: e.makespanMs / ideal,
      overheadPerStepMs: (e.makespanMs - ideal) / steps,
      engineOverBareMs: e.makespanMs - b.makespanMs,
      bareMakespanMs: b.makespanMs,
      bareRatio: b.makespanMs / ideal,
      engine: e,
      bare: b,
      allMakespansMs: engine.map((x) => x.makespanMs),
      allBareMakespansMs: bare.map((x) => x.makespanMs),
    };
    results.push(row);
    rows.push([
      n,
      fmt(ideal, 0),
      fmt(e.makespanMs, 0),
      fmt(row.ratio, 3),
      fmt(row.overheadPerStepMs, 1),
      `${fmt(e.gapMs.p50, 1)} / ${fmt(e.gapMs.max, 1)}`,
      fmt(e.setupMs, 1),
      fmt(e.finishMs, 1),
      `${e.appends} × ${fmt(e.appendMs.mean, 2)} = ${fmt(e.appendTotalMs, 0)}`,
      fmt(e.eventLoopUtilization, 2),
      fmt(b.makespanMs, 0),
      fmt(median(bare, (x) => x.makespanMs) / ideal, 3),
    ]);
    console.error(`engine-makespan: ${n} clusters done (median ${fmt(e.makespanMs, 0)} ms)`);
  }
  printTable(
    `engine makespan: 3 steps × sleep ${STEP_SECONDS} s per cluster, unbounded concurrency, file store (median of ${reps} runs)`,
    ['clusters', 'ideal ms', 'makespan ms', 'ratio', 'overhead/step ms', 'gap p50/max ms', 'setup ms', 'finish ms', 'journal appends × mean ms = total', 'ELU', 'bare ms', 'bare ratio'],
    rows,
  );
  const path = writeResults('engine-makespan', { stepSeconds: STEP_SECONDS, steps: STEPS, repetitions: reps, goal: 'ratio ≤ 1.05 at 200 clusters', results });
  console.log(`\nwrote ${path}`);
  return results;
}
