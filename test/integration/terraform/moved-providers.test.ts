/**
 * A state dir copied with its Terraform working dirs: `terraform init` had linked each provider into
 * `.terraform/providers` from the plugin cache by an absolute symlink, so the copy's links named the
 * original's cache and the copy ran the original's provider binaries. With the real binary: after `init`
 * in the copy, every provider link resolves inside the copy, and `init` still works offline once the
 * original is gone. The mirror holds a stand-in provider executable (init installs and hashes providers,
 * it does not run them).
 */
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isInside } from '../../../src/state/state-paths.js';
import { relinkMovedProviders } from '../../../src/tools/terraform/moved-providers.js';
import { Terraform } from '../../../src/tools/terraform/terraform.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { tempDir } from './sandbox-fixture.js';

/** Every request to the registry goes to a proxy on a port nothing listens on (the discard port). */
const OFFLINE = { HTTPS_PROXY: 'http://127.0.0.1:9', https_proxy: 'http://127.0.0.1:9', NO_PROXY: '', no_proxy: '' };
const PLATFORM = `linux_${process.arch === 'arm64' ? 'arm64' : 'amd64'}`;

/** The symlinks below `dir`, with their targets. */
function links(dir: string): Array<{ path: string; target: string }> {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((rel) => join(dir, rel))
    .filter((path) => lstatSync(path).isSymbolicLink())
    .map((path) => ({ path, target: readlinkSync(path) }));
}

describe.skipIf(!requireBinary('terraform', 'terraform integration tests'))('provider links of a copied working dir', () => {
  let root: { dir: string; cleanup: () => Promise<void> };
  let mirror: string;
  beforeAll(async () => {
    root = await tempDir('wsd-tf-moved-providers-');
    mirror = join(root.dir, 'mirror');
    const platform = join(mirror, 'registry.terraform.io', 'hashicorp', 'google', '6.1.0', PLATFORM);
    mkdirSync(platform, { recursive: true });
    const binary = join(platform, 'terraform-provider-google_v6.1.0_x5');
    writeFileSync(binary, '#!/bin/sh\nexit 1\n');
    chmodSync(binary, 0o755);
  });
  afterAll(() => root.cleanup());

  /** Terraform for the cluster folder of state dir `stateDir`, laid out as create-cluster lays it out. */
  function terraformIn(stateDir: string): Terraform {
    const clusterDir = join(stateDir, 'd-1', 'gp-dev-ws-eu1-eu-west1');
    return new Terraform({ workDir: join(clusterDir, 'terraform'), runDir: join(clusterDir, 'terraform-run'), env: OFFLINE, providerMirror: mirror });
  }

  it("point at the copy's own plugin cache after init, and init needs nothing of the original", async () => {
    const original = join(root.dir, 'state-a');
    const workDir = join(original, 'd-1', 'gp-dev-ws-eu1-eu-west1', 'terraform');
    mkdirSync(workDir, { recursive: true });
    writeFileSync(join(workDir, 'main.tf'), 'terraform {\n  required_providers {\n    google = { source = "hashicorp/google", version = "6.1.0" }\n  }\n}\n');
    await terraformIn(original).init();
    const made = links(join(workDir, '.terraform', 'providers'));
    expect(made).toHaveLength(1);
    expect(isInside(original, made[0]!.target)).toBe(true); // terraform's own link: absolute, into the original's cache

    const copy = join(root.dir, 'state-b');
    cpSync(original, copy, { recursive: true, verbatimSymlinks: true });
    const tf = terraformIn(copy);
    await tf.init();
    const copied = links(join(tf.workDir, '.terraform', 'providers'));
    expect(copied).toHaveLength(1);
    expect(isInside(copy, copied[0]!.target), copied[0]!.target).toBe(true);

    rmSync(original, { recursive: true, force: true });
    await tf.init();
    expect(links(join(tf.workDir, '.terraform', 'providers')).map((l) => isInside(copy, l.target))).toEqual([true]);
  });

  it('drops a link whose provider the cache lacks, and leaves links into the cache alone', () => {
    const workDir = join(root.dir, 'unit', 'terraform');
    const cache = join(root.dir, 'unit', 'terraform-run', 'plugin-cache');
    const at = (base: string, type: string) => join(base, 'registry.terraform.io', 'hashicorp', type, '1.0.0', PLATFORM);
    const providers = join(workDir, '.terraform', 'providers');
    for (const type of ['ours', 'gone']) mkdirSync(join(at(providers, type), '..'), { recursive: true });
    mkdirSync(at(cache, 'ours'), { recursive: true });
    symlinkSync(at(cache, 'ours'), at(providers, 'ours'));
    symlinkSync(at(join(root.dir, 'elsewhere'), 'gone'), at(providers, 'gone'));
    expect(relinkMovedProviders(workDir, cache)).toBe(1);
    expect(links(providers)).toEqual([{ path: at(providers, 'ours'), target: at(cache, 'ours') }]);
    expect(relinkMovedProviders(join(root.dir, 'not-initialised'), cache)).toBe(0);
  });
});
