/**
 * Rollback over realistic links: the instant rollback of `rollback-latency`, but
 * with 50 new + 50 old clusters on each of 3 registry simulators and every call
 * going through an in-process TCP proxy (bench/lib/latency-proxy.mjs) that adds
 * 20 ms ± 5 ms per chunk in each direction, as a Kubernetes port-forward does.
 * The simulators and proxies run in a child process (real bridges run elsewhere;
 * `--same-process` keeps them in this one, as before), with their state files on
 * tmpfs (/dev/shm) when there is one.
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
 * Set-up shared with rollback-latency: bench/lib/rollback-rig.mjs.
 *
 *   node bench/run.mjs rollback-link [repetitions] [--delay 20] [--jitter 5] [--clusters 50]
 */
import { performance } from 'node:perf_hooks';
import { startRollbackRig, METAS } from './lib/rollback-rig.mjs';
import { fmt, printTable, summarize, writeResults } from './lib/report.mjs';

const PER_KIND = 50;

function option(args, name, fallback) {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
}

/** CPU time of this process in ms: the client's (plus the servers' with --same-process). */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export default async function rollbackLink(args = []) {
  const reps = Number(args.find((a, i) => !a.startsWith('--') && !(args[i - 1] ?? '').startsWith('--')) ?? 30);
  const delayMs = option(args, '--delay', 20);
  const jitterMs = option(args, '--jitter', 5);
  const perKind = option(args, '--clusters', PER_KIND);
  const { MemorySink } = await import('../dist/core/events.js');
  const retries = new MemorySink();
  // The simulators persist every change with fsync; on tmpfs that costs nothing, so the figures
  // measure the link and the client, not this shared machine's disk queue.
  const rig = await startRollbackRig({ perKind, link: { delayMs, jitterMs }, tmpfs: true, separate: !args.includes('--same-process'), sink: retries });
  try {
    const latencies = [];
    const cpu = [];
    const commits = [];
    for (let r = 0; r < reps + 2; r++) {
      await rig.midShift();
      const c0 = await rig.commits();
      const u0 = cpuMs();
      const t0 = performance.now();
      await rig.rollback(); // throws unless every meta cluster took it (RollbackIncomplete)
      const ms = performance.now() - t0;
      const used = cpuMs() - u0;
      await rig.verify();
      if (r >= 2) {
        // The first two open the channels through the proxies.
        latencies.push(ms);
        cpu.push(used);
        commits.push((await rig.commits()) - c0);
      }
      console.error(`rollback-link: repetition ${r + 1}/${reps + 2}: ${fmt(ms, 0)} ms, ${fmt(used, 0)} ms CPU, ${(await rig.commits()) - c0} durable writes on the simulators`);
    }
    const s = summarize(latencies);
    const sc = summarize(cpu);
    const sw = summarize(commits);

    // The fault: reset every proxied connection once a tenth of the expected Updates were answered.
    const resets = [];
    for (let r = 0; r < 3; r++) {
      await rig.midShift();
      retries.events.length = 0;
      const t0 = performance.now();
      let resetAt;
      let resetDone = Promise.resolve(0);
      const timer = setTimeout(() => {
        resetAt = performance.now();
        resetDone = rig.reset();
      }, Math.max(1, s.p50 / 10));
      await rig.rollback(); // throws unless every meta cluster took it (RollbackIncomplete)
      clearTimeout(timer);
      const dropped = await resetDone;
      const end = performance.now();
      await rig.verify();
      const retried = retries.events.filter((e) => e.code === 'registry.retry').length;
      resets.push({ totalMs: end - t0, resetAfterMs: resetAt === undefined ? NaN : resetAt - t0, recoverMs: resetAt === undefined ? NaN : end - resetAt, dropped, retried });
      console.error(`rollback-link: reset run ${r + 1}/3: ${fmt(end - t0, 0)} ms, ${dropped} connections reset, ${retried} calls retried`);
    }

    printTable(
      `instant rollback over a proxied link (${delayMs} ms ± ${jitterMs} ms per chunk each way): ${METAS.length} meta clusters × ${perKind} new + ${perKind} old clusters, ${reps} repetitions (ms)`,
      ['updates per meta', 'mean', 'p50', 'p90', 'p99', 'max', 'CPU p50', 'durable writes p50', 'goal p99 < 1000 ms'],
      [[rig.updatesPerMeta, fmt(s.mean, 0), fmt(s.p50, 0), fmt(s.p90, 0), fmt(s.p99, 0), fmt(s.max, 0), fmt(sc.p50, 0), fmt(sw.p50, 0), s.p99 < 1000 ? 'met' : 'MISSED']],
    );
    printTable(
      'with every proxied connection reset (TCP RST) mid-rollback: each run ends with every registry restored (verified by List)',
      ['run', 'reset after ms', 'connections reset', 'calls retried', 'rollback ms', 'reset → restored ms (time to recover)'],
      resets.map((x, i) => [i + 1, fmt(x.resetAfterMs, 0), x.dropped, x.retried, fmt(x.totalMs, 0), fmt(x.recoverMs, 0)]),
    );
    const path = writeResults('rollback-link', { metas: METAS.length, newClusters: perKind, oldClusters: perKind, delayMs, jitterMs, updatesPerMeta: rig.updatesPerMeta, repetitions: reps, latencyMs: s, cpuMs: sc, durableWrites: sw, resets, goal: 'p99 < 1000 ms; every registry restored after a reset' });
    console.log(`\nwrote ${path}`);
    return { latency: s, resets };
  } finally {
    await rig.close();
  }
}
