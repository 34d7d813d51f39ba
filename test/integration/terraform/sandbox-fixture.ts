/**
 * Shared setup for the terraform integration tests: a root module calling the
 * bundled sandbox cluster module, in a fresh temp working dir per test.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackendConfig, JsonValue, RootModuleInput } from '../../../src/tools/terraform/generator.js';
import { SANDBOX_MODULE_DIR } from '../../../src/tools/terraform/sandbox-module.js';

export function sandboxInput(backend: BackendConfig, extra: Record<string, JsonValue> = {}, name = 'gp-dev-ws-eu17-eu-west1'): RootModuleInput {
  return {
    moduleSource: SANDBOX_MODULE_DIR,
    variables: {
      project: 'gitpod-dev-123',
      region: 'europe-west1',
      name,
      short_name: 'eu17',
      network: 'workspace-net',
      dns_zone: 'gitpod-dev.com',
      cluster_type: 'gke',
      ...extra,
    },
    backend,
  };
}

/** A temp dir removed by the returned cleanup. */
export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
