/**
 * Rollout checks through @kubernetes/client-node against a local API server
 * speaking the apps/v1 + core/v1 subset: transitions from not ready to ready,
 * a stuck deployment whose failure names the pod's reason, kubeconfig isolation
 * (each cluster's token goes to its own server) and transient classification
 * of an unreachable API server.
 */
import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isWsdError } from '../../../src/core/errors.js';
import { loadClusterKubeConfig } from '../../../src/tools/kube/kube-config.js';
import { observeWorkloads, selectorString, waitForRollout } from '../../../src/tools/kube/rollout.js';
import { deployment, pod, startFakeKubeApi, type FakeKubeApi } from '../../fixtures/install/fake-kube-api.js';

let api: FakeKubeApi;
let dir: string;

beforeEach(async () => {
  ({ api, dir } = await startFakeKubeApi());
});
afterEach(async () => {
  await api.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('rollout through the Kubernetes API', () => {
  it('waits until every workload of the namespace is ready', async () => {
    api.put(deployment('ws-manager', 'default', 0));
    api.put({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'ws-daemon', namespace: 'default', generation: 2 },
      spec: { selector: { matchLabels: { component: 'ws-daemon' } }, updateStrategy: { type: 'RollingUpdate' } },
      status: { observedGeneration: 2, desiredNumberScheduled: 2, currentNumberScheduled: 2, numberMisscheduled: 0, numberReady: 2, updatedNumberScheduled: 2, numberAvailable: 2 },
    });
    let lists = 0;
    api.beforeRequest = (req, fake) => {
      if (req.path.endsWith('/deployments') && ++lists === 3) fake.put(deployment('ws-manager', 'default', 1));
    };
    const kc = await loadClusterKubeConfig(api.writeKubeconfig(dir, 'token-a'));
    const seen: boolean[] = [];
    const states = await waitForRollout(kc, { namespace: 'default' }, { timeoutMs: 5_000, pollMs: 20, onObserve: (s) => seen.push(s.every((x) => x.ready)) });
    expect(states.map((s) => `${s.kind}/${s.name}:${s.ready}`)).toEqual(['Deployment/ws-manager:true', 'DaemonSet/ws-daemon:true']);
    expect(seen.slice(0, 2)).toEqual([false, false]);
    expect(seen.at(-1)).toBe(true);
    expect(api.requests.every((r) => r.token === 'token-a')).toBe(true);
  });

  it('times out on a stuck deployment with the reason from its pods', async () => {
    api.put(deployment('ws-manager', 'default', 0));
    api.put(pod('ws-manager-abc', 'default', 'ws-manager', 'ImagePullBackOff'));
    const kc = await loadClusterKubeConfig(api.writeKubeconfig(dir, 'token-a'));
    const error = await waitForRollout(kc, { namespace: 'default' }, { timeoutMs: 300, pollMs: 50 }).catch((e: unknown) => e);
    expect(isWsdError(error) && error.code).toBe('KubernetesError');
    expect((error as Error).message).toContain('deployment ws-manager: 0/1 ready, reason ImagePullBackOff');
    expect(api.requests.some((r) => r.path === '/api/v1/namespaces/default/pods' && r.query.includes('labelSelector=component%3Dws-manager'))).toBe(true);
  });

  it('reports a named workload that does not exist', async () => {
    const kc = await loadClusterKubeConfig(api.writeKubeconfig(dir, 'token-a'));
    const states = await observeWorkloads(kc, [{ kind: 'StatefulSet', name: 'minio', namespace: 'default' }]);
    expect(states).toEqual([{ kind: 'StatefulSet', name: 'minio', namespace: 'default', ready: false, summary: 'not found' }]);
  });

  it('uses each cluster kubeconfig, never a shared one', async () => {
    const other = await startFakeKubeApi();
    try {
      api.put(deployment('a', 'default', 1));
      other.api.put(deployment('b', 'default', 1));
      const [a, b] = await Promise.all([
        observeWorkloads(await loadClusterKubeConfig(api.writeKubeconfig(dir, 'token-a')), { namespace: 'default' }),
        observeWorkloads(await loadClusterKubeConfig(other.api.writeKubeconfig(other.dir, 'token-b')), { namespace: 'default' }),
      ]);
      expect(a.map((s) => s.name)).toEqual(['a']);
      expect(b.map((s) => s.name)).toEqual(['b']);
      expect(new Set(api.requests.map((r) => r.token))).toEqual(new Set(['token-a']));
      expect(new Set(other.api.requests.map((r) => r.token))).toEqual(new Set(['token-b']));
    } finally {
      await other.api.stop();
      rmSync(other.dir, { recursive: true, force: true });
    }
  });

  it('classifies an unreachable API server as transient', async () => {
    const kubeconfig = api.writeKubeconfig(dir, 'token-a');
    await api.stop();
    const error = await observeWorkloads(await loadClusterKubeConfig(kubeconfig), { namespace: 'default' }).catch((e: unknown) => e);
    expect(isWsdError(error) && error.transient).toBe(true);
    expect((error as Error).message).toMatch(/ECONNREFUSED|unreachable/);
    await api.start(); // afterEach stops it again
  });

  it('refuses a kubeconfig path that does not exist instead of falling back to ~/.kube/config', async () => {
    await expect(loadClusterKubeConfig(`${dir}/missing`)).rejects.toThrow(/does not exist; run create-cluster/);
  });

  it('finds the pods of a workload whose selector has set-based matchExpressions (In, NotIn, Exists, DoesNotExist)', async () => {
    const selector = {
      matchLabels: { app: 'ws' },
      matchExpressions: [
        { key: 'component', operator: 'In', values: ['ws-manager', 'ws-proxy'] },
        { key: 'env', operator: 'NotIn', values: ['staging'] },
        { key: 'tier', operator: 'Exists' },
        { key: 'canary', operator: 'DoesNotExist' },
      ],
    };
    expect(selectorString(selector)).toBe('app=ws,component in (ws-manager,ws-proxy),env notin (staging),tier,!canary');
    api.put({ ...deployment('ws-manager', 'default', 0), spec: { replicas: 1, selector } });
    const labelled = (name: string, reason: string, labels: Record<string, string>) => {
      const p = pod(name, 'default', 'ws-manager', reason);
      api.put({ ...p, metadata: { ...p.metadata, labels } });
    };
    const base = { app: 'ws', component: 'ws-manager', tier: 'x', env: 'prod' };
    // Each of these misses exactly one requirement; listed first, so an ignored requirement would pick its reason.
    labelled('other-component', 'OOMKilled', { ...base, component: 'ws-daemon' });
    labelled('staging', 'CreateContainerConfigError', { ...base, env: 'staging' });
    labelled('no-tier', 'ImagePullBackOff', { app: 'ws', component: 'ws-manager', env: 'prod' });
    labelled('canary', 'ErrImagePull', { ...base, canary: 'true' });
    labelled('other-app', 'RunContainerError', { ...base, app: 'other' });
    labelled('the-one', 'CrashLoopBackOff', { ...base, component: 'ws-proxy' });
    const kc = await loadClusterKubeConfig(api.writeKubeconfig(dir, 'token-s'));
    const [state] = await observeWorkloads(kc, [{ kind: 'Deployment', name: 'ws-manager', namespace: 'default' }]);
    expect(state).toMatchObject({ ready: false, reason: expect.stringMatching(/^CrashLoopBackOff/) });
    const query = api.requests.find((r) => r.path.endsWith('/pods'))?.query ?? '';
    expect(new URLSearchParams(query).get('labelSelector')).toBe('app=ws,component in (ws-manager,ws-proxy),env notin (staging),tier,!canary');
  });

  it('refuses a selector operator Kubernetes does not have', () => {
    expect(() => selectorString({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] })).toThrow(/operator Gt of key a is not one of In, NotIn, Exists, DoesNotExist/);
  });
});
