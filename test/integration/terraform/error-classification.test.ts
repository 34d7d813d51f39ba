/**
 * Real terraform failures, classified: an API error the module reports (made up
 * by the sandbox's `sandbox_fail_with`) is transient when it is a 503, permanent
 * when it is a permission error; a broken configuration is permanent.
 */
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRootModule } from '../../../src/tools/terraform/generator.js';
import { Terraform } from '../../../src/tools/terraform/terraform.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { sandboxInput, tempDir } from './sandbox-fixture.js';

describe.skipIf(!requireBinary('terraform', 'terraform integration tests'))('terraform error classification', () => {
  let root: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    root = await tempDir('wsd-tf-err-');
  });
  afterAll(async () => {
    await root.cleanup();
  });

  async function planFailure(name: string, failWith: string): Promise<unknown> {
    const workDir = join(root.dir, name);
    await writeRootModule(workDir, sandboxInput({ type: 'local', path: join(workDir, 'state.tfstate') }, { sandbox_fail_with: failWith }));
    const tf = new Terraform({ workDir });
    await tf.init();
    return tf.plan('cluster.plan').then(() => 'no error', (e: unknown) => e);
  }

  it('classifies a 503 from the module as transient', async () => {
    const error = await planFailure('unavailable', 'Error creating Cluster: googleapi: Error 503: The service is currently unavailable.');
    expect(error).toMatchObject({ code: 'ToolFailed', transient: true, details: { transientPattern: 'googleapi-503' } });
  });

  it('classifies a permission error as permanent and names it', async () => {
    const error = await planFailure('denied', "googleapi: Error 403: Required 'container.clusters.create' permission, forbidden");
    expect(error).toMatchObject({ code: 'ToolFailed', transient: false });
    expect((error as Error).message).toContain('container.clusters.create');
  });

  it('classifies a configuration error as permanent, with the file and line', async () => {
    const workDir = join(root.dir, 'broken');
    await writeRootModule(workDir, sandboxInput({ type: 'local', path: join(workDir, 'state.tfstate') }));
    // Damage a generated file the way a bad edit would.
    await appendFile(join(workDir, 'main.tf.json'), '{');
    const error = await new Terraform({ workDir }).init().then(() => 'no error', (e: unknown) => e);
    expect(error).toMatchObject({ code: 'ToolFailed', transient: false });
    expect((error as Error).message).toMatch(/main\.tf\.json:\d+/);
  });
});
