/**
 * Writes a file the operator named (`report --output PATH`). A regular file is replaced
 * atomically (no half-written report), but a rename over the path would replace what the
 * path is, not write to it: `--output /dev/null` made /dev/null a regular file for every
 * process on the machine, `/dev/stdout` or a named pipe never reached its reader, and a
 * symlink was replaced by a file instead of updating its target. So a path that is not a
 * regular file is written through, and a symlink is followed to the file it names.
 */
import { lstatSync, readlinkSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { WsdError } from './errors.js';
import { writeFileAtomic } from './atomic-write.js';

export function writeOutputFile(path: string, content: string, mode = 0o600): void {
  let target = path;
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) throw new WsdError('UsageError', `${path} is a folder; name a file to write, e.g. ${path.replace(/\/$/, '')}/report.html`);
    if (!stat.isFile()) {
      writeFileSync(path, content); // a device, pipe or socket: write to it, never replace it
      return;
    }
    target = realpathSync(path);
  } catch (error) {
    if (error instanceof WsdError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new WsdError('UsageError', `cannot write ${path}: ${(error as Error).message}`, { cause: error });
    target = danglingLinkTarget(path) ?? path;
  }
  writeFileAtomic(target, content, mode);
}

/** Where a symlink whose target does not exist yet points (the report is created there), or undefined. */
function danglingLinkTarget(path: string): string | undefined {
  try {
    return lstatSync(path).isSymbolicLink() ? resolve(dirname(path), readlinkSync(path)) : undefined;
  } catch {
    return undefined;
  }
}
