/**
 * The whole life cycle of a generation in the sandbox: an earlier deployment
 * created eu1 with real Terraform; the next one shifts traffic to eu2, drains
 * eu1 (simulated users end their sessions), deregisters it from both meta
 * clusters and destroys it with `terraform destroy` from the module input the
 * earlier deployment journaled.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { requireBinary } from '../../helpers/require-binary.js';
import { createCluster } from '../../../src/steps/create-cluster/create-cluster.js';
import { createRetireStep } from '../../../src/steps/retire/retire-step.js';
import { createTrafficShiftStep } from '../../../src/steps/traffic/traffic-shift-step.js';
import { createHarness, METAS, SIM_ANALYSIS, wideStep, type Harness } from './harness.js';

const hasTerraform = requireBinary('terraform', 'retiring destroys the sandbox cluster with real terraform');

const SHIFT = `  steps: [50, 100]
  interval: 1s
  retire: { drainTimeout: 60s, destroy: true }
  gates: { beforeDestroy: auto }
${SIM_ANALYSIS}`;

function resources(stateFile: string): number {
  if (!existsSync(stateFile)) return 0;
  return (JSON.parse(readFileSync(stateFile, 'utf8')) as { resources?: unknown[] }).resources?.length ?? 0;
}

describe.skipIf(!hasTerraform)('retire destroys what ws-deployment created', () => {
  let h: Harness | undefined;
  afterEach(async () => h?.close());

  it('drains, deregisters everywhere and terraform-destroys the previous generation', async () => {
    h = await createHarness(SHIFT);
    const created = await h.deploy([], { clusterId: 1 }, undefined, [createCluster]);
    expect(created.state, JSON.stringify(created.error)).toBe('succeeded');
    const stateFile = join(h.store.root, 'terraform-state', 'gp-dev-ws-eu1-eu-west1.tfstate');
    expect(resources(stateFile)).toBeGreaterThan(0);

    await h.register('eu1', { cordoned: false, preferability: 'Prefer' });
    await h.register('eu2', { cordoned: true });
    const snap = await h.deploy([createTrafficShiftStep({ pollMs: 100, sandbox: { startsPerSecond: 60 } }), createRetireStep({ store: h.store, pollMs: 200, sandbox: { startsPerSecond: 60, endShare: 0.8 } })], { clusterId: 2 });

    expect(snap.state, JSON.stringify(snap.error)).toBe('succeeded');
    expect(wideStep(snap, 'retire-old-clusters')?.outputs).toMatchObject({ retired: [{ name: 'eu1', cluster: 'gp-dev-ws-eu1-eu-west1', destroyed: true }] });
    expect(resources(stateFile)).toBe(0);
    // The emptied state and its backup are removed: one pair per destroyed cluster would pile up.
    expect(existsSync(stateFile)).toBe(false);
    expect(existsSync(`${stateFile}.backup`)).toBe(false);
    for (const meta of METAS) expect((await h.list(meta)).map((c) => c.name)).toEqual(['eu2']);
  }, 180_000);

  // A lost state (deleted, or a backend moved) makes terraform destroy remove nothing and succeed: the
  // operator was told "destroyed (0 resources)" while the cluster kept running.
  it('says so when terraform destroy removes nothing because the state of a cluster it created is gone', async () => {
    h = await createHarness(SHIFT);
    const created = await h.deploy([], { clusterId: 1 }, undefined, [createCluster]);
    expect(created.state, JSON.stringify(created.error)).toBe('succeeded');
    rmSync(join(h.store.root, 'terraform-state', 'gp-dev-ws-eu1-eu-west1.tfstate'));

    await h.register('eu1', { cordoned: false, preferability: 'Prefer' });
    await h.register('eu2', { cordoned: true });
    const snap = await h.deploy([createTrafficShiftStep({ pollMs: 100, sandbox: { startsPerSecond: 60 } }), createRetireStep({ store: h.store, pollMs: 200, sandbox: { startsPerSecond: 60, endShare: 0.8 } })], { clusterId: 2 });
    expect(snap.state, JSON.stringify(snap.error)).toBe('succeeded');
    const said = h.sink.events.filter((e) => e.code === 'retire.destroyed' || e.code === 'retire.destroyed-nothing').map((e) => e.message);
    console.log(JSON.stringify(h.sink.events.filter((e) => /destroy/.test(e.message)).map((e) => [e.code, e.message])));
    expect(said.join('\n')).not.toMatch(/destroyed \(0 resources\)/);
    expect(h.sink.events.find((e) => e.code === 'retire.destroyed-nothing')).toMatchObject({
      level: 'warn',
      message: expect.stringMatching(/gp-dev-ws-eu1-eu-west1: terraform destroy removed nothing: its state holds no resources though ws-deployment created the cluster.*may still run/),
    });
  }, 180_000);
});
