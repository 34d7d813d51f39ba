/**
 * A Terraform working dir copied or moved with its state dir: `terraform init` links each provider into
 * `.terraform/providers/<host>/<namespace>/<type>/<version>/<platform>` from the plugin cache by an absolute
 * symlink, so in the copy every link names the original's plugin cache. `init` trusts a link that resolves
 * and matches the lock file: the copy would run the original's provider binaries (and, the original gone,
 * find a dangling link). Before `init`, such a link is pointed at this working dir's own plugin cache,
 * which the copy holds too (see run-env.ts: one cache per working dir, inside the state dir).
 */
import { existsSync, lstatSync, readdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { isInside } from '../../state/state-paths.js';

/** host / namespace / type / version / platform */
const LINK_DEPTH = 5;

/** Every path `depth` folders below `dir` (missing folders: none). */
function below(dir: string, depth: number): string[] {
  if (depth === 0) return [dir];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const path = join(dir, name);
    return depth > 1 && !lstatSync(path).isDirectory() ? [] : below(path, depth - 1);
  });
}

/**
 * Points every provider link of `workDir` that leads outside `pluginCacheDir` at the same provider in
 * `pluginCacheDir`, when the cache holds it; a link whose provider the cache lacks is removed, so `init`
 * installs it again. Links into the cache, and folders, stay. Every run of ours sets TF_PLUGIN_CACHE_DIR to that
 * cache, so a link elsewhere was made by another working dir's run (the original of a copy).
 * Returns how many links changed.
 */
export function relinkMovedProviders(workDir: string, pluginCacheDir: string): number {
  const providers = join(workDir, '.terraform', 'providers');
  let changed = 0;
  for (const link of below(providers, LINK_DEPTH)) {
    if (!lstatSync(link).isSymbolicLink()) continue;
    const target = readlinkSync(link);
    if (!isAbsolute(target) || isInside(pluginCacheDir, target)) continue;
    const own = join(pluginCacheDir, relative(providers, link));
    rmSync(link);
    if (existsSync(own)) symlinkSync(own, link);
    changed += 1;
  }
  return changed;
}
