/**
 * A Terraform working dir copied or moved with its state dir: `.terraform/modules/modules.json` names
 * each installed module's folder by an absolute path (TF_DATA_DIR is absolute), so in the copy it names
 * the original's `.terraform/modules/…`. `init` trusts a folder that exists: it would load the module
 * from the original (and, the original gone, install it afresh, from the network for a registry
 * module). Before `init`, such a folder is moved onto this working dir's own copy of it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { isInside } from '../../state/state-paths.js';

const MODULES_DIR = `${sep}.terraform${sep}modules${sep}`;

/** Rewrites `modules.json` of `workDir` so no module folder is another working dir's; returns how many moved. */
export function rebaseMovedModules(workDir: string): number {
  const file = join(workDir, '.terraform', 'modules', 'modules.json');
  let manifest: { Modules?: Array<{ Dir?: unknown }> };
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8')) as typeof manifest;
  } catch {
    return 0; // not initialised yet, or not ours: terraform init decides
  }
  const modules = Array.isArray(manifest.Modules) ? manifest.Modules : [];
  let moved = 0;
  const kept = modules.flatMap((module) => {
    const dir = module.Dir;
    // Relative folders, and a module used in place from outside (an ops repository's), are as they should be.
    if (typeof dir !== 'string' || !dir.startsWith(sep) || isInside(workDir, dir)) return [module];
    const at = dir.lastIndexOf(MODULES_DIR);
    if (at < 0) return [module];
    moved += 1;
    const own = join(workDir, '.terraform', 'modules', dir.slice(at + MODULES_DIR.length));
    // Not here (copied without it): left out, init installs it again.
    return existsSync(own) ? [{ ...module, Dir: own }] : [];
  });
  manifest.Modules = kept;
  if (moved > 0) writeFileAtomic(file, JSON.stringify(manifest));
  return moved;
}
