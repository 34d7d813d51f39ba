/**
 * Crash-safe file writes: write a temp file in the same folder, fsync it, rename
 * it over the target, fsync the folder. A reader sees the old or the new content,
 * never a torn file.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync, mkdirSync } from 'node:fs';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { randomBytes } from 'node:crypto';
import { onProcessExit } from './exit-cleanup.js';

export function writeFileAtomic(path: string, content: string, mode = 0o600): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'w', mode);
  // Whatever fails (a full disk, a file size limit, the rename), the temp file goes and the first error is the one
  // thrown: left behind, each failed write kept a file of its size next to the target, filling the disk further.
  let failure: { error: unknown } | undefined;
  try {
    writeAll(fd, Buffer.from(content, 'utf8'));
    fsyncSync(fd);
  } catch (error) {
    failure = { error };
  }
  try {
    closeSync(fd);
  } catch (error) {
    failure ??= { error };
  }
  if (!failure) {
    try {
      renameSync(tmp, path);
    } catch (error) {
      failure = { error };
    }
  }
  if (failure) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the original error says what went wrong; this one would hide it
    }
    throw failure.error;
  }
  fsyncDir(dir);
}

/**
 * A write may take fewer bytes than asked (a disk filling up, a file size limit) and says so only by its count;
 * the next one then fails with the reason. One unchecked write renamed a torn file over the target.
 */
function writeAll(fd: number, data: Buffer): void {
  for (let at = 0; at < data.length; ) at += writeSync(fd, data, at, data.length - at);
}

/** Makes a rename or a new file durable (directory entry on disk). */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Replaces `path` with `content` (temp file + rename) without blocking the event
 * loop and without fsync: readers see the old or the new content, never a torn
 * file, but a power loss may leave either or an empty file. Only for caches that
 * every reader validates and can rebuild (the deployment snapshot).
 */
export async function replaceFileUnsynced(path: string, content: string, mode = 0o600): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  // Between the awaits a signal may exit the process (cli/stop-signals.ts): the temp file goes with it.
  const forget = onProcessExit(() => rmSync(tmp, { force: true }));
  try {
    await writeFile(tmp, content, { mode });
    await rename(tmp, path);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  } finally {
    forget();
  }
}
