/**
 * `--overwrite` against a static cluster (one of the bridge's own config). The deployed bridge's Register and
 * Deregister look at its database only: a Deregister of the static name deletes nothing and answers OK, and a
 * Register of it is taken, after which List shows the database entry and no longer the static one, although the
 * bridge still finds the static one first when it dials a cluster by name. So overwrite cannot replace a static
 * entry; the register step refuses, with or without --overwrite, and sends nothing.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkRegistration, registerCluster, type RegisterClusterInput } from '../../../src/registry/register-cluster.js';
import type { ReferenceBridge } from '../../helpers/reference-bridge/reference-bridge.js';
import { clustersCli, overwriteInput, referenceFixture } from './support/reference.js';
import { rejection, tempDir, writeTestTls } from './support/sim.js';

const ref = referenceFixture();
let tmp: Awaited<ReturnType<typeof tempDir>>;
const URL = 'dns:///ws-eu17.gitpod.example:8080';
const STATIC_URL = 'dns:///ws-eu17-static.gitpod.example:8080';
beforeAll(async () => {
  tmp = await tempDir('wsd-overwrite-static-');
  await writeTestTls(tmp.dir);
});
afterEach(() => ref.cleanup());
afterAll(() => tmp.cleanup());

const input = (b: ReferenceBridge): RegisterClusterInput => overwriteInput(b.address, join(tmp.dir, 'tls'));

const staticRow = (name: string, url: string) => ({ name, url, state: 'AVAILABLE', score: 100, maxScore: 100, governed: true, constraints: [], region: 'europe' });

describe('--overwrite and a static cluster in the way', () => {
  it('of the same name: refused in the check and the run, nothing sent, the static entry still listed', async () => {
    const b = await ref.bridge('current', 'deployed');
    b.seedStatic(staticRow('eu17', STATIC_URL));
    const check = await checkRegistration(input(b));
    expect(check.action).toBe('refuse');
    expect(check.reason).toBe(
      `meta-eu already has eu17 with url ${STATIC_URL}, not ${URL}; the conflicting entry is static (bridge config) and cannot be replaced; ` +
        "--overwrite cannot replace eu17 either: it is static on meta-eu (the bridge's own config), which Deregister leaves in place, and a Register of " +
        'its name would only hide it in List while the bridge still dials the static one; remove it from the bridge config or choose another name',
    );
    const error = await rejection(registerCluster(input(b)));
    expect(error).toMatchObject({ code: 'RegistryConflict' });
    expect(error.message).toContain('--overwrite cannot replace eu17 either: it is static on meta-eu');
    expect([b.calls.Deregister, b.calls.Register]).toEqual([0, 0]);
    const client = await ref.client(b);
    expect((await client.list()).map((c) => [c.name, c.url, c.static])).toEqual([['eu17', STATIC_URL, true]]);
  });

  it('holding the url under another name: refused too (the bridge would list the url twice)', async () => {
    const b = await ref.bridge('current', 'deployed');
    b.seedStatic(staticRow('eu9', URL));
    const error = await rejection(registerCluster(input(b)));
    expect(error.message).toContain('--overwrite cannot replace eu9 either: it is static on meta-eu');
    expect([b.calls.Deregister, b.calls.Register]).toEqual([0, 0]);
  });

  it('clusters register of a static name is refused with the fix that works (the bridge config), not "deregister the old entry"', async () => {
    const b = await ref.bridge('current', 'deployed');
    b.seedStatic(staticRow('eu17', STATIC_URL));
    const r = await clustersCli(['clusters', '--bridge', b.address, 'register', '--name', 'eu17', '--url', URL, '--tls-path', join(tmp.dir, 'tls')]);
    expect(r.error?.message).toBe(
      `${b.address} already has eu17 with url ${STATIC_URL}, not ${URL}; the conflicting entry is static (bridge config) and cannot be replaced; ` +
        'nothing was changed — remove the static entry from the bridge config or choose another name',
    );
    expect(b.calls.Register).toBe(0);
  });
});
