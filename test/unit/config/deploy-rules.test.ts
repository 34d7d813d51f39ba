/** Config that deploy would ignore or refuse is refused by validate, at its position (issue 11 item 8). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../../../src/config/issues.js';
import { parseConfig } from '../../../src/config/load.js';
import { BASE, configDir, edit, MODULE_TAIL, problems, valid, type ConfigDir } from './helpers.js';

let ctx: ConfigDir;
beforeAll(async () => {
  ctx = await configDir();
});
afterAll(() => ctx.cleanup());

const check = (text: string) => problems(text, ctx.file);
const sandboxMeta = (text: string) => edit(text, '    region: europe-west1\nworkspaceClusters:', '    region: europe-west1\n    type: sandbox\nworkspaceClusters:');
const SIMULATOR = 'trafficShift:\n  steps: [50, 100]\n  analysis:\n    provider: { type: simulator }\n    metrics:\n      - { name: failures, query: "failure_ratio({{shortName}}[{{interval}}])", threshold: { max: 0.1 } }\n';

describe('validate knows what deploy would ignore or refuse', () => {
  it('refuses bridge on a sandbox meta cluster, at the bridge key', () => {
    const text = edit(sandboxMeta(BASE), '    type: sandbox\n', '    type: sandbox\n    bridge: { address: "127.0.0.1:8080" }\n');
    expect(check(text)).toEqual([
      '12:13: metaClusters[0].bridge: metaClusters[0] is type sandbox, which always uses the sandbox\'s embedded registry, so bridge would be ignored; remove bridge, or set type: gke to reach a real ws-manager-bridge',
    ]);
  });

  it('accepts bridge on a gke meta cluster', () => {
    expect(() => valid(edit(BASE, '    region: europe-west1\nworkspaceClusters:', '    region: europe-west1\n    bridge: { address: "10.0.0.5:8080" }\nworkspaceClusters:'), ctx.file)).not.toThrow();
  });

  it('refuses the simulator provider when a meta cluster is real, at provider.type', () => {
    const lines = check(BASE + SIMULATOR);
    expect(lines).toEqual([
      '18:23: trafficShift.analysis.provider.type: the simulator provider reads the sandbox registry\'s counters and needs every meta cluster to be type sandbox, but metaClusters[0] (gke) is not a sandbox meta cluster; use provider type prometheus for real meta clusters',
    ]);
  });

  it('accepts the simulator provider with sandbox meta clusters', () => {
    expect(() => valid(sandboxMeta(BASE) + SIMULATOR, ctx.file)).not.toThrow();
  });

  describe('a created gke/k3s cluster needs terraform.module.source (plan refuses it otherwise)', () => {
    // An own terraform section without a module: helpers.ts adds none then.
    const NO_MODULE = 'terraform:\n  backend: { type: gcs, prefix: ws }\n';
    const K3S = '  - region: europe-west2\n    prefix: k\n    governedBy: prod-meta-eu01\n    type: k3s\n';

    it('refuses it at each such cluster: at its type, or at the item when gke is the default', () => {
      expect(check(BASE + K3S + NO_MODULE)).toEqual([
        '12:5: workspaceClusters[0].type: workspaceClusters[0] is a gke cluster that Terraform creates, but terraform.module.source is not set; set it to the module that creates a workspace cluster (docs/terraform-module.md), or set create: false for an existing cluster',
        '18:11: workspaceClusters[1].type: workspaceClusters[1] is a k3s cluster that Terraform creates, but terraform.module.source is not set; set it to the module that creates a workspace cluster (docs/terraform-module.md), or set create: false for an existing cluster',
      ]);
    });

    it('refuses the plain base config (no terraform section at all)', () => {
      let caught: unknown;
      try {
        parseConfig(BASE, ctx.file);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ConfigInvalidError);
      expect((caught as ConfigInvalidError).message).toMatch(/:12:5: workspaceClusters\[0\]\.type: .*terraform\.module\.source is not set/);
    });

    it('accepts a module source, an external generator, existing clusters and sandbox clusters', () => {
      expect(() => valid(BASE + K3S + MODULE_TAIL, ctx.file)).not.toThrow();
      expect(() => valid(`${BASE}${K3S}terraform:\n  generator: { mode: external, script: ./gen.sh, cwd: ./modules }\n`, ctx.file)).not.toThrow();
      const existing = edit(BASE, '    governedBy: prod-meta-eu01\n', '    governedBy: prod-meta-eu01\n    create: false\n');
      expect(() => valid(existing + NO_MODULE, ctx.file)).not.toThrow();
      const sandbox = edit(BASE, '    governedBy: prod-meta-eu01\n', '    governedBy: prod-meta-eu01\n    type: sandbox\n');
      expect(() => valid(sandbox + NO_MODULE, ctx.file)).not.toThrow();
    });
  });
});
