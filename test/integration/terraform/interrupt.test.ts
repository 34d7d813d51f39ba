/**
 * Aborting an apply sends terraform SIGINT: it stops the running operation,
 * writes its state and releases the state lock, so the next plan just works.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { writeRootModule } from '../../../src/tools/terraform/generator.js';
import { Terraform } from '../../../src/tools/terraform/terraform.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { sandboxInput, tempDir } from './sandbox-fixture.js';

describe.skipIf(!requireBinary('terraform', 'terraform integration tests'))('interrupting terraform', () => {
  let root: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    root = await tempDir('wsd-tf-int-');
  });
  afterAll(async () => {
    await root.cleanup();
  });

  it('turns an abort during apply into Interrupted and leaves the state unlocked', async () => {
    const workDir = join(root.dir, 'work');
    const statePath = join(root.dir, 'state', 'cluster.tfstate');
    // The slow resource sleeps 60 s: far longer than the test waits.
    await writeRootModule(workDir, sandboxInput({ type: 'local', path: statePath }, { sandbox_apply_seconds: 60 }));
    const sink = new MemorySink();
    const tf = new Terraform({ workDir, sink, killGraceMs: 20_000 });
    await tf.init();
    await tf.plan('cluster.plan');

    const controller = new AbortController();
    const started = Date.now();
    const apply = tf.apply('cluster.plan', { signal: controller.signal });
    // Abort once terraform reports that the slow resource is being created.
    const deadline = Date.now() + 15_000;
    while (!sink.events.some((e) => e.message.includes('terraform_data.slow[0]: Creating')) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(sink.events.some((e) => e.message.includes('terraform_data.slow[0]: Creating'))).toBe(true);
    controller.abort();
    await expect(apply).rejects.toMatchObject({ code: 'Interrupted' });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(20_000);

    // Terraform exited by itself (no SIGKILL): it released the lock and kept what it had created.
    await expect(access(join(root.dir, 'state', '.cluster.tfstate.lock.info'))).rejects.toThrow();
    const tf2 = new Terraform({ workDir });
    const next = await tf2.plan('next.plan');
    expect(next.hasChanges).toBe(true);
    const state = await tf2.stateList();
    expect(state).toContain('module.cluster.terraform_data.cluster');
    console.info(`abort → terraform exit took ${elapsed} ms including the start of apply`);
  });
});
