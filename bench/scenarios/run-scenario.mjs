/**
 * Runs one scenario end to end with the product's own code from ../../dist:
 * two registry simulators over real gRPC on 127.0.0.1, clusters registered
 * through RegistryClient, the shift controller with the simulator metric
 * provider and the threshold judge, simulated users placed by score. Fast
 * intervals (500 ms) instead of fake time: the gRPC calls and judges are real.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { nullSink } from '../../dist/core/events.js';
import { RegistryClient } from '../../dist/registry/client.js';
import { alwaysReachable, startSimulator } from '../../dist/registry/simulator/index.js';
import { seededRandom } from '../../dist/registry/simulator/random.js';
import { SimulatorProvider } from '../../dist/sandbox/simulator-provider.js';
import { realClock } from '../../dist/traffic/clock.js';
import { connectRegistry } from '../../dist/traffic/registry-adapter.js';
import { runShift } from '../../dist/traffic/shift-controller.js';
import { BASELINE_RATE } from './catalog.mjs';
import { SHIFT_CONFIG } from './shift-config.mjs';

const METAS = ['meta-a', 'meta-b'];
const TICK_MS = 50;
const SCENARIO_TIMEOUT_MS = 30_000;

export { SHIFT_CONFIG };

async function register(address, meta, name, cordoned, preferability) {
  const client = await RegistryClient.connect({ address, meta });
  try {
    await client.register({ name, url: `dns:///ws-${name}.bench.test:8080`, tls: { ca: 'Y2E=', crt: 'Y3J0', key: 'a2V5' }, hints: { preferability, cordoned, govern: meta === METAS[0] }, admissionConstraints: [], admissionPreferences: [] });
  } finally {
    client.close();
  }
}

/** Returns { outcome: 'promoted'|'rolled-back'|'paused'|'timeout', ms, rule, measurements }. */
export async function runScenario(s) {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-bench-traffic-'));
  const sims = [];
  let registry;
  let traffic;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error('scenario timeout')), SCENARIO_TIMEOUT_MS);
  try {
    for (const [i, meta] of METAS.entries()) {
      const sim = await startSimulator({ stateFile: join(dir, `${meta}.json`), seed: s.seed * 10 + i, reachability: alwaysReachable });
      sims.push(sim);
      await register(sim.address, meta, 'eu1', false, 'Prefer');
      await register(sim.address, meta, 'eu2', true, 'None');
      await sim.setFailureRate('eu1', BASELINE_RATE);
      await sim.setFailureRate('eu2', s.newRate);
    }
    registry = await connectRegistry(METAS.map((m, i) => ({ name: m, bridge: { address: sims[i].address } })), { signal: abort.signal });
    const random = seededRandom(s.seed); // traffic noise is reproducible per scenario
    let carry = 0;
    let stopped = false;
    const loop = (async () => {
      while (!stopped) {
        const factor = s.shape === 'noisy' ? 0.2 + 1.6 * random() : 1;
        carry += ((s.perSecond * TICK_MS) / 1000) * factor;
        const n = Math.floor(carry);
        carry -= n;
        for (const sim of sims) if (n > 0) await sim.simulateStarts(n);
        await new Promise((r) => setTimeout(r, TICK_MS));
      }
    })();
    traffic = async () => {
      stopped = true;
      await loop;
    };
    const provider = new SimulatorProvider({ readers: sims.map((sim) => () => sim.counters()), sampleEveryMs: 100 });
    let progress;
    const journal = {
      saveOriginalScores: async () => undefined,
      recordDecision: async (r) => {
        if (r.verdict === 'fail' || r.verdict === 'halt') progress = { ...progress, rule: r.decisions.find((d) => d.outcome === 'fail')?.rule ?? r.rule };
      },
      recordStep: async (p) => {
        progress = { ...progress, counters: p.counters };
        // Too few samples past sampleDeadline: the controller pauses for a human. That is the
        // scenario's outcome (no rollback, no promotion); stop here instead of waiting forever.
        if (p.paused && !progress.paused) {
          progress.paused = true;
          abort.abort(new Error('paused'));
        }
      },
      load: async () => ({}),
    };
    const started = performance.now();
    try {
      const result = await runShift(
        { registry, metas: METAS, provider, clock: realClock, journal, control: { next: async () => undefined }, sink: nullSink, signal: abort.signal, pollMs: 50 },
        { config: SHIFT_CONFIG, newClusters: [{ name: 'eu2', cluster: 'eu2', region: 'r' }], oldClusters: [{ name: 'eu1', cluster: 'eu1', region: 'r' }] },
      );
      return { outcome: result.outcome, ms: performance.now() - started, rule: progress?.rule, measurements: result.progress.counters.measurements };
    } catch (error) {
      if (abort.signal.aborted) return { outcome: progress?.paused ? 'paused' : 'timeout', ms: performance.now() - started, measurements: progress?.counters?.measurements ?? 0 };
      throw error;
    } finally {
      provider.stop();
    }
  } finally {
    clearTimeout(timer);
    await traffic?.();
    await registry?.close();
    await Promise.all(sims.map((sim) => sim.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}
