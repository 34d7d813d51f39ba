/**
 * Rollback latency: from a failed decision to the last acknowledged Update on
 * every meta cluster. Three registry simulators (real gRPC on 127.0.0.1), each
 * with 10 new and 10 old clusters registered; the real path: `rollbackShift`
 * (src/traffic/shift-rollback.ts) over `connectRegistry` (the RegistryPort
 * adapter over RegistryClient, src/traffic/registry-adapter.ts). Before each
 * repetition the registries are put back mid-shift (untimed); after each, every
 * registry is listed to check the rollback really took effect (untimed).
 *
 *   node bench/run.mjs rollback-latency [repetitions]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fmt, printTable, summarize, writeResults } from './lib/report.mjs';

const METAS = ['dev-meta-eu01', 'dev-meta-us01', 'dev-meta-as01'];
const PER_KIND = 10;
const PERMISSION = 'new-workspace-cluster';
const STAFF = `has-permission=${PERMISSION}`;
const TLS = { ca: 'bench-ca', crt: 'bench-crt', key: 'bench-key-material' };

const cluster = (kind, i) => ({ name: `${kind}${i}`, cluster: `gp-dev-ws-${kind}${i}-eu-west1`, region: 'europe-west1' });
const NEW = Array.from({ length: PER_KIND }, (_, i) => cluster('nw', 200 + i));
const OLD = Array.from({ length: PER_KIND }, (_, i) => cluster('od', 100 + i));

/** Registers the clusters as a deployment leaves them: new ones cordoned behind the staff constraint, old ones serving. */
async function registerAll(registry) {
  for (const meta of METAS) {
    const client = registry.client(meta);
    for (const c of [...NEW, ...OLD]) {
      const isNew = c.name.startsWith('nw');
      await client.register({
        name: c.name,
        url: `dns:///ws-${c.name}.sandbox.test:8080`,
        tls: TLS,
        hints: { preferability: isNew ? 'None' : 'Prefer', cordoned: isNew, govern: meta === METAS[0] },
        admissionConstraints: isNew ? [{ type: 'has-permission', permission: PERMISSION }] : [],
        admissionPreferences: [],
      });
    }
  }
}

/** Mid-shift (untimed): new clusters uncordoned at score 60 without the staff constraint, old ones down to 40. */
async function midShift(registry) {
  await Promise.all(
    METAS.map(async (meta) => {
      for (const c of NEW) {
        await registry.update(meta, c.name, { score: 60 });
        await registry.update(meta, c.name, { admissionConstraint: { add: false, constraint: STAFF } });
        await registry.update(meta, c.name, { cordoned: false });
      }
      for (const c of OLD) await registry.update(meta, c.name, { score: 40 });
    }),
  );
}

/** Throws unless every registry shows the rollback's end state. */
async function verify(registry, original) {
  for (const meta of METAS) {
    const byName = new Map((await registry.list(meta)).map((c) => [c.name, c]));
    for (const c of NEW) {
      const s = byName.get(c.name);
      if (s.score !== 0 || s.state !== 'CORDONED' || !s.admissionConstraints.includes(STAFF)) throw new Error(`rollback incomplete on ${meta}: ${JSON.stringify(s)}`);
    }
    for (const c of OLD) {
      const s = byName.get(c.name);
      const o = original[meta][c.name];
      if (s.score !== o.score || s.state !== o.state) throw new Error(`old cluster not restored on ${meta}: ${JSON.stringify(s)} vs ${JSON.stringify(o)}`);
    }
  }
}

export default async function rollbackLatency(args = []) {
  const reps = Number(args[0] ?? 200);
  const [{ startSimulator, alwaysReachable }, { connectRegistry }, { rollbackShift }, { ShiftRegistry, rollbackChanges }, { nullSink }] = await Promise.all([
    import('../dist/registry/simulator/index.js'),
    import('../dist/traffic/registry-adapter.js'),
    import('../dist/traffic/shift-rollback.js'),
    import('../dist/traffic/shift-registry.js'),
    import('../dist/core/events.js'),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'wsd-bench-rollback-'));
  const sims = [];
  let registry;
  try {
    for (const meta of METAS) sims.push(await startSimulator({ stateFile: join(dir, `${meta}.json`), reachability: alwaysReachable }));
    registry = await connectRegistry(
      METAS.map((name, i) => ({ name, bridge: { address: sims[i].address } })),
      { sink: nullSink },
    );
    await registerAll(registry);
    const clock = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };
    const original = await new ShiftRegistry(registry, METAS, clock, nullSink).snapshot([...NEW, ...OLD].map((c) => c.name));
    // The instant rollback reads only staffStage (and rollback.mode); the rest of a shift config does not take part.
    const config = { staffStage: { permission: PERMISSION, duration: 900_000 }, rollback: { mode: 'instant', duration: 300_000, steps: 4 } };
    const journal = {
      saveOriginalScores: async () => undefined,
      recordDecision: async () => undefined,
      recordStep: async () => undefined,
      load: async () => ({ original }),
    };
    const updatesPerMeta = rollbackChanges(original[METAS[0]], NEW, OLD, STAFF).length;
    const latencies = [];
    for (let r = 0; r < reps + 5; r++) {
      await midShift(registry);
      const t0 = performance.now();
      const progress = await rollbackShift({ registry, metas: METAS, clock, journal, sink: nullSink }, { config, newClusters: NEW, oldClusters: OLD }, 'bench: failed decision');
      const ms = performance.now() - t0;
      if (progress.phase !== 'rolled-back') throw new Error(`rollback ended in phase ${progress.phase}`);
      await verify(registry, original);
      if (r >= 5) latencies.push(ms); // the first 5 warm the JIT and the channels
    }
    const s = summarize(latencies);
    printTable(
      `instant rollback latency: ${METAS.length} meta clusters (simulators over gRPC on 127.0.0.1) × ${PER_KIND} new + ${PER_KIND} old clusters, ${reps} repetitions (ms)`,
      ['updates per meta', 'mean', 'p50', 'p90', 'p99', 'max', 'per update (p50)', 'goal p99 < 1000 ms'],
      [[updatesPerMeta, fmt(s.mean, 1), fmt(s.p50, 1), fmt(s.p90, 1), fmt(s.p99, 1), fmt(s.max, 1), fmt(s.p50 / updatesPerMeta, 2), s.p99 < 1000 ? 'met' : 'MISSED']],
    );
    const path = writeResults('rollback-latency', { metas: METAS.length, newClusters: PER_KIND, oldClusters: PER_KIND, updatesPerMeta, repetitions: reps, latencyMs: s, goal: 'p99 < 1000 ms' });
    console.log(`\nwrote ${path}`);
    return s;
  } finally {
    await registry?.close();
    await Promise.all(sims.map((sim) => sim.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}
