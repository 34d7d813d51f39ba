/**
 * A state dir on a full disk: the run stops with a message that says the disk
 * is full, before any external change. The full disk is a real one: a 256 KiB
 * tmpfs mounted for the test and filled to the last block, so the kernel
 * answers ENOSPC exactly as it would on a full CI pod volume.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { requireBinary, requireCapability } from '../../helpers/require-binary.js';
import { faultWorkspace, tfstateFiles } from './fault-workspace.js';
import { fixtureTool } from './fixture-tool.js';

/** Mounts a tiny tmpfs; undefined when this machine does not allow it (not root, no CAP_SYS_ADMIN). */
function mountTinyTmpfs(): { dir: string; unmount(): void } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0755', 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  return {
    dir,
    unmount: () => {
      execFileSync('umount', [dir], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Writes until the file system refuses: every data block is used. */
function fill(dir: string): void {
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

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');
const disk = hasTerraform ? mountTinyTmpfs() : undefined;
const canMount = !hasTerraform || requireCapability(disk !== undefined, 'mount a tmpfs', 'the full-disk test needs root with CAP_SYS_ADMIN');

describe.skipIf(!hasTerraform || !canMount)('a full state dir', () => {
  const cleanups: Array<() => void> = [];
  afterAll(() => {
    cleanups.forEach((c) => c());
    disk?.unmount();
  });

  it('stops with "disk is full" before any external change', async () => {
    const ws = faultWorkspace();
    // A recording terraform first on PATH: proves no terraform ran at all.
    const terraform = fixtureTool('terraform', 'flaky-terraform.mjs', { real: '/bin/false' });
    cleanups.push(ws.cleanup, terraform.cleanup);
    const stateDir = join(disk!.dir, 'state');
    mkdirSync(stateDir);
    fill(disk!.dir);

    const run = await runCli(['deploy', ...ws.args(stateDir), '--cluster-id', '193'], { env: { PATH: terraform.path } });
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`(ENOSPC): the disk holding the state dir is full; free space or pass --state-dir DIR`);
    expect(tfstateFiles(stateDir)).toEqual([]);
    expect(terraform.calls()).toEqual([]);
    // Nothing half-written is left to confuse the next run: no journal, no lock.
    expect(readdirSync(stateDir)).toEqual([]);
  });
});
