/**
 * What the file journal costs the engine at the floor: the `engine-makespan` case run with the
 * journal as it is and with parts of it taken away, interleaved with bare chains, in one process.
 *
 *   node bench/engine-journal-variants.mjs [N] [SECONDS] [REPS] [VARIANTS] [DIST_DIR]
 *   node bench/engine-journal-variants.mjs 200 1 8 bare,file,offloop,nodisk,memory
 *
 *   file     the file store as shipped (group commit, O_DSYNC write on the loop)
 *   offloop  every journal write in the thread pool (as after a slow write)
 *   nodisk   the same journal with its disk writes and folder fsyncs made no-ops (not durable)
 *   memory   no journal code at all: records applied to an in-memory snapshot (not durable)
 *
 * Experiments to locate the engine's overhead, not configurations: only `file` is durable.
 * Prints the median makespan and CPU of each variant.
 */
import { resolve } from 'node:path';
import { bareRun, engineRun, loadDist } from './engine-makespan.mjs';

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

function setVariant(variant) {
  Object.assign(fileStore.journalDisk, disk);
  if (variant === 'nodisk') Object.assign(fileStore.journalDisk, { append: () => undefined, syncDirectory: () => undefined });
  // The store goes to the thread pool while `now() < offLoopUntil` (0 at first): never true of real time.
  if (variant === 'offloop') fileStore.journalDisk.now = () => -1;
}

const variants = list.split(',');
await engineRun(dist, 2, 0.01);
const results = Object.fromEntries(variants.map((v) => [v, []]));
for (let r = 0; r < Number(reps); r++) {
  for (const variant of variants) {
    setVariant(variant);
    const run = variant === 'bare' ? await bareRun(dist, Number(n), Number(s)) : await engineRun(variant === 'memory' ? { ...dist, FileStateStore: MemoryJournalStore } : dist, Number(n), Number(s));
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
