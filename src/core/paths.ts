/**
 * Files the package ships (Terraform modules, protos), found relative to the
 * installed package whether we run from `src/` (tests) or `dist/`.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The folder holding ws-deployment's package.json. */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('ws-deployment package root not found');
    dir = parent;
  }
  cached = dir;
  return dir;
}

/** The Terraform module sandbox clusters use unless the config names another. */
export function sandboxModulePath(): string {
  return join(packageRoot(), 'terraform', 'modules', 'sandbox-cluster');
}
