/**
 * The quick start, in process: `deploy --config examples/sandbox.yaml` twice
 * with every real step (Terraform, rendered releases, alive test, registration)
 * plus the traffic shift and the retirement. The first generation takes all
 * starts at once; the second shifts onto its clusters under the simulator's
 * gates and destroys the first generation with terraform.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../../helpers/require-binary.js';
import { MemorySink } from '../../../src/core/events.js';
import { Redactor } from '../../../src/core/redact.js';
import { parseConfig } from '../../../src/config/load.js';
import { startDeployment } from '../../../src/engine/deployment.js';
import { sandboxRegistry, stopSandboxRegistries } from '../../../src/sandbox/sandbox-registry.js';
import { FileStateStore } from '../../../src/state/file-store.js';
import { allSteps } from '../../../src/steps/all-steps.js';
import { createRetireStep } from '../../../src/steps/retire/retire-step.js';
import { createTrafficShiftStep } from '../../../src/steps/traffic/traffic-shift-step.js';
import { wideStep } from './harness.js';
import { renderSummary } from '../../../src/report/summary.js';

const ready = requireBinary('terraform', 'the sandbox creates clusters with real terraform') && requireBinary('openssl', 'sandbox TLS material');

describe.skipIf(!ready)('sandbox quick start with traffic shift and retirement', () => {
  let dir = '';
  afterAll(async () => {
    await stopSandboxRegistries();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('promotes the first generation, then shifts to the second and retires the first', async () => {
    dir = await mkdtemp(join(tmpdir(), 'wsd-quickstart-'));
    const file = join(process.cwd(), 'examples', 'sandbox.yaml');
    const loaded = parseConfig(readFileSync(file, 'utf8'), file);
    const store = new FileStateStore(join(dir, 'state'));
    const sink = new MemorySink();
    const deploy = (clusterId: number) =>
      startDeployment(loaded, { dryRun: false, overwrite: false, yes: false, verbose: false, failFast: false, clusterId }, {
        store,
        sink,
        signal: new AbortController().signal,
        redactor: new Redactor(),
        steps: allSteps(),
        deploymentSteps: [createTrafficShiftStep({ nonInteractive: true }), createRetireStep({ store, nonInteractive: true })],
        probe: async () => ({ exists: false }),
      });
    const started = Date.now();
    const first = await deploy(11);
    expect(first.state, JSON.stringify(first.error)).toBe('succeeded');
    expect(wideStep(first, 'traffic-shift')?.outputs).toMatchObject({ outcome: 'promoted', firstGeneration: true });
    const firstTable = renderSummary(first);
    expect(firstTable).toMatch(/\ntraffic shift: done\n$/);
    expect(firstTable).toMatch(/traffic-shift +succeeded .* promoted \(first generation\)\n/);
    expect(firstTable).toMatch(/retire-old-clusters +succeeded .* no old clusters to retire\n/);
    // Registered staff-only (the example's registration), promoted for everyone.
    const afterFirst = (await sandboxRegistry(store.root, 'dev-meta-eu01')).list();
    expect(afterFirst.map((c) => [c.name, c.state, c.score, c.admissionConstraints.length]).sort()).toEqual([
      ['eu11', 'AVAILABLE', 100, 0],
      ['us11', 'AVAILABLE', 100, 0],
    ]);
    const second = await deploy(12);
    expect(second.state, JSON.stringify(second.error)).toBe('succeeded');
    expect(wideStep(second, 'traffic-shift')?.outputs).toMatchObject({ outcome: 'promoted', oldClusters: [{ name: 'eu11' }, { name: 'us11' }] });
    const secondTable = renderSummary(second);
    expect(secondTable).toMatch(/\ntraffic shift: done\nlast decisions:\n/);
    expect(secondTable).toMatch(/traffic-shift +succeeded .* promoted; eu11, us11 cordoned\n/);
    expect(secondTable).toMatch(/retire-old-clusters +succeeded .* eu11 destroyed, us11 destroyed\n/);
    expect(wideStep(second, 'retire-old-clusters')?.outputs).toMatchObject({ retired: [{ name: 'eu11', destroyed: true }, { name: 'us11', destroyed: true }] });
    const list = (await sandboxRegistry(store.root, 'dev-meta-eu01')).list();
    expect(list.map((c) => [c.name, c.state, c.score, c.admissionConstraints.length]).sort()).toEqual([
      ['eu12', 'AVAILABLE', 100, 0],
      ['us12', 'AVAILABLE', 100, 0],
    ]);
    // "within a couple of minutes" for both deploys on this machine.
    expect(Date.now() - started).toBeLessThan(180_000);
    await store.close();
  }, 240_000);
});
