/**
 * Cross rules run on the partially validated config (also when other fields failed, so one run
 * reports every problem): any field may still hold the user's raw value. The rule stated here: no
 * rule ever throws on malformed input — a wrong shape is reported by the field's own schema, and a
 * rule either ignores it or reads it as the documented default (a cluster type defaults to gke).
 */
import { describe, expect, it } from 'vitest';
import { bucketForGcsBackend } from '../../../../src/config/rules/backend-rules.js';
import { moduleSourceForCreatedClusters, simulatorNeedsSandboxMetas } from '../../../../src/config/rules/deploy-rules.js';
import { crossRules } from '../../../../src/config/rules/index.js';
import { bridgeRegionDerivable } from '../../../../src/config/rules/region-rules.js';

const junk = [null, 'oops', 5, [], [1]];

/** Configs with a wrong shape somewhere each rule looks. */
const MALFORMED: unknown[] = [
  undefined,
  null,
  'text',
  [],
  {},
  { metaClusters: 'x', workspaceClusters: 'y' },
  { metaClusters: junk, workspaceClusters: junk },
  { metaClusters: [{ name: 'meta' }], workspaceClusters: junk.map((v) => ({ governedBy: v, name: v, prefix: v, region: v, type: v, valuesFiles: v })) },
  { environment: 'production', workspaceClusters: [null, { prefix: 'eu' }, { region: 'europe-west1' }] },
  { trafficShift: {} },
  { trafficShift: { analysis: {} } },
  { trafficShift: { analysis: { provider: 'simulator' } } },
  { trafficShift: 'x', metaClusters: junk },
  { terraform: {} },
  { terraform: { module: {} } },
  { terraform: { module: 'x', generator: 'y' }, workspaceClusters: junk },
  { project: {}, terraform: { backend: 'x' }, workspaceClusters: junk },
  { project: 'x', terraform: 'y' },
  { gitpod: 'x', jaeger: { valuesFiles: 'x', dependsOn: 'y' }, monitoring: { dependsOn: junk } },
  { gitpod: { versionsManifest: 5, valuesFiles: junk } },
];

describe('cross rules on malformed input', () => {
  it('never throw, whatever shape a field has', () => {
    for (const config of MALFORMED) {
      for (const rule of crossRules) expect(() => rule(config), `${rule.name} on ${JSON.stringify(config)}`).not.toThrow();
    }
  });

  it('run every rule: 16 of them, each a function', () => {
    expect(crossRules).toHaveLength(16);
    expect(new Set(crossRules).size).toBe(16);
  });

  it('read a non-mapping workspace cluster as the default gke type for the gcs backend', () => {
    expect(bucketForGcsBackend({ project: {}, workspaceClusters: ['oops'] })).toEqual([
      {
        path: ['project', 'bucket'],
        message: 'missing required key "bucket": workspaceClusters[0] (gke) use the gcs backend, the default for gke and k3s; set project.bucket or terraform.backend.type local or pg',
      },
    ]);
  });

  it('read a non-mapping meta cluster as the default gke type for the simulator provider', () => {
    expect(simulatorNeedsSandboxMetas({ trafficShift: { analysis: { provider: { type: 'simulator' } } }, metaClusters: ['oops'] })).toEqual([
      {
        path: ['trafficShift', 'analysis', 'provider', 'type'],
        message:
          "the simulator provider reads the sandbox registry's counters and needs every meta cluster to be type sandbox, but metaClusters[0] (gke) is not a sandbox meta cluster; use provider type prometheus for real meta clusters",
      },
    ]);
  });

  it('ask for the module when terraform has a module section without a source', () => {
    expect(moduleSourceForCreatedClusters({ terraform: { module: { version: '1' } }, workspaceClusters: [{ type: 'k3s' }] })).toHaveLength(1);
  });

  it('need bridgeRegion on every meta cluster (a malformed one has none) to skip the derivation', () => {
    expect(bridgeRegionDerivable({ metaClusters: [{ bridgeRegion: 'europe' }, 'oops'], workspaceClusters: [{ region: 'mars-base1' }] })).toHaveLength(1);
  });
});
