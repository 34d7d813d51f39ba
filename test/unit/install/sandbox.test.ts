/**
 * Sandbox clusters have no Kubernetes API: install steps render into
 * `<clusterDir>/releases/<release>/` (helm template when helm is there, the
 * recorded invocation otherwise) and still list their releases in outputs; the
 * alive test reads the simulated health from `sandbox-health.json`.
 */
import { mkdirSync as mkdirHealth } from 'node:fs';
import { sandboxHealthPath } from '../../../src/steps/alive/cluster-checks.js';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isWsdError } from '../../../src/core/errors.js';
import { aliveTestStep } from '../../../src/steps/alive/alive-test.js';
import { createInstallGitpodStep } from '../../../src/steps/install/install-gitpod.js';
import { createInstallJaegerStep } from '../../../src/steps/install/install-jaeger.js';
import { createInstallMonitoringStep } from '../../../src/steps/install/install-monitoring.js';
import { VERSION, fakeHelmOnPath, gitpodWorld } from '../../fixtures/install/helm-fixture.js';
import { makeContext } from '../../fixtures/install/step-context.js';

let root: string;
let restore: (() => Promise<void>) | undefined;
const originalPath = process.env.PATH;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'wsd-sandbox-'));
});
afterEach(async () => {
  await restore?.();
  restore = undefined;
  process.env.PATH = originalPath;
  rmSync(root, { recursive: true, force: true });
});

function sandboxContext(config: Record<string, unknown>) {
  return makeContext({ root, config, cluster: { type: 'sandbox', name: 'sandbox-eu17', shortName: 'eu17' } });
}

describe('install steps on a sandbox cluster', () => {
  it('refuses to render without helm, naming the fix, instead of recording', async () => {
    process.env.PATH = join(root, 'no-helm-here');
    process.env.WSD_NO_PACKAGED_HELM = '1';
    try {
      const world = gitpodWorld(root);
      const { ctx } = sandboxContext(world.config);
      const step = createInstallGitpodStep();
      expect(await step.check!(ctx)).toEqual({ action: 'proceed', reason: 'rendering client-side' });
      const error = await step.run(ctx).catch((e: unknown) => e);
      expect(isWsdError(error) && error.code).toBe('ToolMissing');
      expect((error as Error).message).toMatch(/helm is not installed or not on PATH; install helm >= 3\.12 .* or run `npm ci`/);
      expect(existsSync(join(ctx.clusterDir, 'releases', 'gitpod', 'manifest.yaml'))).toBe(false);
    } finally {
      delete process.env.WSD_NO_PACKAGED_HELM;
    }
  });

  it('renders with helm template when helm is on PATH, never with a kubeconfig', async () => {
    let helm;
    ({ helm, restore } = await fakeHelmOnPath([VERSION, { match: ['template'], stdout: '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: server\n' }]));
    const world = gitpodWorld(root);
    const { ctx } = sandboxContext(world.config);
    const outputs = (await createInstallGitpodStep().run(ctx)) as { releases: Array<Record<string, unknown>> };
    const calls = await helm.calls();
    expect(calls.map((c) => c.argv[0])).toEqual(['version', 'template']);
    expect(calls.every((c) => !c.argv.includes('--kubeconfig') && c.env.KUBECONFIG === null)).toBe(true);
    expect(readFileSync(join(ctx.clusterDir, 'releases', 'gitpod', 'manifest.yaml'), 'utf8')).toContain('name: server');
    expect(outputs.releases[0]).toMatchObject({ rendering: 'helm template', status: 'rendered', helmVersion: VERSION.stdout, objects: 1, checked: 1 });
  });

  it('refuses a rendered object the Kubernetes schema rejects, naming object and field', async () => {
    ({ restore } = await fakeHelmOnPath([
      VERSION,
      { match: ['template'], stdout: 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: server}\nspec:\n  replicas: one\n  selector: {matchLabels: {a: b}}\n  template: {spec: {containers: [{name: a, image: b}]}}\n' },
    ]));
    const world = gitpodWorld(root);
    const { ctx } = sandboxContext(world.config);
    const error = await createInstallGitpodStep().run(ctx).catch((e: unknown) => e);
    expect(isWsdError(error) && error.code).toBe('StepFailed');
    expect((error as Error).message).toContain('release gitpod renders objects Kubernetes would refuse:\n  Deployment/server: /spec/replicas must be integer');
  });

  it('renders monitoring manifests and jaeger (chart + Jaeger resource) into the cluster folder', async () => {
    ({ restore } = await fakeHelmOnPath([VERSION, { match: ['template'], stdout: 'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: jaeger-operator}\n' }]));
    const manifests = join(root, 'monitoring');
    mkdirSync(manifests);
    writeFileSync(
      join(manifests, '10-prometheus.yaml'),
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: prometheus}\nspec: {selector: {matchLabels: {a: b}}, template: {spec: {containers: [{name: p, image: p}]}}}\n',
    );
    writeFileSync(
      join(manifests, '00-crd.yaml'),
      'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: servicemonitors.monitoring.coreos.com}\n' +
        'spec: {group: monitoring.coreos.com, names: {kind: ServiceMonitor, plural: servicemonitors}, scope: Namespaced, versions: [{name: v1, served: true, storage: true}]}\n',
    );
    const config = { jaeger: {}, monitoring: { manifests: { directory: manifests } } };

    const { ctx } = sandboxContext(config);
    const monitoring = (await createInstallMonitoringStep().run(ctx)) as { releases: Array<Record<string, unknown>> };
    expect(monitoring.releases).toEqual([expect.objectContaining({ name: 'monitoring-satellite', chart: `manifests:${manifests}`, status: 'rendered' })]);
    expect(readFileSync(join(ctx.clusterDir, 'releases', 'monitoring-satellite', 'manifest.yaml'), 'utf8')).toMatch(/CustomResourceDefinition[\s\S]*prometheus/);

    const jaeger = (await createInstallJaegerStep().run(ctx)) as { releases: Array<Record<string, unknown>> };
    expect(jaeger.releases.map((r) => [r.name, r.chart, r.version])).toEqual([
      ['jaeger-operator', 'jaeger-operator', '2.57.0'],
      ['jaeger-operator-instance', 'manifests:jaeger.instance', '-'],
    ]);
    expect(readFileSync(join(ctx.clusterDir, 'releases', 'jaeger-operator-instance', 'manifest.yaml'), 'utf8')).toContain('kind: Jaeger');
    // The Jaeger custom resource has no built-in schema: counted, reported unchecked, not an error.
    expect(jaeger.releases[1]).toMatchObject({ objects: 1, checked: 0, uncheckedKinds: ['jaegertracing.io/v1 Jaeger'] });
    expect(monitoring.releases[0]).toMatchObject({ objects: 2, checked: 2, uncheckedKinds: [] });
  });
});

describe('alive test on a sandbox cluster', () => {
  const config = { aliveTest: { timeoutSeconds: 0.4, pollIntervalSeconds: 0.05 } };

  it('passes when sandbox-health.json is missing', async () => {
    const { ctx } = sandboxContext(config);
    const outputs = await aliveTestStep.run(ctx);
    expect(outputs).toMatchObject({ sandbox: true, checks: [{ name: 'sandbox health sandbox-eu17', state: 'healthy (no sandbox/health/sandbox-eu17.json in the state dir)' }] });
  });

  it('fails with the reason when the sandbox cluster is unhealthy', async () => {
    const { ctx } = sandboxContext(config);
    writeFileSync(healthFile(ctx), JSON.stringify({ healthy: false, reason: 'ws-manager crash-looping' }));
    const error = await aliveTestStep.run(ctx).catch((e: unknown) => e);
    expect(isWsdError(error) && error.code).toBe('AliveTestFailed');
    expect((error as Error).message).toMatch(/^alive test failed after \d+ s: sandbox health sandbox-eu17: sandbox cluster sandbox-eu17 is unhealthy: ws-manager crash-looping$/);
  });

  it('passes once the cluster becomes healthy within the timeout', async () => {
    const { ctx, sink } = sandboxContext({ aliveTest: { timeoutSeconds: 5, pollIntervalSeconds: 0.05 } });
    const file = healthFile(ctx);
    writeFileSync(file, JSON.stringify({ healthy: false, reason: 'starting' }));
    const timer = setTimeout(() => writeFileSync(file, JSON.stringify({ healthy: true })), 150);
    try {
      await aliveTestStep.run(ctx);
    } finally {
      clearTimeout(timer);
    }
    expect(sink.codes()).toContain('alive.wait');
    expect(sink.codes().at(-1)).toBe('alive.pass');
  });

  it('rejects a malformed health file at once instead of calling it unhealthy', async () => {
    const { ctx } = sandboxContext({ aliveTest: { timeoutSeconds: 60, pollIntervalSeconds: 0.05 } });
    writeFileSync(healthFile(ctx), '{"healthy": "yes"}');
    const started = Date.now();
    await expect(aliveTestStep.run(ctx)).rejects.toThrow('has no boolean "healthy"');
    expect(Date.now() - started).toBeLessThan(30_000); // not the 60 s alive timeout
  });

  it('plans only the sandbox health check', () => {
    const { ctx } = sandboxContext({ ...config, aliveTest: { ...config.aliveTest, command: { argv: ['./check.sh'] } } });
    expect(aliveTestStep.describe(ctx).map((a) => a.description)).toEqual([`sandbox health from ${healthFile(ctx)}`]);
  });
});

/** The sandbox health file of the test cluster (its folder created). */
function healthFile(ctx: { sharedDir: string; cluster: { name: string } }): string {
  const file = sandboxHealthPath(ctx.sharedDir, ctx.cluster.name);
  mkdirHealth(join(file, '..'), { recursive: true });
  return file;
}
