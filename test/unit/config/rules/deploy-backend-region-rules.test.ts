/**
 * Rules about what plan/deploy would refuse or ignore (deploy-rules.ts), where Terraform state lives
 * (backend-rules.ts) and bridge regions (region-rules.ts), called directly on partially validated
 * config objects. Messages are written out in full: they are the user's only guide to the fix.
 */
import { describe, expect, it } from 'vitest';
import { bucketForGcsBackend } from '../../../../src/config/rules/backend-rules.js';
import { moduleSourceForCreatedClusters, noBridgeOnSandboxMeta, simulatorNeedsSandboxMetas } from '../../../../src/config/rules/deploy-rules.js';
import { bridgeRegionDerivable } from '../../../../src/config/rules/region-rules.js';

describe('bridge on a sandbox meta cluster', () => {
  it('is reported at the bridge key of each sandbox meta cluster that sets it, and nowhere else', () => {
    const config = { metaClusters: [{ type: 'gke', bridge: {} }, { type: 'sandbox', bridge: { port: 1 } }, { type: 'sandbox' }, 'oops'] };
    expect(noBridgeOnSandboxMeta(config)).toEqual([
      {
        path: ['metaClusters', 1, 'bridge'],
        message:
          "metaClusters[1] is type sandbox, which always uses the sandbox's embedded registry, so bridge would be ignored; remove bridge, or set type: gke to reach a real ws-manager-bridge",
      },
    ]);
  });
});

describe('simulator provider', () => {
  const simulator = { analysis: { provider: { type: 'simulator' } } };
  const path = ['trafficShift', 'analysis', 'provider', 'type'];
  const tail = "; use provider type prometheus for real meta clusters";
  const head = "the simulator provider reads the sandbox registry's counters and needs every meta cluster to be type sandbox, but ";

  it('is fine with only sandbox meta clusters, and not checked for other providers', () => {
    expect(simulatorNeedsSandboxMetas({ trafficShift: simulator, metaClusters: [{ type: 'sandbox' }, { type: 'sandbox' }] })).toEqual([]);
    expect(simulatorNeedsSandboxMetas({ trafficShift: { analysis: { provider: { type: 'prometheus' } } }, metaClusters: [{ type: 'gke' }] })).toEqual([]);
    expect(simulatorNeedsSandboxMetas({ metaClusters: [{ type: 'gke' }] })).toEqual([]);
  });

  it('names the one real meta cluster (gke when the type is missing or not a string)', () => {
    expect(simulatorNeedsSandboxMetas({ trafficShift: simulator, metaClusters: [{ type: 'sandbox' }, {}] })).toEqual([
      { path, message: `${head}metaClusters[1] (gke) is not a sandbox meta cluster${tail}` },
    ]);
    expect(simulatorNeedsSandboxMetas({ trafficShift: simulator, metaClusters: [{ type: 3 }] })).toEqual([
      { path, message: `${head}metaClusters[0] (gke) is not a sandbox meta cluster${tail}` },
    ]);
  });

  it('names several real meta clusters with "are"', () => {
    expect(simulatorNeedsSandboxMetas({ trafficShift: simulator, metaClusters: [{ type: 'gke' }, { type: 'sandbox' }, { type: 'k3s' }] })).toEqual([
      { path, message: `${head}metaClusters[0] (gke), metaClusters[2] (k3s) are not a sandbox meta cluster${tail}` },
    ]);
  });

  it('says when there is no meta cluster at all', () => {
    expect(simulatorNeedsSandboxMetas({ trafficShift: simulator, metaClusters: [] })).toEqual([{ path, message: `${head}there is no meta cluster${tail}` }]);
    expect(simulatorNeedsSandboxMetas({ trafficShift: simulator })).toEqual([{ path, message: `${head}there is no meta cluster${tail}` }]);
  });
});

describe('terraform module for created clusters', () => {
  const message = (index: number, type: string) =>
    `workspaceClusters[${index}] is a ${type} cluster that Terraform creates, but terraform.module.source is not set; set it to the module that creates a workspace cluster (docs/terraform-module.md), or set create: false for an existing cluster`;

  it('is required for every created gke or k3s cluster (gke by default), at its type', () => {
    const config = { workspaceClusters: [{ type: 'gke' }, {}, { type: 'k3s', create: true }, { type: 'sandbox' }, { type: 'gke', create: false }, { type: 5 }, 'oops'] };
    expect(moduleSourceForCreatedClusters(config)).toEqual([
      { path: ['workspaceClusters', 0, 'type'], message: message(0, 'gke') },
      { path: ['workspaceClusters', 1, 'type'], message: message(1, 'gke') },
      { path: ['workspaceClusters', 2, 'type'], message: message(2, 'k3s') },
    ]);
  });

  it('is not required when the module is set or an external generator writes the Terraform', () => {
    const clusters = [{ type: 'gke' }];
    expect(moduleSourceForCreatedClusters({ terraform: { module: { source: './mod' } }, workspaceClusters: clusters })).toEqual([]);
    expect(moduleSourceForCreatedClusters({ terraform: { generator: { mode: 'external' } }, workspaceClusters: clusters })).toHaveLength(0);
    expect(moduleSourceForCreatedClusters({ terraform: { generator: { mode: 'builtin' } }, workspaceClusters: clusters })).toEqual([
      { path: ['workspaceClusters', 0, 'type'], message: message(0, 'gke') },
    ]);
  });
});

describe('bucket for the gcs backend', () => {
  const path = ['project', 'bucket'];
  const fix = '; set project.bucket or terraform.backend.type local or pg';

  it('is required when terraform.backend.type is gcs', () => {
    expect(bucketForGcsBackend({ project: {}, terraform: { backend: { type: 'gcs' } }, workspaceClusters: [{ type: 'sandbox' }] })).toEqual([
      { path, message: `missing required key "bucket": terraform.backend.type is gcs${fix}` },
    ]);
  });

  it('is required by default for gke and k3s clusters, naming each (gke when the type is missing)', () => {
    const config = { project: {}, workspaceClusters: [{ type: 'gke' }, {}, { type: 'sandbox' }, { type: 'k3s' }, { type: 9 }] };
    expect(bucketForGcsBackend(config)).toEqual([
      {
        path,
        message: `missing required key "bucket": workspaceClusters[0] (gke), workspaceClusters[1] (gke), workspaceClusters[3] (k3s) use the gcs backend, the default for gke and k3s${fix}`,
      },
    ]);
  });

  it('is not required with a bucket, another backend, only sandbox clusters, or no project section', () => {
    expect(bucketForGcsBackend({ project: { bucket: 'b' }, terraform: { backend: { type: 'gcs' } } })).toEqual([]);
    expect(bucketForGcsBackend({ project: {}, terraform: { backend: { type: 'local' } }, workspaceClusters: [{ type: 'gke' }] })).toEqual([]);
    expect(bucketForGcsBackend({ project: {}, workspaceClusters: [{ type: 'sandbox' }] })).toEqual([]);
    expect(bucketForGcsBackend({ project: {} })).toEqual([]);
    expect(bucketForGcsBackend({ workspaceClusters: [{ type: 'gke' }] })).toEqual([]);
  });
});

describe('bridge region derivable', () => {
  const message = (region: string) => `cannot derive a bridge region from "${region}"; set bridgeRegion to europe, north-america, south-america, africa, asia or "" (any region)`;

  it('is reported for a GCP region outside the known continents, unless the cluster sets bridgeRegion', () => {
    const config = {
      metaClusters: [{ name: 'meta', bridgeRegion: 'europe' }, { name: 'meta-b' }],
      workspaceClusters: [{ region: 'europe-west1' }, { region: 'mars-base1' }, { region: 'mars-base2', bridgeRegion: '' }, { region: 'Not A Region' }, 'oops', { region: 'me-west1' }],
    };
    expect(bridgeRegionDerivable(config)).toEqual([{ path: ['workspaceClusters', 1, 'region'], message: message('mars-base1') }]);
  });

  it('is not needed when every meta cluster sets bridgeRegion, but is with no meta clusters', () => {
    const clusters = [{ region: 'mars-base1' }];
    expect(bridgeRegionDerivable({ metaClusters: [{ bridgeRegion: 'europe' }, { bridgeRegion: '' }], workspaceClusters: clusters })).toEqual([]);
    expect(bridgeRegionDerivable({ metaClusters: [], workspaceClusters: clusters })).toEqual([{ path: ['workspaceClusters', 0, 'region'], message: message('mars-base1') }]);
    expect(bridgeRegionDerivable({ workspaceClusters: clusters })).toHaveLength(1);
  });
});
