/**
 * Contract of the install fake API server (test/fixtures/install/fake-kube-api.ts),
 * driven through @kubernetes/client-node as the product drives it, with the
 * server-side-apply and label-selector semantics of the Kubernetes docs:
 * field managers, 409 conflicts unless force, removal of fields a manager stops
 * applying, set-based selectors. The rollout wait polls lists (no watch), so
 * list semantics are what it relies on.
 */
import { rmSync } from 'node:fs';
import { ApiException, CoreV1Api, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FIELD_MANAGER, serverSideApply } from '../../../src/tools/kube/apply.js';
import { loadClusterKubeConfig } from '../../../src/tools/kube/kube-config.js';
import { pod, startFakeKubeApi, type FakeKubeApi } from '../../fixtures/install/fake-kube-api.js';

let api: FakeKubeApi;
let dir: string;
beforeEach(async () => {
  ({ api, dir } = await startFakeKubeApi());
});
afterEach(async () => {
  await api.stop();
  rmSync(dir, { recursive: true, force: true });
});

function configMap(data: Record<string, string>, extra: Record<string, unknown> = {}): KubernetesObject & Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'default' }, data, ...extra };
}

async function client(): Promise<KubernetesObjectApi> {
  return KubernetesObjectApi.makeApiClient(await loadClusterKubeConfig(api.writeKubeconfig(dir, 'tok')));
}

async function apply(obj: KubernetesObject, manager: string, force: boolean): Promise<unknown> {
  return (await client()).patch(obj, undefined, undefined, manager, force, PatchStrategy.ServerSideApply).catch((e: unknown) => e);
}

function managers(obj: unknown): Record<string, unknown> {
  const fields = (obj as { metadata?: { managedFields?: Array<{ manager: string; fieldsV1: unknown }> } }).metadata?.managedFields ?? [];
  return Object.fromEntries(fields.map((f) => [f.manager, f.fieldsV1]));
}

describe('install fake API: server-side apply', () => {
  it('creates on first apply and records the field manager in managedFields', async () => {
    const created = await apply(configMap({ a: '1' }), 'ws-deployment', false);
    expect(created).toMatchObject({ data: { a: '1' } });
    expect(managers(created)).toEqual({ 'ws-deployment': { 'f:data': { 'f:a': {} } } });
  });

  it('refuses with 409 Conflict naming field and manager when another manager owns a field with another value', async () => {
    await apply(configMap({ a: '1' }), 'helm', false);
    const error = await apply(configMap({ a: '2' }), 'ws-deployment', false);
    expect(error).toBeInstanceOf(ApiException);
    expect((error as ApiException<unknown>).code).toBe(409);
    const body = JSON.parse(String((error as ApiException<unknown>).body)) as Record<string, unknown>;
    expect(body).toMatchObject({ kind: 'Status', reason: 'Conflict', code: 409, message: 'Apply failed with 1 conflict: conflict with "helm" using v1: .data.a' });
    expect(api.get('v1', 'configmaps', 'default', 'settings')).toMatchObject({ data: { a: '1' } });
  });

  it('shares ownership when the other manager applies the same value (no conflict)', async () => {
    await apply(configMap({ a: '1' }), 'helm', false);
    const shared = await apply(configMap({ a: '1', b: '2' }), 'ws-deployment', false);
    expect(managers(shared)).toEqual({ helm: { 'f:data': { 'f:a': {} } }, 'ws-deployment': { 'f:data': { 'f:a': {}, 'f:b': {} } } });
  });

  it('takes the field over with force=true, as src/tools/kube/apply.ts does', async () => {
    await apply(configMap({ a: '1', keep: 'x' }), 'helm', false);
    const kc = await loadClusterKubeConfig(api.writeKubeconfig(dir, 'tok'));
    await serverSideApply(kc, [configMap({ a: '2' })]);
    const live = api.get('v1', 'configmaps', 'default', 'settings');
    expect(live).toMatchObject({ data: { a: '2', keep: 'x' } });
    expect(managers(live)).toEqual({ helm: { 'f:data': { 'f:keep': {} } }, [FIELD_MANAGER]: { 'f:data': { 'f:a': {} } } });
    expect(api.requests.at(-1)?.query).toMatch(/fieldManager=ws-deployment.*force=true|force=true.*fieldManager=ws-deployment/);
  });

  it('removes a field its manager stops applying, but keeps fields other managers own', async () => {
    await apply(configMap({ theirs: 't' }), 'helm', false);
    await apply(configMap({ a: '1', b: '2' }), 'ws-deployment', false);
    const after = await apply(configMap({ a: '1' }), 'ws-deployment', false);
    expect((after as { data: unknown }).data).toEqual({ theirs: 't', a: '1' });
  });

  it('merges maps deeply instead of replacing the top-level field, and leaves status alone', async () => {
    api.put({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'default' }, spec: { replicas: 1 }, status: { readyReplicas: 1 } });
    await apply({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'default' }, spec: { paused: true }, status: { readyReplicas: 9 } } as KubernetesObject, 'ws-deployment', false);
    expect(api.get('apps/v1', 'deployments', 'default', 'd')).toMatchObject({ spec: { replicas: 1, paused: true }, status: { readyReplicas: 1 } });
  });
});

describe('install fake API: label selectors', () => {
  beforeEach(() => {
    api.put(pod('a', 'default', 'server'));
    api.put({ ...pod('b', 'default', 'proxy'), metadata: { name: 'b', namespace: 'default', labels: { component: 'proxy', tier: 'canary' } } });
    api.put({ ...pod('c', 'default', 'agent'), metadata: { name: 'c', namespace: 'default', labels: { component: 'agent', legacy: 'yes' } } });
  });

  it.each([
    ['component=server', ['a']],
    ['component==server', ['a']],
    ['component!=server', ['b', 'c']],
    ['component in (server, proxy)', ['a', 'b']],
    ['component notin (server,proxy)', ['c']],
    ['tier', ['b']],
    ['!legacy', ['a', 'b']],
    ['tier!=canary', ['a', 'c']],
    ['component in (server,proxy,agent),!tier,!legacy', ['a']],
  ])('%s selects %j', async (selector, names) => {
    const core = (await loadClusterKubeConfig(api.writeKubeconfig(dir, 'tok'))).makeApiClient(CoreV1Api);
    const list = await core.listNamespacedPod({ namespace: 'default', labelSelector: selector });
    expect(list.items.map((p) => p.metadata?.name).sort()).toEqual(names);
  });

  it('refuses a malformed selector with 400', async () => {
    const core = (await loadClusterKubeConfig(api.writeKubeconfig(dir, 'tok'))).makeApiClient(CoreV1Api);
    const error = await core.listNamespacedPod({ namespace: 'default', labelSelector: 'component in (a' }).catch((e: unknown) => e);
    expect((error as ApiException<unknown>).code).toBe(400);
  });
});

describe('install fake API: field paths with dots', () => {
  it('keeps label keys with dots and slashes as one field', async () => {
    const obj = configMap({ a: '1' });
    obj.metadata = { ...obj.metadata, labels: { 'app.kubernetes.io/managed-by': 'ws-deployment' } };
    const created = await apply(obj, 'ws-deployment', false);
    expect((created as KubernetesObject).metadata?.labels).toEqual({ 'app.kubernetes.io/managed-by': 'ws-deployment' });
    obj.metadata.labels = { 'app.kubernetes.io/managed-by': 'someone-else' };
    const error = await apply(obj, 'helm', false);
    expect(JSON.parse(String((error as ApiException<unknown>).body))).toMatchObject({ message: 'Apply failed with 1 conflict: conflict with "ws-deployment" using v1: .metadata.labels.app.kubernetes.io/managed-by' });
  });
});
