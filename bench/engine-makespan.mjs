/**
 * Engine makespan: `startDeployment` on N sandbox clusters whose 3 steps each run
 * a real child process (`sleep <d>`) through runTool, on a FileStateStore in a
 * temp dir. Clusters are independent and concurrency is unbounded, so the ideal
 * makespan is one cluster's chain: 3 × d. The same child processes also run as
 * bare chains (runTool only, no engine) to separate the engine's cost from the
 * cost of starting hundreds of processes on this machine.
 *
 *   node bench/run.mjs engine-makespan [--step SECONDS] [--pairs N] [--floor loop|yield] [--dist DIR] [N …]
 *
 * On a shared machine makespans swing with the load; the CPU time this process spends
 * (user + system, `process.cpuUsage`) in the engine run against the bare run does not, so
 * both are printed, with the load average around each case. `--dist DIR` runs another
 * build (e.g. a copy of an older commit's `dist/`) for an interleaved A/B.
 */
import { setMaxListeners } from 'node:events';
import { setImmediate } from 'node:timers';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { fmt, pairedDifference, printTable, summarize, writeResults } from './lib/report.mjs';
import { writeSandboxConfig } from './lib/sandbox-config.mjs';

export const STEPS = ['create-cluster', 'install-gitpod', 'install-jaeger'];
const REPS = 3;
/**
 * [clusters, step seconds]: the brief's sizes at 0.2 s, plus 200 at 1 s and 5 s: the overhead is
 * a fixed cost per step (mostly starting 200 processes on 2 cores), so the ratio falls as steps get
 * as long as real ones (terraform and helm steps take minutes).
 */
const DEFAULT_CASES = [
  [1, 0.2],
  [10, 0.2],
  [50, 0.2],
  [200, 0.2],
  [200, 1],
  [200, 5],
  [1000, 1],
];

/** Wraps a store so every journal append is timed. */
function timedStore(store, appendMs) {
  const wrap = (journal) => ({
    get id() {
      return journal.id;
    },
    get dir() {
      return journal.dir;
    },
    snapshot: () => journal.snapshot(),
    // FileJournal.append has no await inside: its whole cost (write, fsyncs, snapshot) is paid
    // synchronously before the promise is returned, so this is time the event loop is blocked.
    append: (record) => {
      const t = performance.now();
      const promise = journal.append(record);
      appendMs.push(performance.now() - t);
      return promise;
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

/**
 * Steps whose `run` starts `sleep <seconds>`. runTool spawns synchronously, and libuv's spawn
 * returns only once the child has exec'd, so the instant `runTool()` returns its promise is when
 * the sleep begins, and that instant + `seconds` is when the child really exits (the parent may
 * notice later when its event loop is busy).
 */
function sleepSteps(runTool, seconds, marks) {
  return STEPS.map((name, index) => ({
    name,
    applies: () => true,
    describe: () => [],
    run: async (ctx) => {
      const entered = performance.now();
      const pending = runTool({ argv: ['sleep', String(seconds)], signal: ctx.signal, redactor: ctx.redactor });
      const spawned = performance.now();
      await pending;
      marks.push({ cluster: ctx.cluster.name, index, entered, spawned, reaped: performance.now() });
      return { slept: seconds };
    },
  }));
}

/**
 * Splits the time between one child's real exit and the next child's start (same cluster) into
 * lag (exit → parent notices), engine (journal + scheduling: noticed → next step's run entered)
 * and spawn (run entered → next child exec'd); plus each cluster's first child start after t0.
 */
function breakdown(marks, t0, seconds) {
  const byCluster = new Map();
  for (const m of marks) byCluster.set(m.cluster, [...(byCluster.get(m.cluster) ?? []), m]);
  const gap = [];
  const lag = [];
  const engine = [];
  const spawn = [];
  const firstStart = [];
  for (const list of byCluster.values()) {
    list.sort((a, b) => a.index - b.index);
    firstStart.push(list[0].spawned - t0);
    for (const m of list) {
      lag.push(m.reaped - (m.spawned + seconds * 1000));
      spawn.push(m.spawned - m.entered);
    }
    for (let i = 1; i < list.length; i++) {
      gap.push(list[i].spawned - (list[i - 1].spawned + seconds * 1000));
      engine.push(list[i].entered - list[i - 1].reaped);
    }
  }
  return { gapMs: summarize(gap), lagMs: summarize(lag), engineMs: summarize(engine), spawnMs: summarize(spawn), firstStartMs: summarize(firstStart) };
}

export async function engineRun(dist, n, seconds) {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-bench-engine-'));
  try {
    const { text, file } = writeSandboxConfig(dir, n);
    const loaded = dist.parseConfig(text, file);
    const appendMs = [];
    const marks = [];
    const controller = new AbortController();
    // runTool adds one abort listener per running child; past 10 Node prints
    // MaxListenersExceededWarning (a finding reported in BENCHMARKS.md). Silenced here to keep the tables readable.
    setMaxListeners(0, controller.signal);
    const deps = {
      store: timedStore(new dist.FileStateStore(join(dir, 'state')), appendMs),
      sink: dist.nullSink,
      signal: controller.signal,
      redactor: new dist.Redactor(),
      steps: sleepSteps(dist.runTool, seconds, marks),
      probe: async () => ({ exists: false }),
    };
    const options = { dryRun: false, overwrite: false, yes: true, verbose: false, failFast: false };
    const elu0 = performance.eventLoopUtilization();
    // Peak memory of this process (the engine plus the benchmark's marks), sampled every 50 ms.
    const memory = { rssMb: 0, heapUsedMb: 0 };
    const sample = () => {
      const m = process.memoryUsage();
      memory.rssMb = Math.max(memory.rssMb, m.rss / 2 ** 20);
      memory.heapUsedMb = Math.max(memory.heapUsedMb, m.heapUsed / 2 ** 20);
    };
    const sampler = setInterval(sample, 50);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const snap = await dist.startDeployment(loaded, options, deps);
    const t1 = performance.now();
    const cpu = process.cpuUsage(cpu0);
    clearInterval(sampler);
    sample();
    const elu = performance.eventLoopUtilization(elu0);
    if (snap.state !== 'succeeded') throw new Error(`benchmark deployment ended ${snap.state}: ${snap.error?.message}`);
    return {
      makespanMs: t1 - t0,
      finishMs: t1 - Math.max(...marks.map((m) => m.reaped)),
      ...breakdown(marks, t0, seconds),
      appendMs: summarize(appendMs),
      appendTotalMs: appendMs.reduce((s, v) => s + v, 0),
      appends: appendMs.length,
      eventLoopUtilization: elu.utilization,
      cpuMs: (cpu.user + cpu.system) / 1000,
      memory,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The same child processes, chained per cluster with plain awaits: the floor of this machine. `floor: 'yield'`
 * lets the event loop turn before each spawn (a chain's first spawn too), so the first wave is not one synchronous
 * loop of n forks: on a host whose forks are slow that loop is no floor (the engine, which releases its first
 * steps in group-commit batches, ended before it), and this shape of the same chains may end earlier.
 */
export async function bareRun(dist, n, seconds, floor = 'loop') {
  const marks = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: n }, async (_, c) => {
      for (let index = 0; index < STEPS.length; index++) {
        if (floor === 'yield') await new Promise((resolve) => setImmediate(resolve));
        const entered = performance.now();
        const pending = dist.runTool({ argv: ['sleep', String(seconds)] });
        const spawned = performance.now();
        await pending;
        marks.push({ cluster: String(c), index, entered, spawned, reaped: performance.now() });
      }
    }),
  );
  const makespanMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { makespanMs, cpuMs: (cpu.user + cpu.system) / 1000, ...breakdown(marks, t0, seconds) };
}

export async function loadDist(dir) {
  const base = pathToFileURL(`${resolve(dir ?? new URL('../dist', import.meta.url).pathname)}/`);
  const load = (path) => import(new URL(path, base).href);
  const [{ startDeployment }, { parseConfig }, { FileStateStore }, { nullSink }, { Redactor }, { runTool }] = await Promise.all([
    load('engine/deployment.js'),
    load('config/load.js'),
    load('state/file-store.js'),
    load('core/events.js'),
    load('core/redact.js'),
    load('tools/exec.js'),
  ]);
  return { startDeployment, parseConfig, FileStateStore, nullSink, Redactor, runTool };
}

function parseArgs(args) {
  const flag = (name) => {
    const at = args.indexOf(name);
    return at >= 0 ? { at, value: args[at + 1] } : undefined;
  };
  const step = flag('--step');
  const dist = flag('--dist');
  const pairs = flag('--pairs');
  const floor = flag('--floor');
  if (floor && floor.value !== 'loop' && floor.value !== 'yield') throw new Error(`--floor takes loop or yield, got ${floor.value}`);
  const used = new Set([step?.at, step && step.at + 1, dist?.at, dist && dist.at + 1, pairs?.at, pairs && pairs.at + 1, floor?.at, floor && floor.at + 1]);
  const sizes = args.filter((_, i) => !used.has(i)).map(Number);
  const cases = step === undefined && sizes.length === 0 ? DEFAULT_CASES : (sizes.length ? sizes : [1, 10, 50, 200]).map((n) => [n, Number(step?.value ?? 0.2)]);
  return { cases, dist: dist?.value, pairs: Math.max(1, Number(pairs?.value ?? REPS)), floor: floor?.value ?? 'loop' };
}

const load1 = () => Math.round(loadavg()[0] * 10) / 10;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** The run with the median makespan speaks for its case. */
const pickMedian = (runs) => [...runs].sort((a, b) => a.makespanMs - b.makespanMs)[Math.floor(runs.length / 2)];

export default async function engineMakespan(args = []) {
  const { cases, dist: distDir, pairs, floor } = parseArgs(args);
  const dist = await loadDist(distDir);
  if (distDir) console.log(`dist: ${resolve(distDir)}`);
  await engineRun(dist, 2, 0.01); // warm-up: module compilation and first spawns
  const rows = [];
  const splitRows = [];
  const pairedRows = [];
  const results = [];
  for (const [n, seconds] of cases) {
    const ideal = STEPS.length * seconds * 1000;
    const engine = [];
    const bare = [];
    const loadBefore = load1();
    // Alternated (engine first, then bare first, …): whichever runs second in a pair starts on a
    // machine the first has just loaded (its children's exits, its heap to collect, its temp dir's
    // writeback), so a fixed order leans the difference one way.
    for (let r = 0; r < pairs; r++) {
      if (r % 2 === 0) {
        engine.push(await engineRun(dist, n, seconds));
        bare.push(await bareRun(dist, n, seconds, floor));
      } else {
        bare.push(await bareRun(dist, n, seconds, floor));
        engine.push(await engineRun(dist, n, seconds));
      }
    }
    const e = pickMedian(engine);
    const b = pickMedian(bare);
    const row = {
      clusters: n,
      stepSeconds: seconds,
      floor,
      idealMs: ideal,
      makespanMs: e.makespanMs,
      ratio: e.makespanMs / ideal,
      overheadPerStepMs: (e.makespanMs - ideal) / STEPS.length,
      bareMakespanMs: b.makespanMs,
      bareRatio: b.makespanMs / ideal,
      engineMinusBareMs: e.makespanMs - b.makespanMs,
      paired: pairedDifference(
        engine.map((x) => x.makespanMs),
        bare.map((x) => x.makespanMs),
      ),
      engine: e,
      bare: b,
      allMakespansMs: engine.map((x) => x.makespanMs),
      allBareMakespansMs: bare.map((x) => x.makespanMs),
      // CPU of this process: the engine's own cost, steadier than makespans under load.
      cpuMs: median(engine.map((x) => x.cpuMs)),
      bareCpuMs: median(bare.map((x) => x.cpuMs)),
      allCpuMs: engine.map((x) => x.cpuMs),
      allBareCpuMs: bare.map((x) => x.cpuMs),
      loadAverage: [loadBefore, load1()],
    };
    row.engineCpuPerStepMs = (row.cpuMs - row.bareCpuMs) / (n * STEPS.length);
    results.push(row);
    rows.push([
      `${n} × ${seconds} s`,
      fmt(ideal, 0),
      fmt(e.makespanMs, 0),
      fmt(row.ratio, 3),
      fmt(row.overheadPerStepMs, 1),
      fmt(b.makespanMs, 0),
      fmt(row.bareRatio, 3),
      fmt(row.engineMinusBareMs, 0),
      fmt(e.eventLoopUtilization, 2),
      `${fmt(e.memory.rssMb, 0)} / ${fmt(e.memory.heapUsedMb, 0)}`,
      `${fmt(row.cpuMs, 0)} / ${fmt(row.bareCpuMs, 0)}`,
      fmt(row.engineCpuPerStepMs, 3),
      `${row.loadAverage[0]} → ${row.loadAverage[1]}`,
    ]);
    splitRows.push([
      `${n} × ${seconds} s`,
      `${fmt(e.firstStartMs.p50, 0)} / ${fmt(e.firstStartMs.max, 0)}`,
      `${fmt(e.gapMs.p50, 1)} / ${fmt(e.gapMs.max, 1)}`,
      `${fmt(e.lagMs.p50, 1)} / ${fmt(e.lagMs.max, 1)}`,
      `${fmt(e.engineMs.p50, 1)} / ${fmt(e.engineMs.max, 1)}`,
      `${fmt(e.spawnMs.p50, 1)} / ${fmt(e.spawnMs.max, 1)}`,
      `${e.appends} × ${fmt(e.appendMs.mean, 2)} = ${fmt(e.appendTotalMs, 0)}`,
      `${fmt(b.firstStartMs.max, 0)} / ${fmt(b.gapMs.p50, 1)} / ${fmt(b.gapMs.max, 1)}`,
    ]);
    pairedRows.push([
      `${n} × ${seconds} s`,
      String(row.paired.n),
      `${fmt(row.paired.median, 0)} (${fmt((100 * row.paired.median) / b.makespanMs, 1)} %)`,
      `${fmt(row.paired.low, 0)} … ${fmt(row.paired.high, 0)}`,
      row.paired.diffs.map((d) => fmt(d, 0)).join(' '),
    ]);
    console.error(`engine-makespan: ${n} clusters × ${seconds} s done (median makespan ${fmt(e.makespanMs, 0)} ms)`);
  }
  printTable(
    `engine makespan: ${STEPS.length} steps per cluster, each a real \`sleep\` via runTool; unbounded concurrency; file store in a temp dir (median of ${pairs} runs each)`,
    ['clusters × step', 'ideal ms', 'makespan ms', 'ratio', 'overhead/step ms', 'bare ms', 'bare ratio', 'engine − bare ms', 'event-loop util.', 'peak RSS / heap MB', 'CPU ms engine / bare (median)', 'engine CPU/step ms', 'load avg'],
    rows,
  );
  printTable(
    'where the time goes (ms, p50 / max over clusters or steps of the median run)',
    ['clusters × step', '1st child start', 'exit → next start', 'exit → noticed', 'noticed → next run', 'run → exec', 'journal appends × mean = total (blocking)', 'bare: 1st start max / gap p50 / max'],
    splitRows,
  );
  printTable(
    `engine − bare, paired (each engine run against the bare run beside it, which one goes first alternating; bare floor: ${floor})`,
    ['clusters × step', 'pairs', 'median ms (of bare)', '95 % interval of the median', 'each pair, in run order'],
    pairedRows,
  );
  const path = writeResults('engine-makespan', { steps: STEPS, repetitions: pairs, goal: 'ratio ≤ 1.05 at 200 clusters', results });
  console.log(`\nwrote ${path}`);
  return results;
}
