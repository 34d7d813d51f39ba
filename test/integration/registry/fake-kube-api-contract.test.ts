/**
 * Contract of the registry fake API server (support/fake-kube-api.ts) through
 * @kubernetes/client-node: bearer-token auth (401 otherwise), pod lists with the
 * full label-selector grammar, secret reads with the API server's NotFound Status.
 * The portforward subresource is exercised end to end by port-forward.test.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiException, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../../helpers/require-binary.js';
import { makePki } from './support/certs.js';
import { startFakeKubeApi, type FakeKubeApi } from './support/fake-kube-api.js';

describe.skipIf(!requireBinary('openssl', 'makes the fake API server certificate'))('registry fake API server contract', () => {
  let dir: string;
  let api: FakeKubeApi;
  let core: CoreV1Api;

  async function clientWithToken(token: string): Promise<CoreV1Api> {
    const file = join(dir, `kubeconfig-${token}`);
    await api.writeKubeconfig(file);
    const kc = new KubeConfig();
    kc.loadFromFile(file);
    kc.users[0] = { ...kc.users[0]!, token };
    return kc.makeApiClient(CoreV1Api);
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wsd-kube-contract-'));
    const pki = await makePki(dir);
    api = await startFakeKubeApi({ cert: pki.serverCert, key: pki.serverKey, ca: pki.ca });
    api.pods.push(
      { name: 'bridge-a', namespace: 'gitpod', labels: { component: 'ws-manager-bridge', track: 'canary' }, ready: true },
      { name: 'bridge-b', namespace: 'gitpod', labels: { component: 'ws-manager-bridge' }, ready: true },
      { name: 'server-x', namespace: 'gitpod', labels: { component: 'server' }, ready: true },
      { name: 'bridge-other-ns', namespace: 'other', labels: { component: 'ws-manager-bridge' }, ready: true },
    );
    api.secrets.push({ name: 'bridge-tls', namespace: 'gitpod', data: { 'ca.crt': Buffer.from('ca').toString('base64') } });
    core = await clientWithToken(api.token);
  });
  afterAll(async () => {
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['component=ws-manager-bridge', ['bridge-a', 'bridge-b']],
    ['component in (ws-manager-bridge,server),!track', ['bridge-b', 'server-x']],
    ['component notin (server)', ['bridge-a', 'bridge-b']],
    ['track!=canary', ['bridge-b', 'server-x']],
    ['', ['bridge-a', 'bridge-b', 'server-x']],
  ])('lists pods of one namespace matching "%s"', async (labelSelector, names) => {
    const list = await core.listNamespacedPod({ namespace: 'gitpod', ...(labelSelector ? { labelSelector } : {}) });
    expect(list.items.map((p) => p.metadata?.name).sort()).toEqual(names);
  });

  it('answers a malformed selector with 400', async () => {
    const error = await core.listNamespacedPod({ namespace: 'gitpod', labelSelector: 'component in (a' }).catch((e: unknown) => e);
    expect((error as ApiException<unknown>).code).toBe(400);
  });

  it('reads a secret, and answers a missing one with the NotFound Status', async () => {
    expect((await core.readNamespacedSecret({ namespace: 'gitpod', name: 'bridge-tls' })).data).toEqual({ 'ca.crt': 'Y2E=' });
    const error = await core.readNamespacedSecret({ namespace: 'gitpod', name: 'nope' }).catch((e: unknown) => e);
    expect((error as ApiException<unknown>).code).toBe(404);
    expect(JSON.parse(String((error as ApiException<unknown>).body))).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'secrets "nope" not found', code: 404 });
  });

  it('refuses a wrong bearer token with 401', async () => {
    const stranger = await clientWithToken('not-the-token');
    const error = await stranger.listNamespacedPod({ namespace: 'gitpod' }).catch((e: unknown) => e);
    expect((error as ApiException<unknown>).code).toBe(401);
  });
});
