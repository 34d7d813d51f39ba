/**
 * The registry side of the rollback benchmarks: one simulator per meta cluster,
 * and optionally a latency proxy in front of each. `startServers` runs them in
 * this process; `startServersInChild` runs them in a child process, as real
 * bridges run elsewhere, so the measured process pays only for the client's
 * work. Both return the same handle: `{ direct, linked, reset(), commits(), close() }`
 * (addresses per meta; `linked` = the proxies', or `direct` without a link).
 *
 * Run as a script (by startServersInChild), it takes its options from argv[2]
 * as JSON and answers `reset`, `commits` and `close` messages over IPC.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLatencyProxy } from './latency-proxy.mjs';

/** In this process. `dir` holds the state files; `link` ({ delayMs, jitterMs }) adds the proxies. */
export async function startServers({ metas, dir, link }) {
  const { startSimulator, alwaysReachable } = await import('../../dist/registry/simulator/index.js');
  const sims = [];
  const proxies = [];
  const close = async () => {
    await Promise.all(proxies.map((p) => p.close()));
    await Promise.all(sims.map((sim) => sim.stop()));
  };
  try {
    for (const meta of metas) sims.push(await startSimulator({ stateFile: join(dir, `${meta}.json`), reachability: alwaysReachable }));
    if (link) for (const [i, sim] of sims.entries()) proxies.push(await startLatencyProxy(sim.address, { ...link, seed: i + 1 }));
  } catch (error) {
    await close();
    throw error;
  }
  const direct = sims.map((s) => s.address);
  return {
    direct,
    linked: link ? proxies.map((p) => p.address) : direct,
    reset: async () => proxies.reduce((n, p) => n + p.reset(), 0),
    commits: async () => sims.reduce((n, s) => n + (s.commits?.() ?? NaN), 0),
    close,
  };
}

/** The same servers in a child process (answers over IPC). */
export async function startServersInChild(options) {
  const child = fork(fileURLToPath(import.meta.url), [JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map();
  let nextId = 0;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const ready = new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`rollback servers exited with ${code} before they were ready`)));
    child.on('message', (m) => {
      if (m.ready) resolve(m);
      else waiting.get(m.id)?.(m.value);
    });
  });
  const ask = (op) =>
    new Promise((resolve) => {
      const id = nextId++;
      waiting.set(id, (value) => {
        waiting.delete(id);
        resolve(value);
      });
      child.send({ id, op });
    });
  const { direct, linked } = await ready;
  return {
    direct,
    linked,
    reset: () => ask('reset'),
    commits: () => ask('commits'),
    close: async () => {
      if (child.exitCode === null) {
        child.send({ op: 'close' });
        await exited;
      }
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.send) {
  const servers = await startServers(JSON.parse(process.argv[2]));
  process.on('message', async (m) => {
    if (m.op === 'close') {
      await servers.close();
      process.disconnect();
      return;
    }
    process.send({ id: m.id, value: await servers[m.op]() });
  });
  process.send({ ready: true, direct: servers.direct, linked: servers.linked });
}
