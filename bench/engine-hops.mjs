/**
 * Where one hop of the engine goes (a step's child exits → its dependent's child starts), split at
 * the journal: exit noticed → `step.succeeded` appended → dependent's `step.started` appended →
 * that record durable → dependent's `run` entered → child spawned; plus the durable writes (count,
 * records per write, time each blocked the loop when on it). One run of N clusters × 3 steps.
 *
 *   node bench/engine-hops.mjs [N] [SECONDS] [DIST_DIR]     # defaults 200 1 ./dist
 *   TIMER=1 node bench/engine-hops.mjs 200 1                 # steps wait on a timer: the engine's cost alone, no children
 *
 * Run two builds one after the other, several times (A/B under a shared machine's load).
 */
import { setMaxListeners } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeSandboxConfig } from './lib/sandbox-config.mjs';
const [n = '200', s = '1', distDir = new URL('../dist', import.meta.url).pathname] = process.argv.slice(2);
const D = (p) => import(`${resolve(distDir)}/${p}`);
const [{ startDeployment }, { parseConfig }, fsmod, { nullSink }, { Redactor }, { runTool }] = await Promise.all([
  D('engine/deployment.js'), D('config/load.js'), D('state/file-store.js'), D('core/events.js'), D('core/redact.js'), D('tools/exec.js')]);
const STEPS = ['create-cluster', 'install-gitpod', 'install-jaeger'];
const ev = new Map(); const key = (c, st) => `${c}/${st}`;
const note = (k, what) => { let o = ev.get(k); if (!o) ev.set(k, (o = {})); o[what] ??= performance.now(); };
const writes = [];
// Older builds have only an async `append` (thread pool); newer ones `append` on the loop and `appendOffLoop`.
const timed = (name, off) => {
  const orig = fsmod.journalDisk[name];
  if (!orig) return;
  fsmod.journalDisk[name] = (path, text) => {
    const a = performance.now();
    const lines = text.split('\n').length - 1;
    const r = orig(path, text);
    const done = () => writes.push({ a, b: performance.now(), lines, off: off || Boolean(r?.then) });
    if (r?.then) return r.finally(done);
    done();
    return r;
  };
};
timed('append', false);
timed('appendOffLoop', true);
async function run(N, secs) {
  ev.clear(); writes.length = 0;
  const dir = mkdtempSync(join(tmpdir(), 'wsd-hop-'));
  const { text, file } = writeSandboxConfig(dir, N);
  const loaded = parseConfig(text, file);
  const store = new fsmod.FileStateStore(join(dir, 'state'));
  const wrap = (j) => ({ get id() { return j.id; }, get dir() { return j.dir; }, snapshot: () => j.snapshot(),
    append: (r) => { const k = r.cluster ? key(r.cluster, r.step) : undefined; if (k) note(k, r.type + ':call'); const p = j.append(r); if (k) p.then(() => note(k, r.type + ':durable')); return p; } });
  const st = { get root() { return store.root; }, lock: (k, h) => store.lock(k, h), create: async (id) => wrap(await store.create(id)), open: async (id) => wrap(await store.open(id)), list: () => store.list(), close: () => store.close() };
  const controller = new AbortController(); setMaxListeners(0, controller.signal);
  const steps = STEPS.map((name) => ({ name, applies: () => true, describe: () => [],
    run: async (ctx) => { const k = key(ctx.cluster.name, name); note(k, 'entered'); const p = process.env.TIMER ? new Promise((r) => setTimeout(r, secs * 1000)) : runTool({ argv: ['sleep', String(secs)], signal: ctx.signal, redactor: ctx.redactor }); note(k, 'spawned'); await p; note(k, 'reaped'); return { slept: secs }; } }));
  const cpu0 = process.cpuUsage(); const t0 = performance.now();
  await startDeployment(loaded, { dryRun: false, overwrite: false, yes: true, verbose: false, failFast: false }, { store: st, sink: nullSink, signal: controller.signal, redactor: new Redactor(), steps, probe: async () => ({ exists: false }) });
  const mk = performance.now() - t0; const cpu = process.cpuUsage(cpu0);
  rmSync(dir, { recursive: true, force: true });
  return { mk, cpu: (cpu.user + cpu.system) / 1000 };
}
const q = (a) => { if (!a.length) return "-"; a = [...a].sort((x, y) => x - y); return `${a[Math.floor(a.length / 2)].toFixed(1)}/${a[Math.floor(a.length * 0.9)].toFixed(1)}/${a.at(-1).toFixed(1)}`; };
await run(2, 0.01);
const r = await run(Number(n), Number(s));
const parts = { reaped_to_succCall: [], succCall_to_startCall: [], startCall_to_durable: [], durable_to_entered: [], entered_to_spawned: [], hop: [] };
const clusters = new Set([...ev.keys()].map((k) => k.split('/')[0]));
for (const c of clusters) for (let i = 1; i < STEPS.length; i++) {
  const p = ev.get(key(c, STEPS[i - 1])), x = ev.get(key(c, STEPS[i]));
  parts.reaped_to_succCall.push(p['step.succeeded:call'] - p.reaped);
  parts.succCall_to_startCall.push(x['step.started:call'] - p['step.succeeded:call']);
  parts.startCall_to_durable.push(x['step.started:durable'] - x['step.started:call']);
  parts.durable_to_entered.push(x.entered - x['step.started:durable']);
  parts.entered_to_spawned.push(x.spawned - x.entered);
  parts.hop.push(x.spawned - p.reaped);
}
const blocked = writes.filter((w) => !w.off).reduce((t, w) => t + w.b - w.a, 0);
console.log(`blocked on the loop ms ${blocked.toFixed(0)} makespan ${r.mk.toFixed(0)} cpu ${r.cpu.toFixed(0)} writes ${writes.length} (off the loop ${writes.filter((w) => w.off).length}) lines/write ${q(writes.map((w) => w.lines))} write ms ${q(writes.map((w) => w.b - w.a))}`);
for (const [k, v] of Object.entries(parts)) console.log(k.padEnd(24), q(v), '(p50/p90/max)');
