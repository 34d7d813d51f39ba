/**
 * Rollback over realistic links: the instant rollback of `rollback-latency`, but
 * with 50 new + 50 old clusters on each of 3 registry simulators and every call
 * going through an in-process TCP proxy (bench/lib/latency-proxy.mjs) that adds
 * 20 ms ± 5 ms per chunk in each direction, as a Kubernetes port-forward does.
 * The simulators keep their state files on tmpfs (/dev/shm) when there is one.
 * Set-up and checks talk to the simulators directly (untimed); only the rollback
 * goes through the proxies. After every repetition each registry is listed to
 * check the rollback took effect.
 *
 * Then the fault: a rollback during which every proxy resets its connections
 * (TCP RST) once the first Updates were answered. The client retries idempotent
 * calls on UNAVAILABLE (src/registry/client.ts); the rollback must still end with
 * every registry restored (verified by List). Reported: its duration, and the
 * time from the reset to the end (time to recover).
 *
 *   node bench/run.mjs rollback-link [repetitions] [--delay 20] [--jitter 5]
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startLatencyProxy } from './lib/latency-proxy.mjs';
import { fmt, printTable, summarize, writeResults } from './lib/report.mjs';

const METAS = ['dev-meta-eu01', 'dev-meta-us01', 'dev-meta-as01'];
const PER_KIND = 50;
const PERMISSION = 'new-workspace-cluster';
const STAFF = `has-permission=${PERMISSION}`;
const TLS = { ca: 'bench-ca', crt: 'bench-crt', key: 'bench-key-material' };

const cluster = (kind, i) => ({ name: `${kind}${i}`, cluster: `gp-dev-ws-${kind}${i}-eu-west1`, region: 'europe-west1' });
const NEW = Array.from({ length: PER_KIND }, (_, i) => cluster('nw', 200 + i));
const OLD = Array.from({ length: PER_KIND }, (_, i) => cluster('od', 100 + i));

async function registerAll(registry) {
  await Promise.all(
    METAS.map(async (meta) => {
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
    }),
  );
}

/** Mid-shift (untimed, direct): new clusters uncordoned at 60 without the staff constraint, old ones at 40. */
async function midShift(registry) {
  await Promise.all(
    METAS.map(async (meta) => {
      await Promise.all(
        NEW.map(async (c) => {
          await registry.update(meta, c.name, { score: 60 });
          await registry.update(meta, c.name, { admissionConstraint: { add: false, constraint: STAFF } });
          await registry.update(meta, c.name, { cordoned: false });
        }),
      );
      await Promise.all(OLD.map((c) => registry.update(meta, c.name, { score: 40 })));
    }),
  );
}

/** Throws unless every registry (listed directly) shows the rollback's end state. */
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

function option(args, name, fallback) {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
}

export default async function rollbackLink(args = []) {
  const reps = Number(args.find((a, i) => !a.startsWith('--') && !(args[i - 1] ?? '').startsWith('--')) ?? 30);
  const delayMs = option(args, '--delay', 20);
  const jitterMs = option(args, '--jitter', 5);
  const [{ startSimulator, alwaysReachable }, { connectRegistry }, { rollbackShift }, { ShiftRegistry, rollbackChanges }, { MemorySink, nullSink }] = await Promise.all([
    import('../dist/registry/simulator/index.js'),
    import('../dist/traffic/registry-adapter.js'),
    import('../dist/traffic/shift-rollback.js'),
    import('../dist/traffic/shift-registry.js'),
    import('../dist/core/events.js'),
  ]);
  // The simulators persist every change with fsync; on tmpfs that costs nothing, so the figures
  // measure the link and the client, not this shared machine's disk queue.
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'wsd-bench-rollback-link-'));
  const sims = [];
  const proxies = [];
  let direct;
  let linked;
  try {
    for (const meta of METAS) sims.push(await startSimulator({ stateFile: join(dir, `${meta}.json`), reachability: alwaysReachable }));
    for (const [i, sim] of sims.entries()) proxies.push(await startLatencyProxy(sim.address, { delayMs, jitterMs, seed: i + 1 }));
    direct = await connectRegistry(METAS.map((name, i) => ({ name, bridge: { address: sims[i].address } })), { sink: nullSink });
    const retries = new MemorySink();
    linked = await connectRegistry(METAS.map((name, i) => ({ name, bridge: { address: proxies[i].address } })), { sink: retries });
    await registerAll(direct);
    const clock = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };
    const original = await new ShiftRegistry(direct, METAS, clock, nullSink).snapshot([...NEW, ...OLD].map((c) => c.name));
    const config = { staffStage: { permission: PERMISSION, duration: 900_000 }, rollback: { mode: 'instant', duration: 300_000, steps: 4 } };
    const journal = { saveOriginalScores: async () => undefined, recordDecision: async () => undefined, recordStep: async () => undefined, load: async () => ({ original }) };
    const updatesPerMeta = rollbackChanges(original[METAS[0]], NEW, OLD, STAFF).length;
    const rollback = () => rollbackShift({ registry: linked, metas: METAS, clock, journal, sink: nullSink }, { config, newClusters: NEW, oldClusters: OLD }, 'bench: failed decision');

    const latencies = [];
    for (let r = 0; r < reps + 2; r++) {
      await midShift(direct);
      const t0 = performance.now();
      const progress = await rollback();
      const ms = performance.now() - t0;
      if (progress.phase !== 'rolled-back') throw new Error(`rollback ended in phase ${progress.phase}`);
      await verify(direct, original);
      if (r >= 2) latencies.push(ms); // the first two open the channels through the proxies
      console.error(`rollback-link: repetition ${r + 1}/${reps + 2}: ${fmt(ms, 0)} ms`);
    }
    const s = summarize(latencies);

    // The fault: reset every proxied connection once a tenth of the expected Updates were answered.
    const resets = [];
    for (let r = 0; r < 3; r++) {
      await midShift(direct);
      retries.events.length = 0;
      const t0 = performance.now();
      let resetAt;
      let dropped = 0;
      const timer = setTimeout(() => {
        resetAt = performance.now();
        dropped = proxies.reduce((n, p) => n + p.reset(), 0);
      }, Math.max(1, s.p50 / 10));
      const progress = await rollback();
      clearTimeout(timer);
      const end = performance.now();
      if (progress.phase !== 'rolled-back') throw new Error(`rollback after a reset ended in phase ${progress.phase}`);
      await verify(direct, original);
      const retried = retries.events.filter((e) => e.code === 'registry.retry').length;
      resets.push({ totalMs: end - t0, resetAfterMs: resetAt === undefined ? NaN : resetAt - t0, recoverMs: resetAt === undefined ? NaN : end - resetAt, dropped, retried });
      console.error(`rollback-link: reset run ${r + 1}/3: ${fmt(end - t0, 0)} ms, ${dropped} connections reset, ${retried} calls retried`);
    }

    printTable(
      `instant rollback over a proxied link (${delayMs} ms ± ${jitterMs} ms per chunk each way): ${METAS.length} meta clusters × ${PER_KIND} new + ${PER_KIND} old clusters, ${reps} repetitions (ms)`,
      ['updates per meta', 'mean', 'p50', 'p90', 'p99', 'max', 'goal p99 < 1000 ms'],
      [[updatesPerMeta, fmt(s.mean, 0), fmt(s.p50, 0), fmt(s.p90, 0), fmt(s.p99, 0), fmt(s.max, 0), s.p99 < 1000 ? 'met' : 'MISSED']],
    );
    printTable(
      'with every proxied connection reset (TCP RST) mid-rollback: each run ends with every registry restored (verified by List)',
      ['run', 'reset after ms', 'connections reset', 'calls retried', 'rollback ms', 'reset → restored ms (time to recover)'],
      resets.map((x, i) => [i + 1, fmt(x.resetAfterMs, 0), x.dropped, x.retried, fmt(x.totalMs, 0), fmt(x.recoverMs, 0)]),
    );
    const path = writeResults('rollback-link', { metas: METAS.length, newClusters: PER_KIND, oldClusters: PER_KIND, delayMs, jitterMs, updatesPerMeta, repetitions: reps, latencyMs: s, resets, goal: 'p99 < 1000 ms; every registry restored after a reset' });
    console.log(`\nwrote ${path}`);
    return { latency: s, resets };
  } finally {
    await linked?.close();
    await direct?.close();
    await Promise.all(proxies.map((p) => p.close()));
    await Promise.all(sims.map((sim) => sim.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}
