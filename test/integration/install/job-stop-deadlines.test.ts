/**
 * Kubernetes waits after a Ctrl-Z longer than their timeout: the time the job was stopped does not count, so on `fg`
 * the wait goes on (and here succeeds) instead of failing after one more look. The stop is simulated in this process
 * as job-control.ts does it (test/helpers/job-stop.ts), inside a request to the fake API server: the CLI stopped
 * mid-call. Without the fix each wait fails "did not roll out / not established within 3 s".
 */
import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadClusterKubeConfig } from '../../../src/tools/kube/kube-config.js';
import { waitForCrdsEstablished } from '../../../src/tools/kube/apply.js';
import { waitForRollout } from '../../../src/tools/kube/rollout.js';
import { deployment, startFakeKubeApi, type FakeKubeApi } from '../../fixtures/install/fake-kube-api.js';
import { stopJobFor } from '../../helpers/job-stop.js';

let api: FakeKubeApi;
let dir: string;

beforeEach(async () => {
  ({ api, dir } = await startFakeKubeApi());
});
afterEach(async () => {
  await api.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('Kubernetes waits across a stop of the job', () => {
  it('a rollout wait stopped longer than its timeout goes on after `fg` and sees the workload ready', { timeout: 60_000 }, async () => {
    api.put(deployment('ws-manager', 'default', 0));
    let lists = 0;
    api.beforeRequest = (req, fake) => {
      if (!req.path.endsWith('/deployments')) return;
      lists += 1;
      if (lists === 1) stopJobFor(5_000);
      if (lists === 2) fake.put(deployment('ws-manager', 'default', 1));
    };
    const kc = await loadClusterKubeConfig(api.writeKubeconfig(dir, 'token-a'));
    const states = await waitForRollout(kc, { namespace: 'default' }, { timeoutMs: 3_000, pollMs: 50 });
    expect(states.map((s) => `${s.name}:${s.ready}`)).toEqual(['ws-manager:true']);
    expect(lists).toBe(2);
  });

  it('a CRD wait stopped longer than its timeout goes on after `fg` and sees the CRD established', { timeout: 60_000 }, async () => {
    api.put({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'servicemonitors.monitoring.coreos.com' },
      spec: { group: 'monitoring.coreos.com', names: { plural: 'servicemonitors', kind: 'ServiceMonitor' }, scope: 'Namespaced' },
    });
    api.establishAfterReads = 2;
    let reads = 0;
    api.beforeRequest = (req) => {
      if (req.method === 'GET' && req.path.includes('/customresourcedefinitions/') && ++reads === 1) stopJobFor(5_000);
    };
    const kc = await loadClusterKubeConfig(api.writeKubeconfig(dir, 'token-a'));
    await waitForCrdsEstablished(kc, ['servicemonitors.monitoring.coreos.com'], { timeoutMs: 3_000, pollMs: 50 });
    expect(reads).toBe(2);
  });
});
