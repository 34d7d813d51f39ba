/**
 * register-cluster's rules on in-memory registries (the real-simulator version
 * is test/integration/registry/register-cluster.test.ts): what counts as done
 * or as a conflict, what each meta cluster is sent, how a partial failure ends.
 * Expected requests and messages are written out by hand.
 */
import { describe, expect, it } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { WsdError } from '../../../src/core/errors.js';
import { registrationSchema } from '../../../src/registry/config.js';
import type { MetaAccessInput, RegistryConnection } from '../../../src/registry/connect.js';
import { checkRegistration, classifyRegistry, registerCluster, regionFor, registrationUrl, type RegisterClusterInput } from '../../../src/registry/register-cluster.js';
import type { ClusterStatus, RegisterInput } from '../../../src/registry/types.js';

const URL = 'dns:///ws-eu17.gitpod.example:8080';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----';

function status(name: string, url: string, over: Partial<ClusterStatus> = {}): ClusterStatus {
  return { name, url, state: 'CORDONED' as ClusterStatus['state'], score: 0, maxScore: 100, governed: false, static: false, admissionConstraints: [], region: '', ...over };
}

/** One in-memory registry per meta: its clusters, the calls it saw, an optional failure per call. */
class FakeMeta {
  readonly registered: RegisterInput[] = [];
  readonly deregistered: Array<{ name: string; force: boolean }> = [];
  closed = 0;
  constructor(
    public clusters: ClusterStatus[] = [],
    public fail?: { on: 'list' | 'register'; error: Error },
  ) {}
  connection(): RegistryConnection {
    return {
      address: '127.0.0.1:1',
      via: 'direct',
      close: async () => {
        this.closed++;
      },
      client: {
        list: async () => {
          if (this.fail?.on === 'list') throw this.fail.error;
          return this.clusters;
        },
        register: async (input: RegisterInput) => {
          if (this.fail?.on === 'register') throw this.fail.error;
          this.registered.push(input);
          return {};
        },
        deregister: async (request: { name: string; force: boolean }) => {
          this.deregistered.push(request);
          this.clusters = this.clusters.filter((c) => c.name !== request.name);
          return {};
        },
      } as unknown as RegistryConnection['client'],
    };
  }
}

function setup(metas: Record<string, FakeMeta>, over: Partial<RegisterClusterInput> = {}) {
  const sink = new MemorySink();
  const journaled: string[] = [];
  let tlsReads = 0;
  const input: RegisterClusterInput = {
    cluster: { name: 'gp-prod-ws-eu17-eu-west1', shortName: 'eu17', region: 'europe-west1' },
    domain: 'gitpod.example',
    metaClusters: Object.keys(metas).map((name): MetaAccessInput => ({ name })),
    governedBy: Object.keys(metas)[0]!,
    registration: registrationSchema.parse({ admissionConstraints: ['has-permission=new-workspace-cluster'] }),
    tls: {
      description: 'test tls',
      read: async () => {
        tlsReads++;
        return { ca: 'CA', crt: 'CRT', key: KEY };
      },
    },
    onRegistered: async (meta) => {
      journaled.push(meta);
    },
    sink,
    connect: async (meta) => metas[meta.name]!.connection(),
    ...over,
  };
  return { input, sink, journaled, tlsReads: () => tlsReads };
}

describe('classifyRegistry', () => {
  it('same name and url is registered, with the evidence', () => {
    expect(classifyRegistry([status('eu17', URL, { state: 'AVAILABLE' as ClusterStatus['state'], score: 30 })], 'eu17', URL, 'meta-eu')).toEqual({
      kind: 'registered',
      evidence: `meta-eu lists eu17 with url ${URL} (state AVAILABLE, score 30)`,
    });
  });

  it('neither name nor url taken is absent', () => {
    expect(classifyRegistry([status('eu16', 'dns:///other:1')], 'eu17', URL, 'm')).toEqual({ kind: 'absent' });
    expect(classifyRegistry([], 'eu17', URL, 'm')).toEqual({ kind: 'absent' });
  });

  it('the name under another url is a conflict naming both urls', () => {
    expect(classifyRegistry([status('eu17', 'dns:///old:1')], 'eu17', URL, 'm')).toEqual({
      kind: 'conflict',
      reason: `m already has eu17 with url dns:///old:1, not ${URL}`,
      conflicting: ['eu17'],
      entries: [status('eu17', 'dns:///old:1')],
    });
  });

  it('the url under another name is a conflict, also when our name is registered too', () => {
    expect(classifyRegistry([status('eu17', URL), status('eu99', URL)], 'eu17', URL, 'm')).toEqual({
      kind: 'conflict',
      reason: `m already has url ${URL} registered as eu99`,
      conflicting: ['eu99'],
      entries: [status('eu99', URL)],
    });
    expect(classifyRegistry([status('eu17', 'dns:///old:1'), status('eu98', URL), status('eu99', URL)], 'eu17', URL, 'm')).toEqual({
      kind: 'conflict',
      reason: `m already has eu17 with url dns:///old:1, not ${URL}; m already has url ${URL} registered as eu98; m already has url ${URL} registered as eu99`,
      conflicting: ['eu17', 'eu98', 'eu99'],
      entries: [status('eu17', 'dns:///old:1'), status('eu98', URL), status('eu99', URL)],
    });
  });

  it('says when a conflicting entry is static (from the bridge config), and only then', () => {
    const c = classifyRegistry([status('eu99', URL, { static: true })], 'eu17', URL, 'm');
    expect(c).toMatchObject({ reason: `m already has url ${URL} registered as eu99; the conflicting entry is static (bridge config) and cannot be replaced` });
    const other = classifyRegistry([status('eu99', URL), status('eu50', 'dns:///x:1', { static: true })], 'eu17', URL, 'm');
    expect(other).toMatchObject({ reason: `m already has url ${URL} registered as eu99` });
  });
});

describe('what each meta cluster is sent', () => {
  it('the url from the template, the bridge region, the hints (govern only on governedBy), the parsed constraints, the TLS read once', async () => {
    const metas = { 'meta-eu': new FakeMeta(), 'meta-us': new FakeMeta() };
    const { input, journaled, tlsReads, sink } = setup(metas, { governedBy: 'meta-us' });
    const result = await registerCluster(input);
    expect(result).toEqual({
      url: URL,
      outcomes: [
        { meta: 'meta-eu', outcome: 'registered', detail: `registered eu17 (${URL}) with meta-eu: cordoned, region europe, not the governor (bridges since 2023-03 govern it anyway)` },
        { meta: 'meta-us', outcome: 'registered', detail: `registered eu17 (${URL}) with meta-us: cordoned, region europe, governor` },
      ],
    });
    const expected = (govern: boolean): RegisterInput => ({
      name: 'eu17',
      url: URL,
      tls: { ca: 'CA', crt: 'CRT', key: KEY },
      hints: { preferability: 'None', cordoned: true, govern },
      admissionConstraints: [{ type: 'has-permission', permission: 'new-workspace-cluster' }],
      region: 'europe',
    } as RegisterInput);
    expect(metas['meta-eu'].registered).toEqual([expected(false)]);
    expect(metas['meta-us'].registered).toEqual([expected(true)]);
    expect(tlsReads()).toBe(1);
    expect(journaled).toEqual(['meta-eu', 'meta-us']);
    expect([metas['meta-eu'].closed, metas['meta-us'].closed]).toEqual([1, 1]);
    expect(sink.events.map((e) => [e.level, e.code, e.cluster, e.step, e.data])).toEqual([
      ['info', 'registry.registered', 'gp-prod-ws-eu17-eu-west1', 'register-cluster', { meta: 'meta-eu', url: URL }],
      ['info', 'registry.registered', 'gp-prod-ws-eu17-eu-west1', 'register-cluster', { meta: 'meta-us', url: URL }],
    ]);
  });

  it('an available registration and a region override per meta show in the request and the detail', async () => {
    const metas = { 'meta-eu': new FakeMeta(), 'meta-us': new FakeMeta() };
    const { input } = setup(metas, {
      registration: registrationSchema.parse({ cordoned: false, admissionConstraints: [] }),
      metaRegions: { 'meta-us': '' },
    });
    const result = await registerCluster(input);
    expect(metas['meta-us'].registered[0]).toMatchObject({ region: '', hints: { cordoned: false } });
    expect(result.outcomes[1]!.detail).toBe(`registered eu17 (${URL}) with meta-us: available, region "" (any), not the governor (bridges since 2023-03 govern it anyway)`);
    expect(result.outcomes[0]!.detail).toBe(`registered eu17 (${URL}) with meta-eu: available, region europe, governor`);
  });

  it('regionFor: the meta override, else the cluster override, else the derived bridge region', () => {
    const cluster = { name: 'n', shortName: 's', region: 'us-central1' };
    expect(regionFor({ cluster }, 'm')).toBe('north-america');
    expect(regionFor({ cluster: { ...cluster, bridgeRegion: 'asia' } }, 'm')).toBe('asia');
    expect(regionFor({ cluster: { ...cluster, bridgeRegion: 'asia' }, metaRegions: { m: 'europe' } }, 'm')).toBe('europe');
    expect(regionFor({ cluster: { ...cluster, bridgeRegion: 'asia' }, metaRegions: { other: 'europe' } }, 'm')).toBe('asia');
  });

  it('registrationUrl fills the template', () => {
    const registration = registrationSchema.parse({ urlTemplate: 'dns:///{{name}}.{{region}}.{{domain}}:{{shortName}}' });
    expect(registrationUrl({ cluster: { name: 'n1', shortName: 's1', region: 'r1' }, domain: 'd.example', registration })).toBe('dns:///n1.r1.d.example:s1');
  });
});

describe('re-runs and resumes', () => {
  it('skips meta clusters journaled by an earlier run, without connecting', async () => {
    const metas = { 'meta-eu': new FakeMeta(), 'meta-us': new FakeMeta() };
    const { input, journaled } = setup(metas, { done: ['meta-eu'] });
    const result = await registerCluster(input);
    expect(result.outcomes[0]).toEqual({ meta: 'meta-eu', outcome: 'journaled', detail: 'registered by an earlier run' });
    expect(metas['meta-eu'].closed).toBe(0);
    expect(metas['meta-us'].registered).toHaveLength(1);
    expect(journaled).toEqual(['meta-us']);
  });

  it('a meta cluster that already lists it is journaled as already registered, nothing sent, TLS never read', async () => {
    const metas = { 'meta-eu': new FakeMeta([status('eu17', URL)]) };
    const { input, journaled, tlsReads, sink } = setup(metas);
    const result = await registerCluster(input);
    expect(result.outcomes).toEqual([{ meta: 'meta-eu', outcome: 'already-registered', detail: `meta-eu lists eu17 with url ${URL} (state CORDONED, score 0)` }]);
    expect(metas['meta-eu'].registered).toEqual([]);
    expect(tlsReads()).toBe(0);
    expect(journaled).toEqual(['meta-eu']);
    expect(sink.codes()).toEqual(['registry.already-registered']);
  });

  it('refuses before connecting when governedBy is not a meta cluster, listing the ones there are', async () => {
    const metas = { 'meta-eu': new FakeMeta(), 'meta-us': new FakeMeta() };
    const { input } = setup(metas, { governedBy: 'meta-asia' });
    const message = 'governedBy "meta-asia" of gp-prod-ws-eu17-eu-west1 is not a meta cluster; use one of meta-eu, meta-us';
    await expect(registerCluster(input)).rejects.toThrow(message);
    await expect(checkRegistration(input)).rejects.toThrow(message);
    expect(metas['meta-eu'].closed).toBe(0);
  });

  it('stops at once when interrupted, naming the meta cluster it did not reach', async () => {
    const controller = new AbortController();
    controller.abort();
    const { input } = setup({ 'meta-eu': new FakeMeta() }, { signal: controller.signal });
    const error = (await registerCluster(input).catch((e: unknown) => e)) as WsdError;
    expect([error.code, error.message]).toEqual(['Interrupted', 'interrupted before registering eu17 with meta-eu']);
  });
});

describe('conflicts', () => {
  it('refuses a taken url without --overwrite, sending nothing', async () => {
    const metas = { 'meta-eu': new FakeMeta([status('eu99', URL)]) };
    const { input } = setup(metas);
    const error = (await registerCluster(input).catch((e: unknown) => e)) as WsdError;
    expect(error.code).toBe('RegistryConflict');
    expect(error.message).toContain(`meta-eu: meta-eu already has url ${URL} registered as eu99; deregister the old entry or re-run with --overwrite`);
    expect(metas['meta-eu'].registered).toEqual([]);
    expect(metas['meta-eu'].deregistered).toEqual([]);
  });

  it('with --overwrite, deregisters each conflicting entry without force, then registers', async () => {
    const metas = { 'meta-eu': new FakeMeta([status('eu17', 'dns:///old:1'), status('eu99', URL)]) };
    const { input } = setup(metas, { overwrite: true });
    await registerCluster(input);
    expect(metas['meta-eu'].deregistered).toEqual([
      { name: 'eu17', force: false },
      { name: 'eu99', force: false },
    ]);
    expect(metas['meta-eu'].registered).toHaveLength(1);
  });
});

describe('a partial failure', () => {
  it('goes on with the other meta clusters, then fails naming each outcome; the error code is the one failure’s', async () => {
    const metas = {
      'meta-eu': new FakeMeta(),
      'meta-us': new FakeMeta([], { on: 'register', error: new WsdError('RegistryRefused', 'denied', { transient: false }) }),
      'meta-asia': new FakeMeta(),
    };
    const { input, journaled, sink } = setup(metas);
    const error = (await registerCluster(input).catch((e: unknown) => e)) as WsdError;
    expect(error.code).toBe('RegistryRefused');
    expect(error.transient).toBe(false);
    expect(error.message).toBe('registering eu17 failed on meta-us (meta-us: denied); the other meta clusters are done and journaled — fix the cause and resume');
    expect(journaled).toEqual(['meta-eu', 'meta-asia']);
    expect(error.details).toEqual({
      url: URL,
      outcomes: [
        { meta: 'meta-eu', outcome: 'registered', detail: expect.stringContaining('registered eu17') },
        { meta: 'meta-us', outcome: 'failed', detail: 'denied' },
        { meta: 'meta-asia', outcome: 'registered', detail: expect.stringContaining('registered eu17') },
      ],
    });
    expect(sink.events.find((e) => e.code === 'registry.register-failed')).toMatchObject({ level: 'error', message: 'registering eu17 with meta-us failed: denied', data: { meta: 'meta-us', url: URL } });
  });

  it('different failure codes make a RegistryError; all transient makes it transient', async () => {
    const metas = {
      'meta-eu': new FakeMeta([], { on: 'list', error: new WsdError('RegistryUnavailable', 'down', { transient: true }) }),
      'meta-us': new FakeMeta([], { on: 'register', error: new WsdError('RegistryConflict', 'taken', { transient: true }) }),
    };
    const error = (await registerCluster(setup(metas).input).catch((e: unknown) => e)) as WsdError;
    expect([error.code, error.transient]).toEqual(['RegistryError', true]);
    expect(error.message).toBe('registering eu17 failed on meta-eu, meta-us (meta-eu: down; meta-us: taken); the other meta clusters are done and journaled — fix the cause and resume');
    const mixed = { 'meta-eu': new FakeMeta([], { on: 'list', error: new WsdError('RegistryUnavailable', 'down', { transient: true }) }), 'meta-us': new FakeMeta([], { on: 'list', error: new WsdError('RegistryUnavailable', 'down', { transient: false }) }) };
    const e2 = (await registerCluster(setup(mixed).input).catch((e: unknown) => e)) as WsdError;
    expect([e2.code, e2.transient]).toEqual(['RegistryUnavailable', false]);
  });

  it('an interruption on one meta cluster stops the whole run at once', async () => {
    const metas = { 'meta-eu': new FakeMeta([], { on: 'list', error: new WsdError('Interrupted', 'cancelled') }), 'meta-us': new FakeMeta() };
    const error = (await registerCluster(setup(metas).input).catch((e: unknown) => e)) as WsdError;
    expect([error.code, error.message]).toEqual(['Interrupted', 'cancelled']);
    expect(metas['meta-us'].closed).toBe(0);
  });

  it('never shows the TLS key, in events or errors, even when the bridge echoes it', async () => {
    const metas = { 'meta-eu': new FakeMeta(), 'meta-us': new FakeMeta([], { on: 'register', error: new WsdError('RegistryRefused', `bad key ${KEY}`) }) };
    const { input, sink } = setup(metas);
    const error = (await registerCluster(input).catch((e: unknown) => e)) as WsdError;
    expect(error.message).not.toContain('MIIEvQ');
    expect(JSON.stringify(sink.events)).not.toContain('MIIEvQ');
  });
});

describe('checkRegistration (the pre-run check)', () => {
  it('skip when every meta cluster has it, with each one’s evidence', async () => {
    const metas = { 'meta-eu': new FakeMeta([status('eu17', URL)]), 'meta-us': new FakeMeta([status('eu17', URL, { score: 5 })]) };
    const r = await checkRegistration(setup(metas).input);
    expect(r.action).toBe('skip');
    expect(r.reason).toBe(`meta-eu lists eu17 with url ${URL} (state CORDONED, score 0); meta-us lists eu17 with url ${URL} (state CORDONED, score 5)`);
    expect([metas['meta-eu'].closed, metas['meta-us'].closed]).toEqual([1, 1]);
  });

  it('proceed when one is missing', async () => {
    const metas = { 'meta-eu': new FakeMeta([status('eu17', URL)]), 'meta-us': new FakeMeta() };
    const r = await checkRegistration(setup(metas).input);
    expect([r.action, r.reason]).toEqual(['proceed', 'eu17 is not registered with every meta cluster yet']);
    expect(r.findings).toEqual({ 'meta-eu': expect.objectContaining({ kind: 'registered' }), 'meta-us': { kind: 'absent' } });
  });

  it('refuse on a conflict, with the fix; proceed with --overwrite', async () => {
    const metas = { 'meta-eu': new FakeMeta([status('eu17', 'dns:///old:1')]) };
    const r = await checkRegistration(setup(metas).input);
    expect([r.action, r.reason]).toEqual(['refuse', `meta-eu already has eu17 with url dns:///old:1, not ${URL}; deregister the old entry or re-run with --overwrite`]);
    expect((await checkRegistration(setup(metas, { overwrite: true }).input)).action).toBe('proceed');
  });

  it('closes the connection when List fails', async () => {
    const meta = new FakeMeta([], { on: 'list', error: new Error('down') });
    await expect(checkRegistration(setup({ 'meta-eu': meta }).input)).rejects.toThrow('down');
    expect(meta.closed).toBe(1);
  });
});
