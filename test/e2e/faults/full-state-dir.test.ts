/**
 * A state dir on a full disk: the run stops with a message that says the disk
 * is full, before any external change. The full disk is a real one: a 256 KiB
 * tmpfs mounted for the test and filled to the last block, so the kernel
 * answers ENOSPC exactly as it would on a full CI pod volume.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { fillDisk, tinyTmpfs } from '../../helpers/full-disk.js';
import { requireBinary, requireCapability } from '../../helpers/require-binary.js';
import { faultWorkspace, tfstateFiles } from './fault-workspace.js';
import { fixtureTool } from './fixture-tool.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');
const disk = hasTerraform ? tinyTmpfs('256k') : undefined;
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
    fillDisk(disk!.dir);

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
