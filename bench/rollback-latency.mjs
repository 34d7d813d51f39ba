/**
 * Rollback latency: from a failed decision to the last acknowledged Update on
 * every meta cluster. Three registry simulators (real gRPC on 127.0.0.1), each
 * with 10 new and 10 old clusters registered; the real path: the shift's instant flip `restoreOrRecord`
 * (src/traffic/shift-rollback.ts) over `connectRegistry` (the RegistryPort
 * adapter over RegistryClient, src/traffic/registry-adapter.ts). Before each
 * repetition the registries are put back mid-shift (untimed); after each, every
 * registry is listed to check the rollback really took effect (untimed).
 * Set-up shared with rollback-link: bench/lib/rollback-rig.mjs.
 *
 *   node bench/run.mjs rollback-latency [repetitions]
 */
import { performance } from 'node:perf_hooks';
import { startRollbackRig, METAS } from './lib/rollback-rig.mjs';
import { fmt, printTable, summarize, writeResults } from './lib/report.mjs';

const PER_KIND = 10;

export default async function rollbackLatency(args = []) {
  const reps = Number(args[0] ?? 200);
  const rig = await startRollbackRig({ perKind: PER_KIND });
  try {
    const latencies = [];
    for (let r = 0; r < reps + 5; r++) {
      await rig.midShift();
      const t0 = performance.now();
      await rig.rollback(); // throws unless every meta cluster took it (RollbackIncomplete)
      const ms = performance.now() - t0;
      await rig.verify();
      if (r >= 5) latencies.push(ms); // the first 5 warm the JIT and the channels
    }
    const s = summarize(latencies);
    printTable(
      `instant rollback latency: ${METAS.length} meta clusters (simulators over gRPC on 127.0.0.1) × ${PER_KIND} new + ${PER_KIND} old clusters, ${reps} repetitions (ms)`,
      ['updates per meta', 'mean', 'p50', 'p90', 'p99', 'max', 'per update (p50)', 'goal p99 < 1000 ms'],
      [[rig.updatesPerMeta, fmt(s.mean, 1), fmt(s.p50, 1), fmt(s.p90, 1), fmt(s.p99, 1), fmt(s.max, 1), fmt(s.p50 / rig.updatesPerMeta, 2), s.p99 < 1000 ? 'met' : 'MISSED']],
    );
    const path = writeResults('rollback-latency', { metas: METAS.length, newClusters: PER_KIND, oldClusters: PER_KIND, updatesPerMeta: rig.updatesPerMeta, repetitions: reps, latencyMs: s, goal: 'p99 < 1000 ms' });
    console.log(`\nwrote ${path}`);
    return s;
  } finally {
    await rig.close();
  }
}
