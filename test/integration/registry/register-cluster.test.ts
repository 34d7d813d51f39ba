/**
 * register-cluster against three real simulators: exactly one governor, partial
 * failure then resume, idempotent re-run, refusal on a conflicting url, overwrite,
 * and TLS key content never in events or errors.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { registrationSchema } from '../../../src/registry/config.js';
import { connectToMeta, type MetaAccessInput } from '../../../src/registry/connect.js';
import { checkRegistration, registerCluster, type RegisterClusterInput } from '../../../src/registry/register-cluster.js';
import { alwaysReachable, startSimulator, type BridgeVersion, type ReachabilityChecker, type RunningSimulator } from '../../../src/registry/simulator/index.js';
import { fileTlsReader } from '../../../src/registry/tls-source.js';
import { registerInput, rejection, tempDir, writeTestTls } from './support/sim.js';

const FAST = { retry: { attempts: 1, initialDelayMs: 1, maxDelayMs: 1 }, deadlineMs: 3_000 };
const CLUSTER = { name: 'gp-prod-ws-eu17-eu-west1', shortName: 'eu17', region: 'europe-west1' };
const URL = 'dns:///ws-eu17.gitpod.example:8080';

describe('registerCluster', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  const sims = new Map<string, RunningSimulator>();
  let reachability: ReachabilityChecker;

  // Bridges before 2023-03 take `governed` from the legacy hint: they show that exactly one is the governor.
  const start = async (name: string, bridgeVersion: BridgeVersion = '2023-02') => {
    const sim = await startSimulator({ stateFile: join(tmp.dir, `${name}.json`), reachability: (t) => reachability(t), bridgeVersion });
    sims.set(name, sim);
    return sim;
  };
  const metas = (): MetaAccessInput[] =>
    ['meta-eu', 'meta-us', 'meta-asia'].map((name) => ({ name, bridge: { address: sims.get(name)?.address ?? '127.0.0.1:9' } }));

  const input = (over: Partial<RegisterClusterInput> = {}): RegisterClusterInput => ({
    cluster: CLUSTER,
    domain: 'gitpod.example',
    metaClusters: metas(),
    governedBy: 'meta-us',
    registration: registrationSchema.parse({ admissionConstraints: ['has-permission=new-workspace-cluster'] }),
    tls: fileTlsReader(join(tmp.dir, 'tls')),
    connect: (meta) => connectToMeta(meta, FAST),
    ...over,
  });

  beforeEach(async () => {
    tmp = await tempDir('wsd-regc-');
    reachability = alwaysReachable;
    await writeTestTls(tmp.dir);
  });

  afterEach(async () => {
    for (const sim of sims.values()) await sim.stop();
    sims.clear();
    await tmp.cleanup();
  });

  it('registers with every meta cluster, cordoned, governed only by governedBy; partial failure then resume', async () => {
    await start('meta-eu');
    await start('meta-us');
    // meta-asia is down for the first attempt.
    const journal: string[] = [];
    const sink = new MemorySink();
    const first = registerCluster(input({ onRegistered: async (m) => void journal.push(m), sink }));
    await expect(first).rejects.toMatchObject({ code: 'RegistryUnavailable', transient: true, message: expect.stringContaining('failed on meta-asia') });
    const error = await rejection(first);
    expect((error.details['outcomes'] as Array<{ meta: string; outcome: string }>).map((o) => [o.meta, o.outcome])).toEqual([
      ['meta-eu', 'registered'],
      ['meta-us', 'registered'],
      ['meta-asia', 'failed'],
    ]);
    expect(journal).toEqual(['meta-eu', 'meta-us']);

    await start('meta-asia');
    const resumed = await registerCluster(input({ done: journal, onRegistered: async (m) => void journal.push(m), sink }));
    expect(resumed.url).toBe(URL);
    expect(resumed.outcomes.map((o) => o.outcome)).toEqual(['journaled', 'journaled', 'registered']);
    expect(journal).toEqual(['meta-eu', 'meta-us', 'meta-asia']);

    const rows = [...sims.entries()].map(([meta, sim]) => [meta, sim.list().map((c) => [c.name, c.url, c.state, c.score, c.governed])]);
    expect(Object.fromEntries(rows)).toEqual({
      'meta-eu': [['eu17', URL, 'CORDONED', 50, false]],
      'meta-us': [['eu17', URL, 'CORDONED', 50, true]],
      'meta-asia': [['eu17', URL, 'CORDONED', 50, false]],
    });
    expect(sims.get('meta-eu')?.list()[0]?.admissionConstraints).toEqual([{ type: 'has-permission', permission: 'new-workspace-cluster' }]);
    expect(JSON.stringify(sink.events)).not.toContain('c3VwZXItc2VjcmV0');
  });

  it('current bridges: each gets the derived coarse region (or the overrides) and governs the cluster whatever the hint', async () => {
    for (const m of ['meta-eu', 'meta-us', 'meta-asia']) await start(m, 'current');
    const result = await registerCluster(input({ cluster: { ...CLUSTER, region: 'us-west1' }, metaRegions: { 'meta-asia': '' } }));
    expect(result.outcomes.map((o) => o.detail)).toEqual([
      expect.stringContaining('region north-america, not the governor (bridges since 2023-03 govern it anyway)'),
      expect.stringContaining('region north-america, governor'),
      expect.stringContaining('region "" (any), not the governor'),
    ]);
    const rows = Object.fromEntries([...sims.entries()].map(([meta, sim]) => [meta, sim.list().map((c) => [c.name, c.region, c.governed])]));
    expect(rows).toEqual({ 'meta-eu': [['eu17', 'north-america', true]], 'meta-us': [['eu17', 'north-america', true]], 'meta-asia': [['eu17', '', true]] });
  });

  it('the workspace cluster override wins over the derived region; a bad one is refused by the bridge', async () => {
    for (const m of ['meta-eu', 'meta-us', 'meta-asia']) await start(m, 'current');
    await registerCluster(input({ cluster: { ...CLUSTER, bridgeRegion: 'asia' } }));
    expect(sims.get('meta-eu')?.list().map((c) => c.region)).toEqual(['asia']);
    await expect(registerCluster(input({ cluster: { ...CLUSTER, shortName: 'eu18', bridgeRegion: 'europe-west1' } }))).rejects.toMatchObject({
      code: 'RegistryRefused',
      message: expect.stringContaining('europe-west1'),
    });
  });

  it('a re-run is idempotent: same name and url everywhere → skip', async () => {
    for (const m of ['meta-eu', 'meta-us', 'meta-asia']) await start(m);
    await registerCluster(input());
    const again = await registerCluster(input());
    expect(again.outcomes.map((o) => o.outcome)).toEqual(['already-registered', 'already-registered', 'already-registered']);
    const check = await checkRegistration(input());
    expect(check.action).toBe('skip');
    expect(check.reason).toContain(`meta-eu lists eu17 with url ${URL}`);
  });

  it('refuses when the name is taken with another url, or the url under another name; overwrite replaces', async () => {
    for (const m of ['meta-eu', 'meta-us', 'meta-asia']) await start(m);
    expect((await checkRegistration(input())).action).toBe('proceed');
    const eu = await connectToMeta(metas()[0]!, FAST);
    const us = await connectToMeta(metas()[1]!, FAST);
    try {
      await eu.client.register(registerInput('eu17', { url: 'dns:///old-eu17:8080' }));
      await us.client.register(registerInput('eu99', { url: URL }));
    } finally {
      await eu.close();
      await us.close();
    }
    const check = await checkRegistration(input());
    expect(check.action).toBe('refuse');
    expect(check.reason).toContain('meta-eu already has eu17 with url dns:///old-eu17:8080');
    expect(check.reason).toContain(`meta-us already has url ${URL} registered as eu99`);
    await expect(registerCluster(input())).rejects.toMatchObject({ code: 'RegistryConflict' });
    // meta-asia had no conflict and was registered anyway; the others stayed untouched.
    expect(sims.get('meta-eu')?.list().map((c) => c.url)).toEqual(['dns:///old-eu17:8080']);

    const replaced = await registerCluster(input({ overwrite: true }));
    expect(replaced.outcomes.map((o) => o.outcome)).toEqual(['registered', 'registered', 'already-registered']);
    expect(sims.get('meta-us')?.list().map((c) => [c.name, c.url])).toEqual([['eu17', URL]]);
  });

  it('overwrite still will not break running workspaces of the old entry', async () => {
    for (const m of ['meta-eu', 'meta-us', 'meta-asia']) await start(m);
    const eu = await connectToMeta(metas()[0]!, FAST);
    await eu.client.register(registerInput('eu17', { url: 'dns:///old:8080' })).finally(() => eu.close());
    await sims.get('meta-eu')?.setRunning('eu17', 2);
    await expect(registerCluster(input({ overwrite: true }))).rejects.toMatchObject({ code: 'RegistryRefused', message: expect.stringContaining('2 regular workspaces still run') });
  });

  it('an unreachable ws-manager is refused per meta cluster, and the key never leaks into the error', async () => {
    for (const m of ['meta-eu', 'meta-us', 'meta-asia']) await start(m);
    // A bridge that echoes the TLS it was given in its error text.
    reachability = async ({ tls }) => `tls handshake failed with key ${tls.key}`;
    const sink = new MemorySink();
    const attempt = registerCluster(input({ sink }));
    await expect(attempt).rejects.toMatchObject({ code: 'RegistryRefused', message: expect.stringContaining('DNS and certificates must be ready') });
    const error = await rejection(attempt);
    for (const text of [error.message, JSON.stringify(error.details), JSON.stringify(sink.events)]) {
      expect(text).not.toContain('c3VwZXItc2VjcmV0LXByaXZhdGUta2V5');
      expect(text).not.toContain('BEGIN PRIVATE KEY');
    }
  });

  it('exactly one governor: governedBy must name a meta cluster', async () => {
    await expect(registerCluster(input({ governedBy: 'meta-mars' }))).rejects.toMatchObject({ code: 'ConfigInvalid', message: expect.stringContaining('use one of meta-eu, meta-us, meta-asia') });
  });
});
