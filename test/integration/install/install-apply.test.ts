/**
 * Install steps against a local Kubernetes API subset (and a recording helm):
 * monitoring manifests go CRDs first, wait for Established, then the rest via
 * server-side apply; jaeger waits for the operator's CRD before creating the
 * Jaeger resource; install-gitpod waits for the release's workloads to roll out.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isWsdError } from '../../../src/core/errors.js';
import { createInstallGitpodStep } from '../../../src/steps/install/install-gitpod.js';
import { createInstallJaegerStep } from '../../../src/steps/install/install-jaeger.js';
import { createInstallMonitoringStep } from '../../../src/steps/install/install-monitoring.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { deployment, pod, startFakeKubeApi, type FakeKubeApi } from '../../fixtures/install/fake-kube-api.js';
import { VERSION, fakeHelmOnPath, gitpodWorld, releaseJson } from '../../fixtures/install/helm-fixture.js';
import { makeContext } from '../../fixtures/install/step-context.js';

const hasOpenssl = requireBinary('openssl', 'the fake API server serves HTTPS with a self-signed certificate');

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: servicemonitors.monitoring.coreos.com}
spec:
  group: monitoring.coreos.com
  scope: Namespaced
  names: {plural: servicemonitors, kind: ServiceMonitor}
  versions: [{name: v1, served: true, storage: true}]
`;

describe.skipIf(!hasOpenssl)('install steps against the Kubernetes API', () => {
  let root: string;
  let api: FakeKubeApi;
  let apiDir: string;
  let restore: (() => Promise<void>) | undefined;

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'wsd-install-'));
    ({ api, dir: apiDir } = await startFakeKubeApi());
  });
  afterEach(async () => {
    await restore?.();
    restore = undefined;
    await api.stop();
    rmSync(root, { recursive: true, force: true });
    rmSync(apiDir, { recursive: true, force: true });
  });

  it('applies monitoring manifests server-side: CRDs, Established, then the rest', async () => {
    const dir = join(root, 'monitoring');
    mkdirSync(dir);
    writeFileSync(join(dir, '00-namespace.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: monitoring-satellite}\n');
    writeFileSync(join(dir, '10-prometheus.yaml'), `${deploymentYaml('prometheus')}---\napiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: ws-manager}\nspec: {}\n`);
    writeFileSync(join(dir, '90-crds.yaml'), CRD);
    api.establishAfterReads = 3;
    api.beforeRequest = (req, fake) => {
      // The controller brings prometheus up once it exists.
      if (req.path.endsWith('/deployments') && fake.get('apps/v1', 'deployments', 'monitoring-satellite', 'prometheus')) {
        fake.put(deployment('prometheus', 'monitoring-satellite', 1));
      }
    };
    const kubeconfig = api.writeKubeconfig(apiDir, 'token-m');
    const { ctx } = makeContext({ root, config: { monitoring: { manifests: { directory: dir } } }, kubeconfig });
    const outputs = await createInstallMonitoringStep({ pollMs: 10 }).run(ctx);

    expect(outputs.applied).toEqual([
      'CustomResourceDefinition servicemonitors.monitoring.coreos.com',
      'Namespace monitoring-satellite',
      'Deployment monitoring-satellite/prometheus',
      'ServiceMonitor monitoring-satellite/ws-manager',
    ]);
    const patches = api.requests.filter((r) => r.method === 'PATCH');
    expect(patches.every((r) => r.contentType === 'application/apply-patch+yaml' && r.query.includes('fieldManager=ws-deployment') && r.query.includes('force=true'))).toBe(true);
    // The ServiceMonitor was applied only after three CRD reads (the third says Established).
    const crdReads = api.requests.filter((r) => r.method === 'GET' && r.path.includes('/customresourcedefinitions/'));
    const crdReadIndex = api.requests.indexOf(crdReads[2]!);
    const monitorPatch = api.requests.findIndex((r) => r.method === 'PATCH' && r.path.includes('/servicemonitors/'));
    expect(crdReads).toHaveLength(3);
    expect(monitorPatch).toBeGreaterThan(crdReadIndex);
    expect(outputs.releases).toEqual([expect.objectContaining({ name: 'monitoring-satellite', status: 'deployed' })]);
  });

  it('installs jaeger-operator, then creates the Jaeger resource once its CRD is established', async () => {
    ({ restore } = await fakeHelmOnPath([
      VERSION,
      { match: ['list'], stdout: '[]' },
      { match: ['upgrade'], stdout: releaseJson({ name: 'jaeger-operator', status: 'deployed', revision: 1 }) },
    ]));
    api.establishAfterReads = 2;
    // What the chart would install: the operator's CRD.
    api.put({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'jaegers.jaegertracing.io' },
      spec: { group: 'jaegertracing.io', scope: 'Namespaced', names: { plural: 'jaegers', kind: 'Jaeger' }, versions: [{ name: 'v1' }] },
    });
    const kubeconfig = api.writeKubeconfig(apiDir, 'token-j');
    const { ctx } = makeContext({ root, config: { jaeger: { instance: { spec: { strategy: 'production' } } } }, kubeconfig });
    const outputs = await createInstallJaegerStep({ pollMs: 10 }).run(ctx);
    expect(outputs.applied).toEqual(['Jaeger jaeger/jaeger']);
    const stored = api.get('jaegertracing.io/v1', 'jaegers', 'jaeger', 'jaeger');
    expect(stored?.spec).toEqual({ strategy: 'production' });
    expect(stored?.metadata?.labels).toMatchObject({ 'gitpod.io/cluster': 'eu17' });
  });

  it('waits for the workloads of the Gitpod release and fails with the pod reason when stuck', async () => {
    const manifest = `---\n${deploymentYaml('ws-manager', 'default')}---\napiVersion: v1\nkind: Service\nmetadata: {name: ws-manager}\n`;
    ({ restore } = await fakeHelmOnPath([VERSION, { match: ['list'], stdout: '[]' }, { match: ['upgrade'], stdout: releaseJson({ status: 'deployed', revision: 1, manifest }) }]));
    api.put(deployment('ws-manager', 'default', 0));
    api.put(pod('ws-manager-1', 'default', 'ws-manager', 'CrashLoopBackOff'));
    const world = gitpodWorld(root);
    const gitpod = { ...(world.config.gitpod as object), timeoutSeconds: 1 };
    const kubeconfig = api.writeKubeconfig(apiDir, 'token-g');
    const { ctx } = makeContext({ root, config: { ...world.config, gitpod }, kubeconfig });
    const error = await createInstallGitpodStep({ pollMs: 50 }).run(ctx).catch((e: unknown) => e);
    expect(isWsdError(error) && error.code).toBe('KubernetesError');
    expect((error as Error).message).toContain('deployment ws-manager: 0/1 ready, reason CrashLoopBackOff');

    api.put(deployment('ws-manager', 'default', 1));
    const outputs = await createInstallGitpodStep({ pollMs: 50 }).run(ctx);
    expect(outputs.releases).toEqual([expect.objectContaining({ name: 'gitpod', status: 'deployed', revision: 1 })]);
  });
});

function deploymentYaml(name: string, namespace?: string): string {
  return `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${name}${namespace ? `, namespace: ${namespace}` : ''}}\nspec:\n  replicas: 1\n  selector: {matchLabels: {component: ${name}}}\n  template: {metadata: {labels: {component: ${name}}}, spec: {containers: [{name: ${name}, image: x}]}}\n`;
}
