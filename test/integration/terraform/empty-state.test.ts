/**
 * A process killed while terraform was creating the local state file leaves it
 * empty. Terraform reads an empty state file as "no state"; the sandbox's
 * existence check must agree (it used to call it corrupt, which blocked every
 * resume until someone deleted the file by hand). A file that is really
 * damaged stays an error that says what to do.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localStateHasResources } from '../../../src/steps/create-cluster/terraform-setup.js';
import { writeRootModule } from '../../../src/tools/terraform/generator.js';
import { Terraform } from '../../../src/tools/terraform/terraform.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { sandboxInput, tempDir } from './sandbox-fixture.js';

const read = (p: string) => readFileSync(p, 'utf8');

describe.skipIf(!requireBinary('terraform', 'terraform integration tests'))('an empty local state file', () => {
  let root: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    root = await tempDir('wsd-tf-empty-');
  });
  afterAll(async () => {
    await root.cleanup();
  });

  it('is no state for terraform and for the existence check alike', async () => {
    const statePath = join(root.dir, 'state', 'cluster.tfstate');
    await mkdir(join(root.dir, 'state'));
    await writeFile(statePath, '');
    expect(localStateHasResources(statePath, read)).toBe(false);

    const workDir = join(root.dir, 'work');
    await writeRootModule(workDir, sandboxInput({ type: 'local', path: statePath }));
    const tf = new Terraform({ workDir });
    await tf.init();
    expect(await tf.plan('cluster.plan')).toMatchObject({ hasChanges: true, changes: { add: 2 } });
    await tf.apply('cluster.plan');
    expect(localStateHasResources(statePath, read)).toBe(true);
  });

  it('a damaged one is an error naming the way out', async () => {
    const statePath = join(root.dir, 'damaged.tfstate');
    await writeFile(statePath, '{"version": 4, "resour');
    expect(() => localStateHasResources(statePath, read)).toThrow(/is not valid JSON, and terraform cannot read it either; restore it from .*damaged\.tfstate\.backup/);
  });
});
