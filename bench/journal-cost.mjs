/**
 * Journal cost per record: `DeploymentJournal.append` on the file store (one
 * fsync'd line per record; state records also rewrite snapshot.json atomically)
 * and on the PostgreSQL store (one transaction per record) against a throwaway
 * local server with fsync on. Records are appended one after another, as a
 * single cluster's steps do; a second probe appends concurrently, as the engine
 * does when many clusters finish at once.
 *
 *   node bench/run.mjs journal-cost [records]
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fmt, printTable, REPO_DIR, summarize, writeResults } from './lib/report.mjs';
import { postgresBinDir, startPostgres } from '../test/helpers/postgres-server.mjs';

const STEP_NAMES = ['create-cluster', 'install-gitpod', 'install-jaeger', 'install-monitoring', 'alive-test', 'register-cluster'];

/** The `deployment.created` record of a deployment with `clusters` clusters of 6 steps. */
function created(id, clusters) {
  return {
    type: 'deployment.created',
    id,
    inputs: { configFile: '/tmp/bench.yaml', configHash: 'f'.repeat(64), project: 'sandbox-project', environment: 'development' },
    clusterId: 150,
    clusters: Array.from({ length: clusters }, (_, i) => ({
      index: i,
      name: `gp-dev-ws-c${i}x150-eu-west1`,
      shortName: `c${i}x150`,
      id: 150,
      region: 'europe-west1',
      prefix: `c${i}x`,
      governedBy: 'dev-meta-eu01',
      type: 'sandbox',
    })),
    steps: Array.from({ length: clusters }, () => STEP_NAMES),
  };
}

/** The i-th record of a workload: `event` output records, or step state changes cycling over clusters and steps. */
function recordAt(kind, i, clusters) {
  if (kind === 'event') return { type: 'event', level: 'info', code: 'tool.stdout', cluster: 'gp-dev-ws-c0x150-eu-west1', step: 'create-cluster', message: `line ${i} of terraform output` };
  const cluster = `gp-dev-ws-c${i % clusters}x150-eu-west1`;
  const step = STEP_NAMES[Math.floor(i / clusters) % STEP_NAMES.length];
  return i % 2 === 0
    ? { type: 'step.started', cluster, step, attempt: 1 }
    : { type: 'step.succeeded', cluster, step, outputs: { kubeconfig: `/tmp/${cluster}/kubeconfig`, endpoint: '10.0.0.1' }, durationMs: 1234 };
}

const WORKLOADS = [
  { name: 'event records', kind: 'event', clusters: 1 },
  { name: 'state records, 1 cluster', kind: 'state', clusters: 1 },
  { name: 'state records, 200 clusters', kind: 'state', clusters: 200 },
];

async function sequential(store, workload, count) {
  const id = `bench-${workload.kind}-${workload.clusters}-${Math.random().toString(36).slice(2, 8)}`;
  const journal = await store.create(id);
  await journal.append(created(id, workload.clusters));
  for (let i = 0; i < 20; i++) await journal.append(recordAt(workload.kind, i, workload.clusters)); // warm-up
  const times = [];
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await journal.append(recordAt(workload.kind, i, workload.clusters));
    times.push(performance.now() - t);
  }
  return { ...summarize(times), perSecond: count / ((performance.now() - t0) / 1000) };
}

/** Appends `n` records at once (the engine's pattern when n clusters change state in one tick). */
async function concurrent(store, n) {
  const id = `bench-concurrent-${Math.random().toString(36).slice(2, 8)}`;
  const journal = await store.create(id);
  await journal.append(created(id, n));
  const t0 = performance.now();
  const settled = await Promise.allSettled(Array.from({ length: n }, (_, i) => journal.append(recordAt('state', i * 2, n))));
  const wallMs = performance.now() - t0;
  const failed = settled.filter((s) => s.status === 'rejected');
  const seqs = settled.filter((s) => s.status === 'fulfilled').map((s) => s.value.seq);
  return { appends: n, failed: failed.length, wallMs, distinctSeqs: new Set(seqs).size, firstError: failed[0]?.reason?.message };
}

export default async function journalCost(args = []) {
  const count = Number(args[0] ?? 2000);
  const rows = [];
  const results = { count, file: {}, postgres: {}, concurrency: {} };
  const dir = mkdtempSync(join(tmpdir(), 'wsd-bench-journal-'));
  try {
    const { FileStateStore } = await import('../dist/state/file-store.js');
    const file = new FileStateStore(join(dir, 'state'));
    for (const w of WORKLOADS) {
      const s = await sequential(file, w, w.clusters > 1 ? Math.min(count, 1000) : count);
      results.file[w.name] = s;
      rows.push([`file: ${w.name}`, s.n, fmt(s.mean, 2), fmt(s.p50, 2), fmt(s.p99, 2), fmt(s.max, 1), fmt(s.perSecond, 0)]);
    }
    results.concurrency.file = await concurrent(file, 16);

    const pgModule = join(REPO_DIR, 'dist', 'state', 'postgres', 'postgres-store.js');
    if (!existsSync(pgModule)) throw new Error(`${pgModule} is missing: run \`npm run build\` first`);
    if (postgresBinDir() === undefined) {
      results.postgres = { skipped: 'initdb/postgres not on PATH' };
      rows.push(['postgres: not measured (no initdb/postgres on PATH)', '—', '—', '—', '—', '—', '—']);
    } else {
      const { openPostgresStore } = await import(pgModule);
      const server = await startPostgres({ durable: true });
      try {
        const store = await openPostgresStore({ url: server.url, workDir: join(dir, 'pg-work') });
        try {
          for (const w of WORKLOADS) {
            const s = await sequential(store, w, w.clusters > 1 ? Math.min(count, 1000) : count);
            results.postgres[w.name] = s;
            rows.push([`postgres: ${w.name}`, s.n, fmt(s.mean, 2), fmt(s.p50, 2), fmt(s.p99, 2), fmt(s.max, 1), fmt(s.perSecond, 0)]);
          }
          results.concurrency.postgres = await concurrent(store, 16);
        } finally {
          await store.close();
        }
      } finally {
        await server.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  printTable(`journal cost per append (ms), sequential appends, warm`, ['store: workload', 'n', 'mean', 'p50', 'p99', 'max', 'appends/s'], rows);
  printTable(
    'concurrent appends on one journal (16 at once, as the engine issues them for 16 clusters)',
    ['store', 'appends', 'failed', 'distinct seq', 'wall ms', 'first error'],
    Object.entries(results.concurrency).map(([k, v]) => [k, v.appends, v.failed, v.distinctSeqs, fmt(v.wallMs, 1), (v.firstError ?? '').slice(0, 100)]),
  );
  const path = writeResults('journal-cost', results);
  console.log(`\nwrote ${path}`);
  return results;
}
