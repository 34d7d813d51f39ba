/**
 * A TLS update (UpdateRequest 7, bridges since 2024-06). No bridge answers it UNIMPLEMENTED: the Update method is
 * there since 2021, and a bridge before 2024-06 skips the unknown field and answers OK having changed nothing. So
 * UNIMPLEMENTED means the address does not serve ClusterService's Update at all, and an OK alone proves nothing: the
 * client first asks with empty material, which a bridge that knows the field refuses ("missing required TLS
 * config") and an older one answers OK; only then does it send the material, or say the bridge would ignore it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../../src/registry/client.js';
import { clustersCli, FAST, referenceFixture } from './support/reference.js';
import { registerInput, rejection, tempDir, TEST_TLS } from './support/sim.js';

const ref = referenceFixture();
let tmp: Awaited<ReturnType<typeof tempDir>>;
const NEW_TLS = { ca: 'CA-2\n', crt: 'CRT-2\n', key: '-----BEGIN PRIVATE KEY-----\nbmV3LXByaXZhdGUta2V5LW1hdGVyaWFs\n-----END PRIVATE KEY-----\n' };
beforeAll(async () => {
  tmp = await tempDir('wsd-tls-update-');
  await mkdir(join(tmp.dir, 'tls'));
  await writeFile(join(tmp.dir, 'tls', 'ca.crt'), NEW_TLS.ca);
  await writeFile(join(tmp.dir, 'tls', 'tls.crt'), NEW_TLS.crt);
  await writeFile(join(tmp.dir, 'tls', 'tls.key'), NEW_TLS.key);
});
afterEach(() => ref.cleanup());
afterAll(() => tmp.cleanup());

const updateTls = (address: string) => clustersCli(['clusters', '--bridge', address, 'update', '--name', 'eu1', 'tls', '--tls-path', join(tmp.dir, 'tls')]);

describe('clusters update tls', () => {
  it('on a current bridge replaces the material and says so, with no hedging note', async () => {
    const b = await ref.bridge('current', 'deployed');
    await (await ref.client(b)).register(registerInput('eu1'));
    const r = await updateTls(b.address);
    expect(r.error).toBeUndefined();
    expect(r.out).toBe(`eu1: TLS material replaced on ${b.address}\n`);
    expect(r.warn).toBe('');
    expect(b.tlsOf('eu1')).toEqual(NEW_TLS);
  });

  it.each(['2023-03', '2021-11'] as const)('on a %s bridge, which would answer OK and keep the old material, is refused before the material is sent', async (version) => {
    const b = await ref.bridge(version, 'deployed');
    await (await ref.client(b)).register(registerInput('eu1'));
    const r = await updateTls(b.address);
    expect(r.error).toMatchObject({ code: 'RegistryRefused' });
    expect(r.error?.message).toBe(
      `the ws-manager-bridge of ${b.address} predates UpdateRequest.tls (2024-06): it answers a TLS update with OK and keeps the old material ` +
        '(asked with empty material, which a bridge that knows the field refuses, it answered OK); nothing was changed — ' +
        'deregister eu1 and register it again to rotate its TLS, or upgrade that bridge',
    );
    expect(r.out).toBe('');
    expect(b.calls.Update).toBe(1);
    expect(b.tlsOf('eu1')).toEqual(TEST_TLS);
  });
});

describe('UNIMPLEMENTED for a TLS update', () => {
  let server: grpc.Server;
  afterEach(() => server?.forceShutdown());

  it('is an address that does not serve ClusterService, not an old bridge', async () => {
    // A real gRPC server with no ClusterService: grpc-js answers every method UNIMPLEMENTED.
    server = new grpc.Server();
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    const client = await RegistryClient.connect({ address: `127.0.0.1:${port}`, meta: 'meta-eu', ...FAST });
    try {
      const error = await rejection(client.update('eu1', { tls: NEW_TLS }));
      expect(error).toMatchObject({ code: 'RegistryError', details: { grpcCode: 12 } });
      expect(error.message).toMatch(new RegExp(`^127\\.0\\.0\\.1:${port} does not implement ClusterService update \\(.*\\); is it really the ws-manager-bridge of meta-eu\\?$`));
    } finally {
      client.close();
    }
  });
});
