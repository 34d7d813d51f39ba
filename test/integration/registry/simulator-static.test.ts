/**
 * Static clusters (the bridge's own config) in the simulator, step by step beside the reference bridge. The deployed
 * bridge (gitpod-io/gitpod components/ws-manager-bridge/src/cluster-service-server.ts, read for facts; the same in
 * every version since static clusters were listed, 2021-05) looks at its database only in Register, Update and
 * Deregister: a Register of a static cluster's name, or at its url, is taken; List then gives the database entry and
 * no longer the static one, until a Deregister removes the entry and the static one is listed again. The tool itself
 * refuses such a Register before sending it (clusters register, the register step): that stays.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../../src/registry/client.js';
import { alwaysReachable, startSimulator, type RunningSimulator, type StaticCluster } from '../../../src/registry/simulator/index.js';
import type { ClusterStatus } from '../../../src/registry/types.js';
import { clustersCli, referenceFixture } from './support/reference.js';
import { registerInput, tempDir, writeTestTls } from './support/sim.js';

const STATIC_URL = 'dns:///ws-eu0-static.example.com:8080';
const STATIC: StaticCluster = { name: 'eu0', url: STATIC_URL, state: 'AVAILABLE', score: 100, maxScore: 100, governed: true, admissionConstraints: [], region: 'europe' };

const ref = referenceFixture();
let tmp: Awaited<ReturnType<typeof tempDir>>;
const sims: RunningSimulator[] = [];
beforeAll(async () => {
  tmp = await tempDir('wsd-sim-static-');
  await writeTestTls(tmp.dir);
});
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.stop()));
  await ref.cleanup();
});
afterAll(() => tmp.cleanup());

const startSim = async (file = 'state.json') => {
  const sim = await startSimulator({ stateFile: join(tmp.dir, file), reachability: alwaysReachable, staticClusters: [STATIC] });
  sims.push(sim);
  return sim;
};

/** The simulator and the reference, each with the static eu0, and a client on each. */
async function bothSides(file: string) {
  const sim = await startSim(file);
  const b = await ref.bridge('current', 'deployed');
  b.seedStatic({ ...STATIC, constraints: [], region: 'europe' });
  const simClient = await RegistryClient.connect({ address: sim.address, meta: 'meta-eu' });
  const refClient = await ref.client(b);
  return { sim, b, clients: [simClient, refClient] as const, close: () => simClient.close() };
}

const rows = (list: ClusterStatus[]) => list.map((c) => [c.name, c.url, c.state, c.static]);

describe('a static cluster in the simulator, as the deployed bridge treats it (checked against the reference bridge)', () => {
  it('a Register of its name or url is taken and hides it in List; Update changes the new entry; Deregister brings the static one back', async () => {
    const { clients, close } = await bothSides('steps.json');
    try {
      const each = async (step: (c: RegistryClient) => Promise<unknown>) => Promise.all(clients.map((c) => step(c).then(() => 'ok', (e: { code?: string }) => e.code)));
      const lists = async () => Promise.all(clients.map(async (c) => rows(await c.list())));

      // Its name: taken, and List shows the database entry only.
      expect(await each((c) => c.register(registerInput('eu0', { hints: { preferability: 'None', cordoned: true, govern: false } })))).toEqual(['ok', 'ok']);
      const hidden = [['eu0', 'dns:///ws-eu0.example.com:8080', 'CORDONED', false]];
      expect(await lists()).toEqual([hidden, hidden]);
      // Its url under another name: taken too (the database does not hold it).
      expect(await each((c) => c.register(registerInput('eu9', { url: STATIC_URL })))).toEqual(['ok', 'ok']);
      // Update reaches the database entry, not NOT_FOUND.
      expect(await each((c) => c.update('eu0', { cordoned: false }))).toEqual(['ok', 'ok']);
      const updated = [
        ['eu0', 'dns:///ws-eu0.example.com:8080', 'AVAILABLE', false],
        ['eu9', STATIC_URL, 'AVAILABLE', false],
      ];
      expect(await lists()).toEqual([updated, updated]);
      // Deregister removes the database entry; the static one is listed again, and a second Deregister deletes nothing.
      for (let i = 0; i < 2; i++) {
        expect(await each((c) => c.deregister({ name: 'eu0', force: false }))).toEqual(['ok', 'ok']);
        const back = [
          ['eu9', STATIC_URL, 'AVAILABLE', false],
          ['eu0', STATIC_URL, 'AVAILABLE', true],
        ];
        expect(await lists()).toEqual([back, back]);
      }
      // Static again: not changeable.
      expect(await each((c) => c.update('eu0', { score: 1 }))).toEqual(['RegistryRefused', 'RegistryRefused']);
    } finally {
      close();
    }
  });

  it('the database entry of its name outlives a restart, and takes the starts in its place (cordoned: none)', async () => {
    const sim = await startSim('restart.json');
    const client = await RegistryClient.connect({ address: sim.address, meta: 'meta-eu' });
    await client.register(registerInput('eu0', { hints: { preferability: 'None', cordoned: true, govern: false } }));
    await client.register(registerInput('eu1'));
    client.close();
    expect((await sim.simulateStarts(20, {})).byCluster).toEqual({ eu1: 20 });
    await sim.stop();
    sims.splice(sims.indexOf(sim), 1);
    const again = await startSim('restart.json');
    expect(rows(again.list())).toEqual([
      ['eu0', 'dns:///ws-eu0.example.com:8080', 'CORDONED', false],
      ['eu1', 'dns:///ws-eu1.example.com:8080', 'AVAILABLE', false],
    ]);
    expect((await again.simulateStarts(20, {})).byCluster).toEqual({ eu1: 20 });
  });

  it('clusters register of its name is still refused before anything is sent', async () => {
    const sim = await startSim('cli.json');
    const r = await clustersCli(['clusters', '--bridge', sim.address, 'register', '--name', 'eu0', '--url', 'dns:///ws-eu0.example.com:8080', '--tls-path', join(tmp.dir, 'tls')]);
    expect(r.error?.message).toContain('the conflicting entry is static (bridge config) and cannot be replaced; nothing was changed');
    // Had it been sent, the simulator would now list the database entry in its place.
    expect(rows(sim.list())).toEqual([['eu0', STATIC_URL, 'AVAILABLE', true]]);
  });
});
