/**
 * File and directory references in the config. Relative paths are resolved
 * against the config file's folder (not the working directory) so a config
 * means the same thing wherever the CLI runs, and each reference must exist and
 * be readable when the config is validated: a file the run needs halfway (a
 * bridge's TLS key at registration, a bearer token at the traffic shift) must
 * not be found missing after clusters were created.
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { quote } from '../messages.js';
import { plainText } from './primitives.js';

/**
 * The folder relative paths resolve against while a config is parsed. Parsing is
 * synchronous, so a module-level value set around one parse cannot leak into another.
 */
let baseDir: string | undefined;

/** Runs `fn` (a synchronous parse) with relative config paths resolved against `dir`. */
export function withBaseDir<T>(dir: string, fn: () => T): T {
  const previous = baseDir;
  baseDir = dir;
  try {
    return fn();
  } finally {
    baseDir = previous;
  }
}

/** Resolves a config path against the current base folder (the working directory outside a parse). */
export function resolveConfigPath(value: string): string {
  return path.resolve(baseDir ?? process.cwd(), value);
}

/** `file or directory`: a helm chart, which is a folder or a packaged `.tgz`; `program`: a file we execute. */
type PathKind = 'file' | 'program' | 'directory' | 'file or directory';

/** Why `absolute` is not an existing, readable `kind`, or undefined when it is. */
export function existenceProblem(absolute: string, kind: PathKind): string | undefined {
  try {
    const stat = statSync(absolute, { throwIfNoEntry: false });
    if (stat === undefined) return `does not exist (resolved to ${absolute}); create it or fix the path`;
    if ((kind === 'file' || kind === 'program') && !stat.isFile()) return `is not a regular file (resolved to ${absolute})`;
    if (kind === 'directory' && !stat.isDirectory()) return `is not a directory (resolved to ${absolute})`;
    if (kind === 'file or directory' && !stat.isFile() && !stat.isDirectory()) return `is neither a regular file nor a directory (resolved to ${absolute})`;
    // A folder is read by listing it and entering it: both bits.
    accessSync(absolute, stat.isDirectory() ? constants.R_OK | constants.X_OK : constants.R_OK);
    if (kind === 'program' && !isExecutable(absolute)) return `is not executable (resolved to ${absolute}); run chmod +x on it`;
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      return `is not readable by this user (${code}, resolved to ${absolute}); fix its permissions (chmod/chown) or run as a user that can read it`;
    }
    return `cannot be read (${code ?? 'unknown error'}, resolved to ${absolute})`;
  }
}

function isExecutable(absolute: string): boolean {
  try {
    accessSync(absolute, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * A path to an existing file or directory; the output is absolute. `what` names
 * the reference in messages, e.g. `values file`.
 */
export function configPath(kind: PathKind, what: string) {
  return plainText().transform((value, ctx) => {
    const absolute = resolveConfigPath(value);
    const problem = existenceProblem(absolute, kind);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `${what} ${quote(value)} ${problem}`, input: value });
    return absolute;
  });
}
