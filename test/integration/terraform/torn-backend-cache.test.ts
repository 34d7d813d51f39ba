/**
 * A full disk (or a crash) during `terraform init` leaves `.terraform/terraform.tfstate`, init's cache of the
 * backend configuration, empty or cut. Real terraform then fails every later init with "Failed to load state:
 * invalid syntax: unexpected end of JSON input", naming no file: found by filling a tmpfs state dir during a
 * sandbox deploy, freeing space and resuming (the resume failed the same way each time). Before init, a cache
 * that is not JSON goes (with a warning); the state in the backend is untouched.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventInput } from '../../../src/core/events.js';
import { writeRootModule } from '../../../src/tools/terraform/generator.js';
import { Terraform } from '../../../src/tools/terraform/terraform.js';
import { dropTornBackendCache } from '../../../src/tools/terraform/torn-backend-cache.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { sandboxInput, tempDir } from './sandbox-fixture.js';

describe.skipIf(!requireBinary('terraform', 'terraform integration tests'))("a torn cache of init's backend configuration", () => {
  let root: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    root = await tempDir('wsd-tf-torn-');
  });
  afterAll(async () => {
    await root.cleanup();
  });

  it.each([
    ['empty', ''],
    ['cut mid-write', '{\n    "version": 3,\n    "terraform_version": "1.11'],
  ])('%s: init works again, says what it removed, and the state in the backend stays', async (name, torn) => {
    const statePath = join(root.dir, name, 'cluster.tfstate');
    const workDir = join(root.dir, name, 'work');
    await writeRootModule(workDir, sandboxInput({ type: 'local', path: statePath }));
    const events: EventInput[] = [];
    const tf = new Terraform({ workDir, sink: { emit: (e: EventInput) => void events.push(e) } });
    await tf.init();
    await tf.plan('cluster.plan');
    await tf.apply('cluster.plan');
    const state = readFileSync(statePath, 'utf8');
    const cache = join(workDir, '.terraform', 'terraform.tfstate');
    expect(events.filter((e) => e.code === 'terraform.backend-cache-torn')).toEqual([]);

    writeFileSync(cache, torn);
    await tf.init();
    expect(events.filter((e) => e.code === 'terraform.backend-cache-torn').map((e) => e.message)).toEqual([expect.stringMatching(/terraform\.tfstate \(terraform init's cache of the backend configuration\) (is empty|is cut or damaged \(\d+ bytes, not JSON\)).*removed, and init writes it again/)]);
    expect((JSON.parse(readFileSync(cache, 'utf8')) as { backend: { type: string } }).backend.type).toBe('local');
    expect(await tf.plan('cluster.plan')).toMatchObject({ hasChanges: false });
    expect(readFileSync(statePath, 'utf8')).toBe(state);
  });

  it('leaves a cache that is JSON, and a working dir not initialised yet, as they are', async () => {
    const workDir = join(root.dir, 'kept');
    await writeRootModule(workDir, sandboxInput({ type: 'local', path: join(root.dir, 'kept.tfstate') }));
    expect(dropTornBackendCache(workDir)).toBeUndefined();
    await new Terraform({ workDir }).init();
    const cache = join(workDir, '.terraform', 'terraform.tfstate');
    const before = readFileSync(cache, 'utf8');
    expect(dropTornBackendCache(workDir)).toBeUndefined();
    expect(readFileSync(cache, 'utf8')).toBe(before);
  });
});
