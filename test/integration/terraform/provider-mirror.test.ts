/**
 * `terraform init` on a machine that cannot reach the provider registry, with the real binary: the
 * error names the provider and the fix (terraform.providerMirror, a folder made with `terraform
 * providers mirror`), and with the mirror set, init installs from it and never asks the registry.
 * The registry is made unreachable by a proxy that refuses connections; the mirror holds a stand-in
 * provider executable (init installs and hashes providers, it does not run them).
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Terraform } from '../../../src/tools/terraform/terraform.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { tempDir } from './sandbox-fixture.js';

/** Every request to the registry goes to a proxy on a port nothing listens on (the discard port). */
const OFFLINE = { HTTPS_PROXY: 'http://127.0.0.1:9', https_proxy: 'http://127.0.0.1:9', NO_PROXY: '', no_proxy: '' };

describe.skipIf(!requireBinary('terraform', 'terraform integration tests'))('terraform providers without registry access', () => {
  let root: { dir: string; cleanup: () => Promise<void> };
  let moduleDir: string;
  beforeAll(async () => {
    root = await tempDir('wsd-tf-mirror-');
    moduleDir = join(root.dir, 'module');
    mkdirSync(moduleDir);
    writeFileSync(join(moduleDir, 'main.tf'), 'terraform {\n  required_providers {\n    google = { source = "hashicorp/google", version = "~> 6.0" }\n  }\n}\n');
  });
  afterAll(() => root.cleanup());

  /** A working dir whose root module calls the module above. */
  function workDir(name: string): string {
    const dir = join(root.dir, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'main.tf.json'), JSON.stringify({ module: { cluster: { source: moduleDir } } }));
    return dir;
  }

  /** A mirror in `terraform providers mirror`'s unpacked layout, holding google `version` (or nothing). */
  function mirror(name: string, version?: string): string {
    const dir = join(root.dir, name);
    mkdirSync(dir);
    if (version !== undefined) {
      const platform = join(dir, 'registry.terraform.io', 'hashicorp', 'google', version, `linux_${process.arch === 'arm64' ? 'arm64' : 'amd64'}`);
      mkdirSync(platform, { recursive: true });
      const binary = join(platform, `terraform-provider-google_v${version}_x5`);
      writeFileSync(binary, '#!/bin/sh\nexit 1\n');
      chmodSync(binary, 0o755);
    }
    return dir;
  }

  it('names the provider and terraform.providerMirror when the registry is unreachable', async () => {
    const error = await new Terraform({ workDir: workDir('offline'), env: OFFLINE }).init().then(() => 'no error', (e: unknown) => e);
    expect(error).toMatchObject({ code: 'ToolFailed' });
    const message = (error as Error).message;
    expect(message).toContain('could not get hashicorp/google from its registry');
    expect(message).toMatch(/set terraform\.providerMirror to a folder made with `terraform providers mirror <folder>`/);
  });

  it('installs from terraform.providerMirror without the registry', async () => {
    const dir = workDir('mirrored');
    await new Terraform({ workDir: dir, env: OFFLINE, providerMirror: mirror('full', '6.1.0') }).init();
  });

  it('names the mirror and the missing provider when the mirror lacks it', async () => {
    const empty = mirror('empty');
    const error = await new Terraform({ workDir: workDir('lacking'), env: OFFLINE, providerMirror: empty }).init().then(() => 'no error', (e: unknown) => e);
    expect(error).toMatchObject({ code: 'ToolFailed', transient: false });
    expect((error as Error).message).toContain(`only from terraform.providerMirror ${empty}, and hashicorp/google is not there`);
  });
});
