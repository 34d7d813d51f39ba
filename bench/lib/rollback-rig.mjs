/**
 * The set-up shared by the rollback benchmarks (rollback-latency on loopback,
 * rollback-link through latency proxies): 3 registry simulators with `perKind`
 * new + `perKind` old clusters registered as a deployment leaves them, the
 * real rollback path (the shift's instant flip, `restoreOrRecord`, over `connectRegistry`), and the untimed
 * helpers that put the registries back mid-shift and verify (by List, directly
 * on the simulators) that a rollback restored them.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServers, startServersInChild } from './rollback-servers.mjs';

export const METAS = ['dev-meta-eu01', 'dev-meta-us01', 'dev-meta-as01'];
const PERMISSION = 'new-workspace-cluster';
const STAFF = `has-permission=${PERMISSION}`;
const TLS = { ca: 'bench-ca', crt: 'bench-crt', key: 'bench-key-material' };

const cluster = (kind, i) => ({ name: `${kind}${i}`, cluster: `gp-dev-ws-${kind}${i}-eu-west1`, region: 'europe-west1' });

async function loadModules() {
  const [sim, adapter, rollback, shiftRegistry, events] = await Promise.all([
    import('../../dist/registry/simulator/index.js'),
    import('../../dist/traffic/registry-adapter.js'),
    import('../../dist/traffic/shift-rollback.js'),
    import('../../dist/traffic/shift-registry.js'),
    import('../../dist/core/events.js'),
  ]);
  return { ...sim, ...adapter, ...rollback, ...shiftRegistry, ...events };
}

/** Registers every cluster on every meta (metas in parallel): new ones cordoned behind the staff constraint, old ones serving. */
async function registerAll(direct, news, olds) {
  await Promise.all(
    METAS.map(async (meta) => {
      const client = direct.client(meta);
      for (const c of [...news, ...olds]) {
        const isNew = news.includes(c);
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

/**
 * Starts the rig. `link` ({ delayMs, jitterMs }) puts an in-process latency proxy in front of each
 * simulator for the rollback's calls; without it the rollback talks to the simulators directly.
 * `separate` runs simulators and proxies in a child process (real bridges run elsewhere: this
 * process then pays only for the client). State files live on tmpfs (/dev/shm) when `tmpfs` is
 * set and there is one.
 */
export async function startRollbackRig({ perKind, link, tmpfs = false, separate = false, sink }) {
  const m = await loadModules();
  const news = Array.from({ length: perKind }, (_, i) => cluster('nw', 200 + i));
  const olds = Array.from({ length: perKind }, (_, i) => cluster('od', 100 + i));
  const dir = mkdtempSync(join(tmpfs && existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'wsd-bench-rollback-'));
  let servers;
  let direct;
  let linked;
  const close = async () => {
    if (linked !== direct) await linked?.close();
    await direct?.close();
    await servers?.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    servers = await (separate ? startServersInChild : startServers)({ metas: METAS, dir, link });
    direct = await m.connectRegistry(METAS.map((name, i) => ({ name, bridge: { address: servers.direct[i] } })), { sink: m.nullSink });
    linked = link ? await m.connectRegistry(METAS.map((name, i) => ({ name, bridge: { address: servers.linked[i] } })), { sink: sink ?? m.nullSink }) : direct;
    await registerAll(direct, news, olds);
    const clock = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };
    const original = await new m.ShiftRegistry(direct, METAS, clock, m.nullSink).snapshot([...news, ...olds].map((c) => c.name));
    // The instant rollback reads only staffStage (and rollback.mode); the rest of a shift config does not take part.
    const config = { staffStage: { permission: PERMISSION, duration: 900_000 }, rollback: { mode: 'instant', duration: 300_000, steps: 4 } };
    return {
      news,
      olds,
      updatesPerMeta: m.rollbackChanges(original[METAS[0]], news, olds, STAFF).length,
      /** Durable writes of all simulators so far. */
      commits: () => servers.commits(),
      /** Resets (TCP RST) every proxied connection; resolves to how many. */
      reset: () => servers.reset(),
      /**
       * The rollback under test: the shift's own instant flip (`restoreOrRecord`, as `ShiftController` calls it, its
       * journal writes left out), through the proxies when there are.
       */
      rollback: () =>
        m.restoreOrRecord(new m.ShiftRegistry(linked, METAS, clock, m.nullSink), original, { config, newClusters: news, oldClusters: olds }, 'bench: failed decision', {
          metas: METAS,
          sink: m.nullSink,
          stops: () => false,
          scoresOf: () => ({}),
          record: async () => undefined,
        }),
      /** Untimed, direct: new clusters uncordoned at 60 without the staff constraint, old ones at 40. */
      midShift: () =>
        Promise.all(
          METAS.map(async (meta) => {
            await Promise.all(
              news.map(async (c) => {
                await direct.update(meta, c.name, { score: 60 });
                await direct.update(meta, c.name, { admissionConstraint: { add: false, constraint: STAFF } });
                await direct.update(meta, c.name, { cordoned: false });
              }),
            );
            await Promise.all(olds.map((c) => direct.update(meta, c.name, { score: 40 })));
          }),
        ),
      /** Untimed, direct: throws unless every registry (by List) shows the rollback's end state. */
      verify: async () => {
        for (const meta of METAS) {
          const byName = new Map((await direct.list(meta)).map((c) => [c.name, c]));
          for (const c of news) {
            const s = byName.get(c.name);
            if (s.score !== 0 || s.state !== 'CORDONED' || !s.admissionConstraints.includes(STAFF)) throw new Error(`rollback incomplete on ${meta}: ${JSON.stringify(s)}`);
          }
          for (const c of olds) {
            const s = byName.get(c.name);
            const o = original[meta][c.name];
            if (s.score !== o.score || s.state !== o.state) throw new Error(`old cluster not restored on ${meta}: ${JSON.stringify(s)} vs ${JSON.stringify(o)}`);
          }
        }
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
