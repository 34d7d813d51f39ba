/**
 * File and directory references in the config. Relative paths are resolved
 * against the config file's folder (not the working directory) so a config
 * means the same thing wherever the CLI runs, and each reference must exist.
 */
import { statSync } from 'node:fs';
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

export type PathKind = 'file' | 'directory';

/** Why `absolute` is not an existing `kind`, or undefined when it is. */
export function existenceProblem(absolute: string, kind: PathKind): string | undefined {
  try {
    const stat = statSync(absolute, { throwIfNoEntry: false });
    if (stat === undefined) return `does not exist (resolved to ${absolute}); create it or fix the path`;
    if (kind === 'file' && !stat.isFile()) return `is not a regular file (resolved to ${absolute})`;
    if (kind === 'directory' && !stat.isDirectory()) return `is not a directory (resolved to ${absolute})`;
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    return `cannot be read (${code}, resolved to ${absolute})`;
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

/**
 * A path resolved against the config folder but not required to exist when the config is
 * checked: a file that only exists where the deployment runs (a projected, rotating token).
 */
export function configRelativePath() {
  return plainText().transform((value) => resolveConfigPath(value));
}
