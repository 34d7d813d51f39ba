/**
 * What a run that writes (deploy, resume, retire) checks in the state dir before it takes the lock or
 * appends a record: the folders it will write in are real folders of the state dir that this user may
 * write, and nothing it will read or write there is a symlink (nothing of a deployment may lie outside
 * its state dir). A damaged or foreign-owned entry found later, mid-run, would fail a step after its
 * start was journaled (or fail a traffic shift into a rollback); found here, it is refused with nothing
 * journaled, nothing run, and the message names the path and the fix. Readers never call this: they
 * survive such entries (status shows what it can).
 */
import { accessSync, constants, lstatSync, readdirSync, type Stats } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { WsdError } from '../core/errors.js';

const MOVE_ASIDE = 'move it out of the state dir (`mv PATH /some/other/folder/`), then run the command again: ws-deployment creates anew what it needs there (the journal keeps what was done; shift commands that were queued must be sent again)';

/** Who this process runs as, for the chown the fix names. */
function whoAmI(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'this user');
  }
}

/** True for the errno codes that mean "this user may not" (not "it is not there"). */
export function isPermissionError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EACCES' || code === 'EPERM';
}

/** What to do when `path` of the state dir belongs to another user or lost its modes. */
export function permissionFix(path: string): string {
  return `run ws-deployment as the user that owns the state dir (\`ls -ld ${path}\` shows who), or give this user (${whoAmI()}) access: \`chown -R ${whoAmI()} ${path}\` or \`chmod -R u+rwX ${path}\``;
}

/** The refusal for `path`, which this user may not `action` (read, write in, list). */
export function permissionError(path: string, action: string, error?: unknown): WsdError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? 'EACCES';
  return new WsdError('StateIo', `cannot ${action} ${path} (${code}): ${permissionFix(path)}`, { cause: error, details: { path } });
}

function damaged(path: string, what: string): WsdError {
  return new WsdError('StateCorrupt', `${path} ${what}; ${MOVE_ASIDE.replaceAll('PATH', path)}`, { details: { path } });
}

function entryOf(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if (isPermissionError(error)) throw permissionError(path, 'inspect', error);
    return undefined;
  }
}

/** `path`, when present, is a folder this user may list and write in; `as` says what it is for. */
function assertFolder(path: string, as: string): boolean {
  const entry = entryOf(path);
  if (!entry) return false;
  if (entry.isSymbolicLink()) throw damaged(path, `is a symlink, not ${as} (nothing of a deployment may lie outside its state dir)`);
  if (!entry.isDirectory()) throw damaged(path, `is a file, not ${as}`);
  try {
    accessSync(path, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (error) {
    throw permissionError(path, `list and write in ${as}`, error);
  }
  return true;
}

/** `path`, when present, is a regular file this user may read and write. */
function assertFile(path: string, as: string): void {
  const entry = entryOf(path);
  if (!entry) return;
  if (entry.isSymbolicLink()) throw damaged(path, `is a symlink, not ${as} (nothing of a deployment may lie outside its state dir)`);
  if (!entry.isFile()) throw damaged(path, `is not a regular file, but should be ${as}`);
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
  } catch (error) {
    throw permissionError(path, `read and write ${as}`, error);
  }
}

/** No entry of folder `dir` is a symlink (the folder itself was checked). */
function assertNoSymlinks(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isSymbolicLink()) throw damaged(join(dir, entry.name), 'is a symlink (nothing of a deployment may lie outside its state dir)');
  }
}

/**
 * The state dir's own folders a run writes in: `locks/` (the environment locks, the allocation lock and their files) and
 * `terraform-state/` (the clusters' local Terraform states).
 */
export function assertStoreFoldersWritable(root: string): void {
  for (const [name, as, file] of [
    ['locks', 'the folder of the environment locks', 'an environment lock or the cluster id allocation lock'],
    ['terraform-state', "the folder of the clusters' Terraform states", "a cluster's Terraform state"],
  ] as const) {
    const dir = join(root, name);
    if (!assertFolder(dir, as)) continue;
    for (const entry of readdirSync(dir)) assertFile(join(dir, entry), file);
  }
}

/**
 * Deployment folder `dir`, which a run is about to append to: its journal, the folder of its queued shift
 * commands (`control/`), its logs and the working folder of each of `clusters` (and their first level).
 * The snapshot is a cache (a damaged one is rewritten, an unwritable one warned about), so it is not checked.
 */
export function assertDeploymentWritable(dir: string, clusters: readonly string[]): void {
  assertFolder(dir, 'a deployment folder');
  assertFile(join(dir, 'journal.ndjson'), "the deployment's journal");
  assertNoSymlinks(dir);
  if (assertFolder(join(dir, 'control'), 'the folder of the shift commands queued for the deployment')) {
    for (const entry of readdirSync(join(dir, 'control'))) assertFile(join(dir, 'control', entry), 'a queued shift command');
  }
  if (assertFolder(join(dir, 'logs'), "the folder of the deployment's logs")) {
    assertNoSymlinks(join(dir, 'logs'));
    for (const cluster of clusters) assertFolder(join(dir, 'logs', cluster), `the folder of ${cluster}'s logs`);
  }
  for (const cluster of clusters) {
    if (assertFolder(join(dir, cluster), `the working folder of ${cluster}`)) assertNoSymlinks(join(dir, cluster));
  }
}

/**
 * The sandbox's folder of the state dir (`sandbox/`: the registry simulator's state, the clusters' health
 * files), for a run with sandbox clusters: found later, a file in its place failed the alive test or the
 * traffic shift with ENOTDIR after their start was journaled. Two levels: its folders and their files.
 */
export function assertSandboxFolderWritable(root: string): void {
  const dir = join(root, 'sandbox');
  if (!assertFolder(dir, "the folder of the sandbox's registry and health files")) return;
  assertNoSymlinks(dir);
  // registry/ (sandbox-registry.ts) and health/ (alive/cluster-checks.ts): folders of files.
  for (const name of ['registry', 'health']) {
    const path = join(dir, name);
    if (!assertFolder(path, `the folder of the sandbox's ${name} files`)) continue;
    for (const file of readdirSync(path)) assertFile(join(path, file), `a file of the sandbox's ${name}`);
  }
}

/**
 * What `retire --cluster NAME` writes in: `retire/`, the retirement's progress file (`retire/NAME.json`)
 * and its working folder (`retire/NAME/`, the Terraform files of a destroy), none a symlink or of the wrong kind.
 */
export function assertRetireWritable(root: string, name: string): void {
  const dir = join(root, 'retire');
  if (!assertFolder(dir, 'the folder of the standalone retirements')) return;
  assertFile(join(dir, `${name}.json`), `the retirement progress of ${name}`);
  const work = join(dir, name);
  if (!assertFolder(work, `the working folder of ${name}'s retirement`)) return;
  assertNoSymlinks(work);
  assertFolder(join(work, 'terraform'), `the Terraform folder of ${name}'s retirement`);
}
