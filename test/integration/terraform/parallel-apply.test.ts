/**
 * Two clusters applied at the same time in different working dirs, each with its
 * own plugin cache (what the engine does when it creates clusters in parallel).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRootModule } from '../../../src/tools/terraform/generator.js';
import { Terraform } from '../../../src/tools/terraform/terraform.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { sandboxInput, tempDir } from './sandbox-fixture.js';

describe.skipIf(!requireBinary('terraform', 'terraform integration tests'))('parallel terraform runs', () => {
  let root: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    root = await tempDir('wsd-tf-par-');
  });
  afterAll(async () => {
    await root.cleanup();
  });

  it('applies two clusters concurrently with separate plugin caches', async () => {
    const clusters = ['gp-dev-ws-eu17-eu-west1', 'gp-dev-ws-us18-us-west1'];
    const runs = clusters.map(async (name) => {
      const workDir = join(root.dir, name);
      await writeRootModule(workDir, sandboxInput({ type: 'local', path: join(root.dir, 'state', `${name}.tfstate`) }, {}, name));
      const tf = new Terraform({ workDir, pluginCacheDir: join(root.dir, 'cache', name) });
      await tf.init();
      await tf.plan('cluster.plan');
      await tf.apply('cluster.plan');
      return { name, outputs: await tf.output(), state: await tf.stateList() };
    });
    const results = await Promise.all(runs);
    for (const result of results) {
      expect(result.outputs.cluster_name?.value).toBe(result.name);
      expect(result.state).toHaveLength(2);
    }
    expect((await readdir(join(root.dir, 'cache'))).sort()).toEqual([...clusters].sort());
  });
});
