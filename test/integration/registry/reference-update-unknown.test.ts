/**
 * An Update of a name the bridge does not have, on every bridge version, with the codes it means ('documented') and as
 * the deployed bridge sends them (UNKNOWN with its text). Bridges before 2022-02-19 refused it with ALREADY_EXISTS and
 * "… already exists in the DB!" (gitpod-io/gitpod cluster-service-server.ts from 61c466b8e0 until aa52b3ecb0, read for
 * facts): that is "no such cluster", and the operator must be told so, not that a name or url is taken.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { REFERENCE_VERSIONS } from '../../helpers/reference-bridge/reference-bridge.js';
import { clustersCli, referenceFixture } from './support/reference.js';
import { rejection } from './support/sim.js';

const ref = referenceFixture();
afterEach(() => ref.cleanup());

const OLD = new Set(['2021-10', '2021-11']);
const NOT_FOUND = 'cluster eu9 is not registered with meta-eu; see the registered names with `ws-deployment clusters list --meta meta-eu`';

describe.each(REFERENCE_VERSIONS)('a %s bridge', (version) => {
  it.each(['documented', 'deployed'] as const)('answering with %s codes: an Update of an unknown name is not-found', async (answers) => {
    const b = await ref.bridge(version, answers);
    const c = await ref.client(b);
    const error = await rejection(c.update('eu9', { score: 5 }));
    // What the bridge put on the wire: ALREADY_EXISTS (6) before 2022-02, NOT_FOUND (5) since, UNKNOWN (2) when deployed.
    const sent = answers === 'deployed' ? 2 : OLD.has(version) ? 6 : 5;
    expect(error).toMatchObject({ code: 'RegistryNotFound', details: { grpcCode: 5, grpcDetails: `a WorkspaceCluster with name eu9 ${OLD.has(version) ? 'already exists' : 'does not exist'} in the DB!` } });
    expect(error.details['grpcCodeSent']).toBe(sent === 5 ? undefined : sent);
    expect(error.message).toBe(NOT_FOUND);
    expect(b.calls.Update).toBe(1);
  });
});

describe('a 2021-11 bridge answering ALREADY_EXISTS to an Update', () => {
  it('of a static name: refused as static (the bridge config), as on a current bridge', async () => {
    const b = await ref.bridge('2021-11');
    b.seedStatic({ name: 'eu9', url: 'dns:///ws-eu9.example.test:8080', state: 'AVAILABLE', score: 100, maxScore: 100, governed: true, constraints: [], region: '' });
    const c = await ref.client(b);
    const error = await rejection(c.update('eu9', { cordoned: true }));
    expect(error).toMatchObject({ code: 'RegistryRefused', details: { static: true, grpcCodeSent: 6 } });
    expect(error.message).toBe("cluster eu9 is static on meta-eu (defined in the bridge's own config), so the registry cannot change it; edit the bridge config instead");
  });

  it('clusters update and cordon of an unknown name say it is not registered, with the flags that reached the bridge', async () => {
    const b = await ref.bridge('2021-11');
    for (const args of [['update', '--name', 'eu9', 'score', '20'], ['cordon', '--name', 'eu9']]) {
      const r = await clustersCli(['clusters', '--bridge', b.address, ...args]);
      expect(r.error?.message, args.join(' ')).toBe(`cluster eu9 is not registered with ${b.address}; see the registered names with \`ws-deployment clusters list --bridge ${b.address}\``);
      expect(r.out).toBe('');
    }
  });
});
