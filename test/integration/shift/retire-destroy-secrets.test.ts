/**
 * A secret terraform variable the old generation was created with, gone from the config of the
 * next one (renamed, removed): its value was never journaled, so the retirement cannot destroy
 * the old cluster without it. Real terraform, sandbox module. Expected: the retirement stops
 * before it touches the old cluster (still registered everywhere, its state intact), naming
 * the variable, the cluster and the fix; with `TF_VAR_<name>` exported, a resume destroys it.
 * `retire --cluster` refuses the same way, before it asks anything of the registries.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { MemorySink } from '../../../src/core/events.js';
import { Redactor } from '../../../src/core/redact.js';
import { createCluster } from '../../../src/steps/create-cluster/create-cluster.js';
import { createRetireStep } from '../../../src/steps/retire/retire-step.js';
import { retireStandalone } from '../../../src/steps/retire/retire-standalone.js';
import { createTrafficShiftStep } from '../../../src/steps/traffic/traffic-shift-step.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { configText, createHarness, METAS, SIM_ANALYSIS, wideStep, type Harness } from './harness.js';

const hasTerraform = requireBinary('terraform', 'retiring destroys the sandbox cluster with real terraform');

const SECRET = 'old-generation-secret-4711';
const SHIFT = `  steps: [50, 100]
  interval: 1s
  retire: { drainTimeout: 60s, destroy: true }
  gates: { beforeDestroy: auto }
${SIM_ANALYSIS}`;
const WITH_SECRET = `${configText(SHIFT)}\nterraform:\n  variables: { sandbox_secret: "${SECRET}" }\n`;

function resources(stateFile: string): number {
  if (!existsSync(stateFile)) return 0;
  return (JSON.parse(readFileSync(stateFile, 'utf8')) as { resources?: unknown[] }).resources?.length ?? 0;
}

describe.skipIf(!hasTerraform)('retiring a cluster whose secret terraform variable left the config', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    delete process.env.TF_VAR_sandbox_secret;
    await h?.close();
  });

  it('stops before touching it, names variable, cluster and fix, and destroys it once TF_VAR_ is exported', async () => {
    h = await createHarness(SHIFT);
    const withoutSecret = h.loaded;
    h.loaded = parseConfig(WITH_SECRET, join(h.dir, 'deploy.yaml'));
    const created = await h.deploy([], { clusterId: 1 }, undefined, [createCluster]);
    expect(created.state, JSON.stringify(created.error)).toBe('succeeded');
    const stateFile = join(h.store.root, 'terraform-state', 'gp-dev-ws-eu1-eu-west1.tfstate');
    expect(resources(stateFile)).toBeGreaterThan(0);

    // The next generation's config no longer has the variable.
    h.loaded = withoutSecret;
    await h.register('eu1', { cordoned: false, preferability: 'Prefer' });
    await h.register('eu2', { cordoned: true });
    const steps = () => [createTrafficShiftStep({ pollMs: 100, sandbox: { startsPerSecond: 60 } }), createRetireStep({ store: h!.store, pollMs: 200, sandbox: { startsPerSecond: 60, endShare: 0.8 } })];

    // `retire --cluster` refuses first, before the registries are asked anything.
    const standalone = retireStandalone({ config: h.loaded.config, store: h.store, name: 'eu1', yes: true, sink: new MemorySink(), redactor: new Redactor(), signal: new AbortController().signal });
    await expect(standalone).rejects.toThrow(/cluster eu1 was created \(deployment [^)]+\) with the secret terraform variable "sandbox_secret".*export TF_VAR_sandbox_secret/);

    const snap = await h.deploy(steps(), { clusterId: 2 });
    expect(snap.state).toBe('failed');
    const message = JSON.stringify(wideStep(snap, "retire-old-clusters")?.error ?? snap.error);
    expect(message).toContain('cluster eu1 was created');
    expect(message).toContain('variable \\"sandbox_secret\\"');
    expect(message).toContain('the retirement has not touched it');
    expect(message).toContain('export TF_VAR_sandbox_secret');
    expect(message).toContain('terraform.variables');
    // Nothing lost: still registered everywhere (the promoted shift cordoned it; the retirement did nothing), state intact.
    for (const meta of METAS) expect((await h.list(meta)).map((c) => c.name).sort()).toEqual(['eu1', 'eu2']);
    expect(resources(stateFile)).toBeGreaterThan(0);
    expect(wideStep(snap, 'retire-old-clusters')?.outputs?.progress).toBeUndefined();

    process.env.TF_VAR_sandbox_secret = SECRET;
    const resumed = await h.resume(snap.id, steps(), { clusterId: 2 });
    expect(resumed.state, JSON.stringify(resumed.error)).toBe('succeeded');
    expect(wideStep(resumed, 'retire-old-clusters')?.outputs).toMatchObject({ retired: [{ name: 'eu1', destroyed: true }] });
    expect(resources(stateFile)).toBe(0);
    for (const meta of METAS) expect((await h.list(meta)).map((c) => c.name)).toEqual(['eu2']);
    // The exported value was registered as a secret: no event shows it.
    expect(JSON.stringify(h.sink.events)).not.toContain(SECRET);
  }, 240_000);
});
