/**
 * Files the package ships (Terraform modules, protos, package.json), found by
 * walking up from this module to ws-deployment's package.json. Works from
 * `src/` (tests), `dist/` and the bundled CLI alike.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The folder holding ws-deployment's package.json. */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'ws-deployment') return (root = dir);
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`ws-deployment's package.json not found above ${fileURLToPath(import.meta.url)}; reinstall the package`);
    dir = parent;
  }
}

/** A path inside the installed package. */
export function packageFile(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}

/** The package version (for `--version`). */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string }).version;
}
