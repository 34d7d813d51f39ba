/** Config that deploy would ignore or refuse is refused by validate, at its position (issue 11 item 8). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, configDir, edit, problems, valid, type ConfigDir } from './helpers.js';

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
});
