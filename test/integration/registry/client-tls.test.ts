/**
 * TLS between our client and a bridge: server-authenticated and mutual TLS, with
 * certificates made by the real openssl CLI; a wrong CA fails as UNAVAILABLE.
 * Also: a gRPC server that does not implement ClusterService answers UNIMPLEMENTED.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../../src/registry/client.js';
import { Redactor } from '../../../src/core/redact.js';
import { connectToMeta } from '../../../src/registry/connect.js';
import { loadClusterService } from '../../../src/registry/proto.js';
import { alwaysReachable, startSimulator, type RunningSimulator } from '../../../src/registry/simulator/index.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { makePki, type TestPki } from './support/certs.js';
import { registerInput, tempDir } from './support/sim.js';

describe.skipIf(!requireBinary('openssl', 'makes the test CA and certificates'))('TLS to the registry', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let pki: TestPki;
  let mutual: RunningSimulator;

  beforeAll(async () => {
    tmp = await tempDir('wsd-tls-');
    pki = await makePki(tmp.dir);
    mutual = await startSimulator({
      stateFile: join(tmp.dir, 'mutual.json'),
      reachability: alwaysReachable,
      tls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.ca, requireClientCert: true },
    });
  });

  afterAll(async () => {
    await mutual.stop();
    await tmp.cleanup();
  });

  it('mutual TLS with CA, cert and key files from the config', async () => {
    const connection = await connectToMeta(
      { name: 'meta-tls', bridge: { address: mutual.address, tls: { ca: 'ca.crt', cert: 'client.crt', key: 'client.key' } } },
      { baseDir: tmp.dir },
    );
    try {
      expect(connection.via).toBe('direct');
      await connection.client.register(registerInput('eu30'));
      expect((await connection.client.list()).map((c) => c.name)).toEqual(['eu30']);
    } finally {
      await connection.close();
    }
  });

  it('an unusable key file is a config error naming the files, not an internal error', async () => {
    await writeFile(join(tmp.dir, 'broken.key'), '-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n');
    const redactor = new Redactor();
    const attempt = connectToMeta(
      { name: 'meta-tls', bridge: { address: mutual.address, tls: { ca: 'ca.crt', cert: 'client.crt', key: 'broken.key' } } },
      { baseDir: tmp.dir, redactor },
    );
    await expect(attempt).rejects.toMatchObject({ code: 'ConfigInvalid', message: expect.stringMatching(/bridge of meta-tls cannot be used .*key .*broken\.key.*bridge\.tls needs PEM files/) });
  });

  it('registers the client key with the redactor', async () => {
    const redactor = new Redactor();
    const connection = await connectToMeta(
      { name: 'meta-tls', bridge: { address: mutual.address, tls: { ca: 'ca.crt', cert: 'client.crt', key: 'client.key' } } },
      { baseDir: tmp.dir, redactor },
    );
    await connection.close();
    expect(redactor.redact(pki.clientKey.toString('utf8').trim())).toBe('[REDACTED]');
  });

  it('without a client certificate the mutual-TLS bridge is unreachable', async () => {
    const client = await RegistryClient.connect({ address: mutual.address, meta: 'meta-tls', tls: { ca: pki.ca }, retry: { attempts: 1, initialDelayMs: 1, maxDelayMs: 1 }, deadlineMs: 3_000 });
    try {
      await expect(client.list()).rejects.toMatchObject({ code: 'RegistryUnavailable' });
    } finally {
      client.close();
    }
  });

  it('server-authenticated TLS works; a plaintext client against it fails', async () => {
    const sim = await startSimulator({ stateFile: join(tmp.dir, 'server-only.json'), reachability: alwaysReachable, tls: { cert: pki.serverCert, key: pki.serverKey } });
    const good = await RegistryClient.connect({ address: sim.address, tls: { ca: pki.ca } });
    const plain = await RegistryClient.connect({ address: sim.address, retry: { attempts: 1, initialDelayMs: 1, maxDelayMs: 1 }, deadlineMs: 3_000 });
    try {
      expect(await good.list()).toEqual([]);
      await expect(plain.list()).rejects.toMatchObject({ code: 'RegistryUnavailable' });
    } finally {
      good.close();
      plain.close();
      await sim.stop();
    }
  });

  it('a CA that did not sign the server certificate is rejected', async () => {
    const client = await RegistryClient.connect({ address: mutual.address, tls: { ca: pki.clientCert, cert: pki.clientCert, key: pki.clientKey }, retry: { attempts: 1, initialDelayMs: 1, maxDelayMs: 1 }, deadlineMs: 3_000 });
    try {
      await expect(client.list()).rejects.toMatchObject({ code: 'RegistryUnavailable' });
    } finally {
      client.close();
    }
  });

  it('missing TLS files are a ConfigInvalid naming the path', async () => {
    await expect(connectToMeta({ name: 'm', bridge: { address: mutual.address, tls: { ca: 'nope.crt' } } }, { baseDir: tmp.dir })).rejects.toMatchObject({
      code: 'ConfigInvalid',
      message: expect.stringContaining(join(tmp.dir, 'nope.crt')),
    });
  });
});

describe('a server without ClusterService', () => {
  it('answers UNIMPLEMENTED → RegistryError asking whether this is really the bridge', async () => {
    const { grpc } = await loadClusterService();
    const server = new grpc.Server();
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    const client = await RegistryClient.connect({ address: `127.0.0.1:${port}`, meta: 'meta-z' });
    try {
      await expect(client.list()).rejects.toMatchObject({ code: 'RegistryError', message: expect.stringContaining('is it really the ws-manager-bridge of meta-z') });
    } finally {
      client.close();
      server.forceShutdown();
    }
  });
});
