/**
 * The disk holding the state dir fills up part-way through a sandbox deploy (real terraform, real helm template):
 * once space is freed, `resume` must finish the deployment without any hand repair. Found by running the deploy
 * on tmpfs mounts of growing sizes: with the disk full during `terraform init`, terraform left its backend cache
 * (`.terraform/terraform.tfstate`) empty and every resume failed "Failed to load state: invalid syntax: unexpected
 * end of JSON input"; the journal's last append was cut part-way. Two sizes: the disk fills during terraform's
 * init (the smaller), and during the releases (the larger).
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { tinyTmpfs } from '../../helpers/full-disk.js';
import { requireBinary, requireCapability } from '../../helpers/require-binary.js';
import { faultWorkspace } from './fault-workspace.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');
const probe = hasTerraform ? tinyTmpfs('64k') : undefined;
probe?.unmount();
const canMount = !hasTerraform || requireCapability(probe !== undefined, 'mount a tmpfs', 'the full-disk resume test needs root with CAP_SYS_ADMIN');

describe.skipIf(!hasTerraform || !canMount)('a state dir whose disk fills up during a deploy', () => {
  const cleanups: Array<() => void> = [];
  afterAll(() => cleanups.splice(0).forEach((c) => c()));

  it.each(['60k', '150k'])('%s: the deploy stops saying the disk is full; after freeing space, resume finishes it', async (size) => {
    const ws = faultWorkspace({ clusters: 2 });
    const disk = tinyTmpfs(size)!;
    cleanups.push(ws.cleanup, () => disk.unmount());
    const stateDir = join(disk.dir, 'state');

    const deploy = await runCli(['deploy', ...ws.args(stateDir)]);
    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toMatch(/ENOSPC|no space left on device/);
    expect(deploy.stderr).not.toMatch(/another terraform run holds the state lock/);
    const id = /deployment (\d{8}-\d{6}-[0-9a-f]{4})/.exec(deploy.stderr + deploy.stdout)?.[1];
    expect(id).toBeDefined();

    disk.resize('8m');
    const resumed = await runCli(['resume', id!, ...ws.args(stateDir)]);
    expect(resumed.stderr).not.toMatch(/Failed to load state/);
    expect(resumed.code, resumed.stderr).toBe(0);
    const status = await runCli(['status', id!, '-o', 'json', ...ws.args(stateDir)]);
    expect(JSON.parse(status.stdout)).toMatchObject({ id, state: 'succeeded' });
  });
});
