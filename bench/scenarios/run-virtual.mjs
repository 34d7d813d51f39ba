/**
 * Runs one scenario through the product's shift controller, judges and score
 * compiler (../../dist) on a virtual clock: an in-memory registry per meta
 * cluster that places starts as the server does (design §4, the simulator's
 * own selection code) and fails them at the scenario's rates, the simulator
 * metric provider sampling those counters, all seeded. Same scenario and seed
 * ⇒ same events ⇒ same verdict and same times, whatever the machine's load.
 * (The real-gRPC, real-timer variant is run-scenario.mjs, `--grpc`.)
 */
import { nullSink } from '../../dist/core/events.js';
import { seededRandom } from '../../dist/registry/simulator/random.js';
import { MAX_TRIES_PER_START, pickCluster } from '../../dist/registry/simulator/selection.js';
import { SimulatorProvider } from '../../dist/sandbox/simulator-provider.js';
import { runShift } from '../../dist/traffic/shift-controller.js';
import { BASELINE_RATE } from './catalog.mjs';
import { SHIFT_CONFIG } from './shift-config.mjs';
import { VirtualClock } from './virtual-clock.mjs';

const METAS = ['meta-a', 'meta-b'];
const TICK_MS = 50;
const SAMPLE_EVERY_TICKS = 2;
/** Virtual time after which a scenario that decided nothing counts as a timeout. */
export const SCENARIO_LIMIT_MS = 60_000;

/** One meta cluster's registry: the RegistryPort the controller changes, and the starts users make. */
class MemoryMeta {
  constructor(random, rates) {
    this.random = random;
    this.rates = rates;
    this.clusters = [
      { name: 'eu1', state: 'AVAILABLE', score: 100, maxScore: 100, static: false, admissionConstraints: [] },
      { name: 'eu2', state: 'CORDONED', score: 50, maxScore: 100, static: false, admissionConstraints: [] },
    ];
    this.counters = { eu1: { starts: 0, failures: 0, running: 0 }, eu2: { starts: 0, failures: 0, running: 0 } };
  }

  /** As the bridge's simulator: up to MAX_TRIES_PER_START clusters per start, weighted by min(score, max_score). */
  starts(n) {
    for (let i = 0; i < n; i++) {
      const tried = new Set();
      for (let attempt = 0; attempt < MAX_TRIES_PER_START; attempt++) {
        const c = pickCluster(this.clusters, {}, tried, this.random);
        if (!c) break;
        tried.add(c.name);
        this.counters[c.name].starts++;
        if (this.random() < this.rates[c.name]) {
          this.counters[c.name].failures++;
          continue;
        }
        this.counters[c.name].running++;
        break;
      }
    }
  }
}

function memoryRegistry(metas) {
  return {
    list: async (meta) => metas.get(meta).clusters.map((c) => ({ ...c, admissionConstraints: [...c.admissionConstraints] })),
    update: async (meta, name, change) => {
      const c = metas.get(meta).clusters.find((x) => x.name === name);
      if (!c) throw Object.assign(new Error(`cluster ${name} not found on ${meta}`), { code: 'RegistryNotFound' });
      if ('score' in change) c.score = change.score;
      else if ('maxScore' in change) c.maxScore = change.maxScore;
      else if ('cordoned' in change) c.state = change.cordoned ? 'CORDONED' : 'AVAILABLE';
    },
  };
}

/** Returns { outcome: 'promoted'|'rolled-back'|'paused'|'timeout', ms (virtual), rule, measurements, starts }. */
export async function runVirtualScenario(s, seed = s.seed) {
  const clock = new VirtualClock();
  const metas = new Map(METAS.map((m, i) => [m, new MemoryMeta(seededRandom(seed * 1000 + i + 1), { eu1: BASELINE_RATE, eu2: s.newRate })]));
  const registry = memoryRegistry(metas);
  const provider = new SimulatorProvider({ readers: [...metas.values()].map((m) => () => m.counters), now: clock.now, sampleEveryMs: 0 });
  const abort = new AbortController();
  let progress = {};
  const journal = {
    saveOriginalScores: async () => undefined,
    recordDecision: async (r) => {
      if (r.verdict === 'fail' || r.verdict === 'halt') progress = { ...progress, rule: r.decisions.find((d) => d.outcome === 'fail')?.rule ?? r.rule };
    },
    recordStep: async (p) => {
      progress = { ...progress, counters: p.counters };
      // Too few samples past sampleDeadline: the controller pauses for a human; that is the outcome.
      if (p.paused && !progress.paused) {
        progress.paused = true;
        abort.abort(new Error('paused'));
      }
    },
    load: async () => ({}),
  };

  // Users: starts per tick per meta, steady or noisy (seeded), placed by the current scores.
  const noise = seededRandom(seed);
  let stopped = false;
  const users = (async () => {
    let carry = 0;
    for (let tick = 1; !stopped; tick++) {
      await clock.sleep(TICK_MS);
      const factor = s.shape === 'noisy' ? 0.2 + 1.6 * noise() : 1;
      carry += ((s.perSecond * TICK_MS) / 1000) * factor;
      const n = Math.floor(carry);
      carry -= n;
      for (const m of metas.values()) m.starts(n);
      if (tick % SAMPLE_EVERY_TICKS === 0) provider.sample();
    }
  })();

  let result;
  let failure;
  const shift = runShift(
    { registry, metas: METAS, provider, clock, journal, control: { next: async () => undefined }, sink: nullSink, signal: abort.signal, pollMs: 50 },
    { config: SHIFT_CONFIG, newClusters: [{ name: 'eu2', cluster: 'eu2', region: 'r' }], oldClusters: [{ name: 'eu1', cluster: 'eu1', region: 'r' }] },
  ).then(
    (r) => (result = r),
    (e) => (failure = e),
  );
  const decided = await clock.run(() => result !== undefined || failure !== undefined, SCENARIO_LIMIT_MS);
  const ms = clock.now();
  if (!decided) abort.abort(new Error('scenario limit'));
  stopped = true;
  await clock.run(() => result !== undefined || failure !== undefined, Infinity).catch(() => undefined);
  await shift;
  void users;
  const starts = Object.fromEntries(['eu1', 'eu2'].map((c) => [c, [...metas.values()].reduce((a, m) => a + m.counters[c].starts, 0)]));
  if (result) return { outcome: result.outcome, ms, rule: progress.rule, measurements: result.progress.counters.measurements, starts };
  if (failure && abort.signal.aborted) return { outcome: progress.paused ? 'paused' : 'timeout', ms, measurements: progress.counters?.measurements ?? 0, starts };
  throw failure;
}
