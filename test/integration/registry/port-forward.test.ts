/**
 * The default access path: a port-forward through the meta cluster's Kubernetes
 * API to a ready ws-manager-bridge pod, on an ephemeral local port, closed when
 * done. Runs the real client-node PortForward/CoreV1Api against a local server
 * that speaks the needed subset of the Kubernetes API, in front of a real
 * gRPC simulator.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { connectToMeta, withRegistry } from '../../../src/registry/connect.js';
import { alwaysReachable, startSimulator, type RunningSimulator } from '../../../src/registry/simulator/index.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { makePki } from './support/certs.js';
import { startFakeKubeApi, type FakeKubeApi } from './support/fake-kube-api.js';

const TLS = { ca: 'ca-pem', crt: 'crt-pem', key: 'key-pem-secret' };

describe.skipIf(!requireBinary('openssl', 'makes the fake API server certificate'))('port-forward to ws-manager-bridge', () => {
  let dir: string;
  let api: FakeKubeApi;
  let sim: RunningSimulator;
  let kubeconfig: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wsd-pf-'));
    sim = await startSimulator({ stateFile: join(dir, 'state.json'), reachability: alwaysReachable });
    const pki = await makePki(dir);
    api = await startFakeKubeApi({ cert: pki.serverCert, key: pki.serverKey, ca: pki.ca });
    const [host, port] = sim.address.split(':');
    api.pods.push(
      { name: 'ws-manager-bridge-a', namespace: 'gitpod', labels: { component: 'ws-manager-bridge' }, ready: false },
      { name: 'ws-manager-bridge-b', namespace: 'gitpod', labels: { component: 'ws-manager-bridge' }, ready: true, forwardTo: { host: host!, port: Number(port) } },
      { name: 'server-x', namespace: 'gitpod', labels: { component: 'server' }, ready: true },
    );
    kubeconfig = join(dir, 'kubeconfig');
    await api.writeKubeconfig(kubeconfig, 'meta-eu');
  });

  afterAll(async () => {
    await api.close();
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('forwards gRPC through the ready bridge pod on an ephemeral port and closes it', async () => {
    const sink = new MemorySink();
    const connection = await connectToMeta({ name: 'meta-eu', kubeconfig, context: 'meta-eu', namespace: 'gitpod' }, { sink });
    expect(connection.via).toBe('port-forward');

    expect(connection.pod).toBe('ws-manager-bridge-b');
    const port = Number(connection.address.split(':')[1]);
    expect(port).toBeGreaterThan(0);
    expect(port).not.toBe(30303);
    await connection.client.register({ name: 'eu17', url: 'dns:///ws-eu17.example.com:8080', tls: TLS, hints: { preferability: 'None', cordoned: true, govern: false }, admissionConstraints: [], region: '' });
    const listed = await connection.client.list();
    expect(listed.map((c) => [c.name, c.state])).toEqual([['eu17', 'CORDONED']]);
    expect(api.requests.some((r) => r.startsWith('GET /api/v1/namespaces/gitpod/pods?labelSelector=component%3Dws-manager-bridge'))).toBe(true);
    expect(api.requests.some((r) => r.startsWith('UPGRADE /api/v1/namespaces/gitpod/pods/ws-manager-bridge-b/portforward?ports=8080'))).toBe(true);
    expect(api.openTunnels()).toBeGreaterThan(0);
    await connection.close();
    // The local port is released and the tunnel to the API server is gone.
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
    await expect.poll(() => api.openTunnels(), { timeout: 5_000 }).toBe(0);
  });

  it('two connections at once get different local ports (no fixed 30303)', async () => {
    const meta = { name: 'meta-eu', kubeconfig, namespace: 'gitpod' };
    const [a, b] = await Promise.all([connectToMeta(meta), connectToMeta(meta)]);
    try {
      expect(a.address).not.toBe(b.address);
      const [la, lb] = await Promise.all([a.client.list(), b.client.list()]);
      expect(la).toEqual(lb);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('says so when no bridge pod is ready', async () => {
    await expect(connectToMeta({ name: 'meta-eu', kubeconfig, namespace: 'other' })).rejects.toMatchObject({
      code: 'RegistryUnavailable',
      message: expect.stringContaining('no ready pod with label component=ws-manager-bridge in namespace other of meta-eu (0 found'),
    });
  });

  it('maps a rejected token to a KubernetesError that names the credentials', async () => {
    const bad = join(dir, 'bad-kubeconfig');
    await api.writeKubeconfig(bad, 'meta-eu');
    const { readFile, writeFile } = await import('node:fs/promises');
    await writeFile(bad, (await readFile(bad, 'utf8')).replace(api.token, 'wrong-token-xxxxxxxx'));
    await expect(withRegistry({ name: 'meta-eu', kubeconfig: bad, namespace: 'gitpod' }, {}, (c) => c.list())).rejects.toMatchObject({
      code: 'KubernetesError',
      message: expect.stringContaining('HTTP 401'),
    });
  });

  it('refuses an unknown context and lists the ones there are', async () => {
    await expect(connectToMeta({ name: 'meta-eu', kubeconfig, context: 'nope', namespace: 'gitpod' })).rejects.toMatchObject({
      code: 'ConfigInvalid',
      message: expect.stringContaining('it has meta-eu'),
    });
  });

  it('a pod whose port refuses connections surfaces as RegistryUnavailable', async () => {
    api.pods.push({ name: 'bridge-broken', namespace: 'broken', labels: { component: 'ws-manager-bridge' }, ready: true });
    const sink = new MemorySink();
    await expect(
      withRegistry({ name: 'meta-eu', kubeconfig, namespace: 'broken' }, { sink, deadlineMs: 2_000, retry: { attempts: 1, initialDelayMs: 1, maxDelayMs: 1 } }, (c) => c.list()),
    ).rejects.toMatchObject({ code: 'RegistryUnavailable' });
    expect(sink.codes()).toContain('registry.port-forward.error');
  });
});
