/**
 * The whole life of a sandbox cluster with the real terraform binary and the
 * local backend: generate → init → plan → apply → outputs → no-op plan →
 * regenerate → destroy → empty state.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { CLUSTER_OUTPUTS, writeRootModule } from '../../../src/tools/terraform/generator.js';
import { Terraform } from '../../../src/tools/terraform/terraform.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { sandboxInput, tempDir } from './sandbox-fixture.js';

describe.skipIf(!requireBinary('terraform', 'terraform integration tests'))('terraform lifecycle with the local backend', () => {
  let root: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    root = await tempDir('wsd-tf-local-');
  });
  afterAll(async () => {
    await root.cleanup();
  });

  it('applies, reads outputs back, plans no changes, and destroys from regenerated files', async () => {
    const workDir = join(root.dir, 'work');
    const input = sandboxInput({ type: 'local', path: join(root.dir, 'state', 'cluster.tfstate') });
    const sink = new MemorySink();
    const logFile = join(root.dir, 'logs', 'create-cluster.log');
    const tf = new Terraform({ workDir, sink, logFile, cluster: 'eu17', step: 'create-cluster' });

    await writeRootModule(workDir, input);
    const started = Date.now();
    await tf.init();
    const plan = await tf.plan('cluster.plan');
    expect(plan).toEqual({ hasChanges: true, changes: { add: 2, change: 0, remove: 0, import: 0 } });
    expect(await tf.apply('cluster.plan')).toMatchObject({ add: 2 });
    const applyMs = Date.now() - started;

    const outputs = await tf.output();
    expect(Object.keys(outputs).sort()).toEqual([...CLUSTER_OUTPUTS].sort());
    expect(outputs.cluster_name).toEqual({ value: 'gp-dev-ws-eu17-eu-west1', sensitive: false, type: 'string' });
    expect(outputs.ws_manager_host?.value).toBe('ws-eu17.gitpod-dev.com');
    expect(outputs.workspace_host?.value).toBe('*.ws-eu17.gitpod-dev.com');
    expect(outputs.endpoint).toMatchObject({ sensitive: true, value: expect.stringMatching(/^203\.0\.113\.\d+$/) });
    expect(Buffer.from(String(outputs.ca_certificate?.value), 'base64').toString()).toContain('BEGIN CERTIFICATE');

    // State is where the backend says, and the second plan is a no-op.
    expect(await readFile(join(root.dir, 'state', 'cluster.tfstate'), 'utf8')).toContain('terraform_data');
    expect(await tf.plan('again.plan')).toMatchObject({ hasChanges: false });
    expect(await tf.stateList()).toEqual(['module.cluster.terraform_data.cluster', 'module.cluster.terraform_data.dns']);

    // The run never used ~/.terraformrc: terraform warns when the configured CLI config is missing.
    const log = await readFile(logFile, 'utf8');
    expect(log).not.toContain('.terraformrc');
    expect(log).toContain('"type":"change_summary"');
    expect(sink.codes()).toContain('terraform.command');

    // Destroy from a fresh working dir with files regenerated from the same input.
    const destroyDir = join(root.dir, 'destroy');
    await writeRootModule(destroyDir, input);
    for (const name of ['backend.tf.json', 'main.tf.json', 'outputs.tf.json']) {
      expect(await readFile(join(destroyDir, name), 'utf8')).toBe(await readFile(join(workDir, name), 'utf8'));
    }
    const destroyer = new Terraform({ workDir: destroyDir });
    await destroyer.init();
    expect(await destroyer.plan('destroy.plan', { destroy: true })).toMatchObject({ hasChanges: true, changes: { remove: 2 } });
    expect(await destroyer.apply('destroy.plan')).toMatchObject({ remove: 2 });
    expect(await destroyer.stateList()).toEqual([]);
    expect(await tf.stateList()).toEqual([]);
    expect((await readdir(destroyDir)).filter((f) => f.endsWith('.tf.json')).sort()).toEqual(['backend.tf.json', 'main.tf.json', 'outputs.tf.json']);

    // Reported only: speed is measured by `npm run bench`, not asserted here.
    console.info(`sandbox init+plan+apply took ${applyMs} ms`);
  });

  it('reports an empty state list before anything was applied', async () => {
    const workDir = join(root.dir, 'fresh');
    await writeRootModule(workDir, sandboxInput({ type: 'local', path: join(root.dir, 'state', 'fresh.tfstate') }));
    const tf = new Terraform({ workDir });
    await tf.init();
    expect(await tf.stateList()).toEqual([]);
    expect(await tf.output()).toEqual({});
  });
});
