/**
 * A real full disk for the state-dir fault suites: a small tmpfs mounted for the
 * test and filled to its last block, so the kernel answers ENOSPC exactly as it
 * would on a full CI pod volume. Mounting needs root with CAP_SYS_ADMIN; callers
 * decide (with requireCapability) what a machine without it skips.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Mounts a tmpfs of `size` (e.g. `256k`) on the existing dir `dir`; false when this machine does not let us. */
export function mountTmpfs(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A new temp dir with a tmpfs of `size` mounted on it; undefined when this machine does not allow mounting. */
export function tinyTmpfs(size: string): { dir: string; unmount(): void; resize(size: string): void } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-full-'));
  if (!mountTmpfs(dir, size)) {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  return {
    dir,
    // Freeing space, as an operator would, without touching what the run left.
    resize: (bigger: string) => execFileSync('mount', ['-o', `remount,size=${bigger}`, dir], { stdio: 'ignore' }),
    unmount: () => {
      execFileSync('umount', [dir], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Writes until the file system refuses: every data block is used. */
export function fillDisk(dir: string): void {
  const block = Buffer.alloc(4096);
  for (let i = 0; ; i++) {
    try {
      writeFileSync(join(dir, `filler-${i}`), block);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOSPC') return;
      throw error;
    }
  }
}
