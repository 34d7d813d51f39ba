/**
 * Checks a state dir path before anything creates it. Node's recursive mkdir
 * loops forever (100 % CPU, deaf to SIGTERM: the loop never yields) on paths
 * such as `/proc/wsd`, so no input may reach it unchecked: walk up to the
 * first existing ancestor, which must be a writable folder on a normal
 * filesystem (not proc, sysfs or another kernel pseudo-filesystem). A writer's state dir must also
 * leave room below it for the paths a run creates.
 */
import { accessSync, constants, statfsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { WsdError } from '../core/errors.js';

/** Kernel pseudo-filesystems (statfs magic numbers) that can never hold files of ours. */
const PSEUDO_FILESYSTEMS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0xcafe4a11, 'bpf'],
  [0x6165676c, 'pstore'],
  [0x62656570, 'configfs'],
  [0x65735543, 'fusectl'],
  [0x42494e4d, 'binfmt_misc'],
]);

const ELSEWHERE = 'pass --state-dir DIR with a writable folder on a normal disk';

/** Linux refuses a path longer than this (PATH_MAX, bytes, its final NUL included). */
const PATH_MAX = 4096;
/**
 * What a run's files need below the state dir: its own (`<id>/<cluster>/releases/…`, about 100 bytes)
 * and those terraform and helm create in its folders (`.terraform/providers/registry.terraform.io/…`),
 * which resolve further paths from there; a state dir under 4 KiB by less than 200 bytes failed
 * `terraform init` mid-run. Kept well clear of that.
 */
const BELOW_STATE_DIR = 1024;

function fail(root: string, why: string, cause?: unknown, fix = ELSEWHERE): never {
  throw new WsdError('StateIo', `cannot use ${root} as the state dir: ${why}; ${fix}`, { cause, details: { stateDir: root } });
}

/** The first part of `path` that exists (itself included). */
function firstExisting(path: string): { path: string; isDirectory: boolean } {
  for (let p = path; ; p = dirname(p)) {
    try {
      return { path: p, isDirectory: statSync(p).isDirectory() };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // ENOTDIR: a file higher up; that file is what the message must name.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return { path: p, isDirectory: false };
      if (dirname(p) === p) return { path: p, isDirectory: false };
    }
  }
}

/**
 * Throws a `StateIo` error naming the problem when `root` cannot become a
 * writable state dir; returns normally otherwise (creating it is then safe).
 * `readOnly`: the caller only reads, so a folder it may read (or none yet) is enough.
 */
export function assertUsableStateDir(root: string, options: { readOnly?: boolean } = {}): void {
  const existing = firstExisting(root);
  if (!existing.isDirectory) {
    fail(root, existing.path === root ? 'it is not a folder' : `${existing.path} is not a folder`);
  }
  let type: number;
  try {
    type = statfsSync(existing.path).type;
  } catch (error) {
    fail(root, `cannot inspect ${existing.path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, error);
  }
  const pseudo = PSEUDO_FILESYSTEMS.get(type);
  if (pseudo) fail(root, `${existing.path} is on the kernel's ${pseudo} filesystem, which holds no files`);
  if (options.readOnly) return assertReadable(root, existing.path);
  // Found mid-run, an over-long path failed a step (terraform init) after its start was journaled.
  const length = Buffer.byteLength(resolve(root));
  if (length > PATH_MAX - BELOW_STATE_DIR) {
    fail(root, `its path is ${length} bytes long, and the files a run creates below it (terraform's among them) would pass the ${PATH_MAX}-byte limit of a path`, undefined, `pass --state-dir DIR with a path under ${PATH_MAX - BELOW_STATE_DIR} bytes`);
  }
  try {
    accessSync(existing.path, constants.W_OK | constants.X_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // The same words `deploy` has always used for an unwritable state dir.
    fail(root, `${existing.path} is not writable${code === 'EROFS' ? ' (read-only filesystem)' : ''}`, error, 'the state dir is not writable; pass --state-dir DIR with a writable folder');
  }
}

function assertReadable(root: string, path: string): void {
  try {
    accessSync(path, constants.R_OK | constants.X_OK);
  } catch (error) {
    fail(root, `${path} is not readable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, error, 'pass --state-dir DIR with a folder you may read');
  }
}
