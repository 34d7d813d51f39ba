/**
 * What the file journal costs the engine at the floor: the `engine-makespan` case run with the
 * journal as it is and with parts of it taken away, interleaved with bare chains, in one process.
 *
 *   node bench/engine-journal-variants.mjs [N] [SECONDS] [REPS] [VARIANTS] [DIST_DIR]
 *   node bench/engine-journal-variants.mjs 200 1 8 bare,journal,journal+nodisk,memory,file
 *
 *   file     the file store as shipped (group commit, O_DSYNC write on the loop)
 *   offloop  every journal write in the thread pool (as after a slow write)
 *   nodisk   the same journal with its disk writes and folder fsyncs made no-ops (not durable)
 *   memory   no journal code at all: records applied to an in-memory snapshot (not durable)
 *   journal  no engine: bare chains that journal each hop as the engine does (the previous step's
 *            `step.succeeded` and the next one's `step.started`, durable before the child starts)
 *            through the real file journal; the floor of a write-ahead journal on this disk.
 *            `journal+nodisk` and `journal+offloop` take its writes away or into the thread pool
 *
 * Experiments to locate the engine's overhead, not configurations: only `file` is durable.
 * Prints the median makespan and CPU of each variant.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bareRun, engineRun, loadDist, STEPS } from './engine-makespan.mjs';

const [n = '200', s = '1', reps = '5', list = 'bare,file,offloop,nodisk,memory', distArg] = process.argv.slice(2);
const distDir = resolve(distArg ?? new URL('../dist', import.meta.url).pathname);
const dist = await loadDist(distDir);
const fileStore = await import(`${distDir}/state/file-store.js`);
const { applyRecord } = await import(`${distDir}/state/model.js`);
const disk = { ...fileStore.journalDisk };

/** A store whose journals keep records in memory only. */
class MemoryJournalStore extends dist.FileStateStore {
  async create(id) {
    const journal = await super.create(id);
    let current;
    let seq = 0;
    return {
      id: journal.id,
      dir: journal.dir,
      snapshot: () => current,
      append: async (input) => {
        const record = { ...input, seq: ++seq, time: new Date().toISOString() };
        if (record.type !== 'event') current = applyRecord(current, record);
        return record;
      },
    };
  }
}

/** Bare chains plus the engine's journal records per hop, durable before each child starts. */
async function journalRun(n, seconds) {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-bench-journal-'));
  try {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const journal = await new dist.FileStateStore(join(dir, 'state')).create('bench-journal');
    const clusters = Array.from({ length: n }, (_, i) => ({ index: i, name: `gp-dev-ws-c${i}`, shortName: `c${i}`, id: 1, region: 'europe-west1', prefix: 'c', governedBy: 'm', type: 'sandbox' }));
    await journal.append({ type: 'deployment.created', id: 'bench-journal', inputs: { configFile: 'c.yaml', configHash: 'h', project: 'p', environment: 'development' }, clusterId: 1, clusters, steps: clusters.map(() => STEPS), deploymentSteps: [] });
    await Promise.all(
      clusters.map(async ({ name }) => {
        for (let index = 0; index < STEPS.length; index++) {
          if (index > 0) void journal.append({ type: 'step.succeeded', cluster: name, step: STEPS[index - 1], outputs: { slept: seconds }, durationMs: seconds * 1000 });
          await journal.append({ type: 'step.started', cluster: name, step: STEPS[index], attempt: 1 });
          await dist.runTool({ argv: ['sleep', String(seconds)] });
        }
        await journal.append({ type: 'step.succeeded', cluster: name, step: STEPS.at(-1), outputs: { slept: seconds }, durationMs: seconds * 1000 });
      }),
    );
    await journal.append({ type: 'deployment.finished', state: 'succeeded' });
    const cpu = process.cpuUsage(cpu0);
    return { makespanMs: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `nodisk` and `offloop` also combine with `journal`: `journal+nodisk`, `journal+offloop`. */
function setVariant(variant) {
  const flags = variant.split('+');
  Object.assign(fileStore.journalDisk, disk);
  if (flags.includes('nodisk')) Object.assign(fileStore.journalDisk, { append: () => undefined, syncDirectory: () => undefined });
  // The store goes to the thread pool while `now() < offLoopUntil` (0 at first): never true of real time.
  if (flags.includes('offloop')) fileStore.journalDisk.now = () => -1;
}

const variants = list.split(',');
await engineRun(dist, 2, 0.01);
const results = Object.fromEntries(variants.map((v) => [v, []]));
for (let r = 0; r < Number(reps); r++) {
  for (const variant of variants) {
    setVariant(variant);
    const run =
      variant === 'bare' ? await bareRun(dist, Number(n), Number(s)) : variant.startsWith('journal') ? await journalRun(Number(n), Number(s)) : await engineRun(variant === 'memory' ? { ...dist, FileStateStore: MemoryJournalStore } : dist, Number(n), Number(s));
    results[variant].push(run);
  }
}
setVariant('file');
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const bare = results.bare ? median(results.bare.map((x) => x.makespanMs)) : undefined;
console.log(`${n} clusters × ${s} s, ${reps} interleaved runs per variant (medians)`);
for (const [variant, runs] of Object.entries(results)) {
  const makespan = median(runs.map((x) => x.makespanMs));
  const over = bare === undefined || variant === 'bare' ? '' : `  ${makespan - bare >= 0 ? '+' : ''}${(makespan - bare).toFixed(0)} ms over bare`;
  console.log(`${variant.padEnd(8)} makespan ${makespan.toFixed(0)} ms${over}  CPU ${median(runs.map((x) => x.cpuMs)).toFixed(0)} ms  all: ${runs.map((x) => x.makespanMs.toFixed(0)).join(' ')}`);
}
