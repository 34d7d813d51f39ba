/**
 * The sandbox's local charts (examples/sandbox/charts) rendered by real helm, both
 * majors, with exactly the values ws-deployment generates: lint-clean, every built-in
 * object schema-valid, and a generated key that is renamed fails the render
 * (a rendering difference, not silence).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readVersionsManifest } from '../../../src/config/files/versions-manifest.js';
import { packageFile } from '../../../src/core/package-files.js';
import { gitpodGeneratedValues, installationValues, generatedValuesPath, writeGeneratedValues } from '../../../src/steps/install/generated-values.js';
import type { Values } from '../../../src/config/files/values-file.js';
import { Helm, type ReleaseSpec } from '../../../src/tools/helm.js';
import { parseManifests } from '../../../src/tools/kube/apply.js';
import { checkObjects } from '../../../src/tools/kube/schema-check.js';
import { cluster } from '../../fixtures/install/step-context.js';
import { realHelms } from '../../fixtures/install/real-helm.js';

const charts = packageFile('examples', 'sandbox', 'charts');
const target = cluster({ type: 'sandbox', name: 'gp-dev-ws-eu100-eu-west1', shortName: 'eu100' });

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'wsd-sandbox-charts-'));
});
afterEach(() => {
  delete process.env.WSD_HELM;
  rmSync(root, { recursive: true, force: true });
});

function gitpodValues(): Values {
  const versions = readVersionsManifest(packageFile('examples', 'sandbox', 'versions.yaml'));
  return gitpodGeneratedValues({ cluster: target, environment: 'development', domain: 'sandbox.gitpod-dev.test', versions });
}

function spec(release: string, chart: string, values: Values, extraFiles: string[] = []): ReleaseSpec {
  const file = generatedValuesPath(root, release);
  writeGeneratedValues(file, values);
  return { release, namespace: 'default', chart: { name: chart, path: join(charts, chart) }, valuesFiles: [...extraFiles, file], set: {}, timeoutSeconds: 60, description: 'test' };
}

/** Moves a generated key to a misspelt name, as a typo in generated-values.ts would. */
function misspell(values: Values, from: string, to: string): Values {
  const copy = structuredClone(values) as Record<string, Record<string, unknown>>;
  const installation = copy.installation!;
  installation[to] = installation[from];
  delete installation[from];
  return copy as Values;
}

describe.each(realHelms().map((h) => [h.version, h] as const))('sandbox charts with helm %s', (_version, realHelm) => {
  function helm(): Helm {
    process.env.WSD_HELM = realHelm.path;
    return new Helm({ homeDir: join(root, 'helm') });
  }

  it('lint and render gitpod, jaeger-operator and monitoring-satellite with the generated values; every built-in object is schema-valid', async () => {
    const h = helm();
    const releases = [
      spec('gitpod', 'gitpod', gitpodValues(), [packageFile('examples', 'sandbox', 'values-common.yaml'), packageFile('examples', 'sandbox', 'values-us.yaml')]),
      spec('jaeger-operator', 'jaeger-operator', {}),
      spec('monitoring-satellite', 'monitoring-satellite', { ...installationValues(target, 'development'), clusterName: target.name }),
    ];
    const kinds: string[] = [];
    for (const release of releases) {
      expect(await h.lint(release)).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
      const objects = parseManifests(await h.template(release), release.release);
      const report = await checkObjects(objects);
      expect(report.violations).toEqual([]);
      expect(report.checked).toBe(objects.length);
      kinds.push(...objects.map((o) => `${o.kind}/${o.metadata?.name}`));
    }
    expect(kinds).toEqual(expect.arrayContaining(['ConfigMap/gitpod-installation', 'Deployment/ws-manager', 'Service/ws-manager', 'CustomResourceDefinition/jaegers.jaegertracing.io', 'Deployment/prometheus']));
  });

  it('carries the generated identity into the rendered objects', async () => {
    const manifest = await helm().template(spec('gitpod', 'gitpod', gitpodValues()));
    expect(manifest).toContain('workspaceHost: "ws-eu100.sandbox.gitpod-dev.test"');
    expect(manifest).toContain('gitpod.io/cluster: "eu100"');
    expect(manifest).toContain('image: "eu.gcr.io/gitpod-core-dev/build/ws-manager:commit-8d4f3a1"');
  });

  it.each([
    ['gitpod', 'shortname', 'shortName'],
    ['gitpod', 'region', 'regoin'],
    ['monitoring-satellite', 'cluster', 'clustre'],
  ])('%s: a generated installation.%s renamed to %s fails the render', async (chart, from, to) => {
    const values = chart === 'gitpod' ? gitpodValues() : { ...installationValues(target, 'development'), clusterName: target.name };
    const error = await helm().template(spec(chart, chart, misspell(values, from, to))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(new RegExp(`${to}|${from}`));
  });
});
