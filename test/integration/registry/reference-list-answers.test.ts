/**
 * List answers a bridge may send that are not the tidy ones of the other tests: very large (a bridge's gRPC server
 * has no limit on what it sends, grpc-js's client by default reads 4 MiB at most), and (below) rows in another order
 * or a name twice. The bridge is the reference bridge with `shapeList`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { checkRegistration } from '../../../src/registry/register-cluster.js';
import { registryError, GrpcStatus } from '../../../src/registry/status-errors.js';
import { swapClusters } from '../../../src/registry/swap.js';
import type { ReferenceRow } from '../../helpers/reference-bridge/reference-bridge.js';
import { clustersCli, overwriteInput, referenceFixture } from './support/reference.js';
import { registerInput, rejection } from './support/sim.js';

const ref = referenceFixture();
afterEach(() => ref.cleanup());

/** `n` static rows of about 190 bytes each on the wire. */
function manyRows(n: number): ReferenceRow[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `x${i}`,
    url: `dns:///ws-x${i}.example.com:8080/${'p'.repeat(100)}`,
    state: 'AVAILABLE',
    score: 1,
    maxScore: 100,
    governed: true,
    static: true,
    constraints: [{ kind: 'has-permission', permission: 'new-workspace-cluster' }],
    region: 'europe',
  }));
}

describe('a very large List answer', () => {
  it('is read whole (4.6 MB, more than grpc-js reads by default), in one List', async () => {
    const b = await ref.bridge();
    const c = await ref.client(b, new MemorySink());
    await c.register(registerInput('eu1'));
    b.shapeList((rows) => [...rows, ...manyRows(24_000)]);
    const listed = await c.list();
    expect(listed).toHaveLength(24_001);
    expect(listed[0]?.name).toBe('eu1');
    expect(listed[24_000]).toMatchObject({ name: 'x23999', static: true, admissionConstraints: [{ type: 'has-permission', permission: 'new-workspace-cluster' }] });
    expect(b.calls.List).toBe(1);
  });

  it('beyond the client limit, says it is our limit on the answer, not the bridge failing, and that the answer was not read', () => {
    const error = registryError(
      { code: GrpcStatus.RESOURCE_EXHAUSTED, details: 'Received message larger than max (70000000 vs 67108864)' },
      { operation: 'list', meta: 'meta-eu', address: '127.0.0.1:9', deadlineMs: 1000 },
    );
    expect(error.code).toBe('RegistryError');
    expect(error.message).toBe(
      "the List answer of meta-eu's ws-manager-bridge is 70000000 bytes, more than the 67108864 bytes this ws-deployment accepts from a registry " +
        '(Received message larger than max (70000000 vs 67108864)); the answer was not read. A registry that large is not one of workspace ' +
        "clusters: check that 127.0.0.1:9 is meta-eu's ws-manager-bridge",
    );
    const request = registryError(
      { code: GrpcStatus.RESOURCE_EXHAUSTED, details: 'Received message larger than max (5000000 vs 4194304)' },
      { operation: 'update', cluster: 'eu1', change: 'replace TLS material', meta: 'meta-eu', address: '127.0.0.1:9', deadlineMs: 1000 },
    );
    expect(request.message).toBe('meta-eu refused replace TLS material of eu1 unread, as larger than its ws-manager-bridge accepts (Received message larger than max (5000000 vs 4194304)); nothing was changed');
  });
});

describe('a List answer with a name twice (a static config entry repeating a registered name)', () => {
  async function bridgeWithEu17Twice() {
    const b = await ref.bridge();
    const c = await ref.client(b, new MemorySink());
    await c.register(registerInput('eu16'));
    await c.register(registerInput('eu17', { url: 'dns:///ws-eu17.gitpod.example:8080' }));
    b.shapeList((rows) => [...rows, { ...rows[1]!, url: 'dns:///ws-eu17-old.example.com:8080', static: true }]);
    return { b, c };
  }
  const twice = 'meta-eu lists eu17 2 times (url dns:///ws-eu17.gitpod.example:8080; url dns:///ws-eu17-old.example.com:8080, static)';
  const why = 'an answer no ws-manager-bridge gives, so ws-deployment cannot tell which entry a change by that name reaches, or which one a check reads';

  it('is refused by every reader that acts on it, before anything is sent: list, swap, deregister, the register check', async () => {
    const { b, c } = await bridgeWithEu17Twice();
    const error = await rejection(c.list());
    expect(error.message).toBe(
      `${twice}: ${why}; this List answer was not used. Check the bridge's static cluster config for a name given twice, and that ${b.address} is the ` +
        'ws-manager-bridge of meta-eu; `clusters list` shows every entry',
    );
    expect((await rejection(swapClusters(c, 'eu16', 'eu17'))).message).toContain(twice);
    const deregister = await clustersCli(['clusters', '--bridge', b.address, 'deregister', '--name', 'eu17', '--yes']);
    expect(deregister.error?.message).toContain(`${b.address} lists eu17 2 times`);
    // The register step's own name and url are listed (done, it would say), and so is a static eu17 elsewhere. (The
    // check reads no TLS material.)
    expect((await rejection(checkRegistration(overwriteInput(b.address, '/nonexistent')))).message).toContain(twice);
    expect(b.calls).toMatchObject({ Update: 0, Deregister: 0, Register: 2 });
    expect(b.rows().map((r) => [r.name, r.score])).toEqual([
      ['eu16', 50],
      ['eu17', 50],
    ]);
  });

  it('clusters list shows both entries and says why every other command refuses', async () => {
    const { b } = await bridgeWithEu17Twice();
    const table = await clustersCli(['clusters', '--bridge', b.address, 'list']);
    expect(table.error).toBeUndefined();
    expect(table.out.split('\n').filter((l) => l.startsWith('eu17 '))).toHaveLength(2);
    expect(table.warn).toBe(
      `warning: ${twice.replace('meta-eu', b.address)}: ${why}; every other command refuses this registry until the bridge lists each name once\n`,
    );
  });
});

it('a Deregister whose answer is lost, settled by a List with a name twice, says the outcome is unknown, not that nothing changed', async () => {
  const b = await ref.bridge();
  const c = await ref.client(b, new MemorySink());
  await c.register(registerInput('eu16'));
  await c.register(registerInput('eu17'));
  b.shapeList((rows) => [...rows, { ...rows[0]!, url: 'dns:///ws-eu16-static.example.com:8080', static: true }]);
  b.dropAfterApply('Deregister');
  const error = await rejection(c.deregister({ name: 'eu17', force: false }));
  expect(error.message).toMatch(/^the connection to the cluster registry of meta-eu at .* was lost during deregister of eu17 .*: the bridge may have deregistered it anyway; /);
  expect(error.message).toContain('(List to find out failed too: meta-eu lists eu16 2 times');
  expect(error.message).toContain('this List answer was not used');
  expect(error.message).not.toContain('nothing was changed');
  expect(b.rows().map((r) => r.name)).toEqual(['eu16']);
});
