/**
 * The client against a bridge that answers as the deployed ws-manager-bridge does: every refusal as UNKNOWN (2)
 * with the bridge's own text (its GRPCError keeps the code in `status`, grpc-js sends `code`; gpctl prints
 * "code = Unknown desc = …"). The tool must still tell a not-found, a taken name, a drain still running and a bad
 * argument apart, on the oldest and the newest bridge, as it does for a bridge that sends the documented codes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { retireCluster, type RetireProgress } from '../../../src/steps/retire/retire-cluster.js';
import { connectRegistry } from '../../../src/traffic/registry-adapter.js';
import { referenceFixture } from './support/reference.js';
import { registerInput, rejection, TEST_TLS } from './support/sim.js';

const ref = referenceFixture();
afterEach(() => ref.cleanup());

describe.each(['2021-11', 'current'] as const)('a %s bridge answering UNKNOWN with its texts', (version) => {
  it('an Update of an unknown name is not-found, with the list hint', async () => {
    const b = await ref.bridge(version, 'deployed');
    const c = await ref.client(b);
    const error = await rejection(c.update('eu9', { score: 5 }));
    expect(error).toMatchObject({ code: 'RegistryNotFound', details: { grpcCode: 5, grpcCodeSent: 2 } });
    expect(error.message).toBe('cluster eu9 is not registered with meta-eu; see the registered names with `ws-deployment clusters list --meta meta-eu`');
  });

  it('a Deregister refused while workspaces run names them and --force, as a drain refusal (grpcCode 9)', async () => {
    const b = await ref.bridge(version, 'deployed');
    const c = await ref.client(b);
    await c.register(registerInput('eu1'));
    b.setRunning('eu1', 2);
    const error = await rejection(c.deregister({ name: 'eu1', force: false }));
    expect(error).toMatchObject({ code: 'RegistryRefused', details: { grpcCode: 9, grpcCodeSent: 2 } });
    expect(error.message).toBe(
      "meta-eu refused to deregister eu1: 2 regular workspaces still run on it; cordon it and wait until they stop, or pass --force, which stops those 2 and breaks their users' sessions",
    );
  });

  it('a Register the bridge cannot dial through is a precondition (ready DNS and certificates first)', async () => {
    const b = await ref.bridge(version, 'deployed');
    const c = await ref.client(b);
    const error = await rejection(c.register(registerInput('eu1', { tls: { ...TEST_TLS, key: '' } })));
    expect(error).toMatchObject({ code: 'RegistryRefused', details: { grpcCode: 9 } });
    expect(error.message).toMatch(/^meta-eu could not reach ws-manager of eu1 at dns:\/\/\/ws-eu1\.example\.com:8080: cannot reach .*run the alive-test step\)$/);
  });

  it('retire waits for the drain and then deregisters, instead of failing at the first refusal', async () => {
    const b = await ref.bridge(version, 'deployed');
    const c = await ref.client(b);
    await c.register(registerInput('eu1'));
    b.setRunning('eu1', 1);
    const registry = await connectRegistry([{ name: 'meta-eu', bridge: { address: b.address } }]);
    try {
      let now = 0;
      let progress: RetireProgress = { cordoned: [], deregistered: [] };
      await retireCluster({
        target: { name: 'eu1' },
        registry,
        project: 'p',
        drainTimeoutMs: 600_000,
        pollMs: 60_000,
        destroy: false,
        workDir: '/nonexistent',
        stateDir: '/nonexistent',
        save: async (p) => void (progress = p),
        record: async () => undefined,
        // The users end their session while the step waits.
        clock: { now: () => now, sleep: async (ms) => void ((now += ms), b.setRunning('eu1', 0)) },
        sink: new MemorySink(),
      });
      expect(progress).toMatchObject({ deregistered: ['meta-eu'], done: true });
      expect(b.rows()).toEqual([]);
    } finally {
      await registry.close();
    }
  });
});

describe('a 2021-10 bridge answering UNKNOWN with its texts', () => {
  it('a forced Deregister it refuses is a bridge that predates force, not a hint to pass --force', async () => {
    const b = await ref.bridge('2021-10', 'deployed');
    const c = await ref.client(b);
    await c.register(registerInput('eu1'));
    b.setRunning('eu1', 3);
    const error = await rejection(c.deregister({ name: 'eu1', force: true }));
    expect(error).toMatchObject({ code: 'RegistryRefused', details: { grpcCode: 9, grpcCodeSent: 2 } });
    expect(error.message).toBe(
      'meta-eu refused to deregister eu1 although force was sent: 3 regular workspaces still run on it, and this bridge ignores force (it predates DeregisterRequest.force, 2021-11); cordon it and wait until they stop',
    );
  });
});

describe('a current bridge answering UNKNOWN with its texts', () => {
  // Bridges before 2022-02 have no duplicate check at all (reference-register-taken.test.ts).
  it('a Register of a name already registered at that url says an earlier register went through; another url is a conflict', async () => {
    const b = await ref.bridge('current', 'deployed');
    const c = await ref.client(b);
    await c.register(registerInput('eu1'));
    const same = await rejection(c.register(registerInput('eu1')));
    expect(same).toMatchObject({ code: 'RegistryConflict', details: { alreadyRegistered: true } });
    expect(same.message).toMatch(/^eu1 is already registered with meta-eu at dns:\/\/\/ws-eu1\.example\.com:8080 \(AVAILABLE, score 50, .*an earlier register went through; nothing was changed/);
    const url = await rejection(c.register(registerInput('eu2', { url: 'dns:///ws-eu1.example.com:8080' })));
    expect(url).toMatchObject({ code: 'RegistryConflict', details: { grpcCode: 6 } });
    expect(url.message).toBe(
      'meta-eu refused to register eu2 (dns:///ws-eu1.example.com:8080): a WorkspaceCluster with url dns:///ws-eu1.example.com:8080 already exists in the DB; the name or url is taken — deregister the old entry or choose another name',
    );
  });

  it('a region it does not accept is an invalid request, not "see the bridge\'s logs"', async () => {
    const c = await ref.client(await ref.bridge('current', 'deployed'));
    const error = await rejection(c.register(registerInput('eu1', { region: 'europe-west1' })));
    expect(error).toMatchObject({ code: 'RegistryRefused', details: { grpcCode: 3, grpcCodeSent: 2 } });
    expect(error.message).toBe('meta-eu rejected register of eu1 as invalid: Invalid value for workspace region.; fix the request and retry');
  });

});
