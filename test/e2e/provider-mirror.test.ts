/**
 * `terraform.providerMirror` reaches the terraform that create-cluster runs: its generated CLI config
 * installs providers from that folder only (the sandbox module needs none, so an empty mirror works).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../helpers/require-binary.js';
import { runCli, sandboxWorkspace } from '../helpers/cli.js';

describe.skipIf(!requireBinary('terraform', 'the sandbox runs real terraform'))('terraform.providerMirror', () => {
  const ws = sandboxWorkspace();
  afterAll(() => ws.cleanup());

  it('is the only provider source of the terraform create-cluster runs', async () => {
    const mirror = join(ws.dir, 'examples', 'tf-providers');
    mkdirSync(mirror);
    writeFileSync(ws.config, `${readFileSync(ws.config, 'utf8')}\nterraform:\n  providerMirror: ./tf-providers\n`);
    const result = await runCli(['deploy', '--config', ws.config, '--state-dir', ws.stateDir, '--only', 'create-cluster', '--cluster-id', '172']);
    expect(result.code, result.stderr).toBe(0);
    const id = readdirSync(ws.stateDir).find((d) => /^\d{8}-/.test(d)) as string;
    const rc = readFileSync(join(ws.stateDir, id, 'gp-dev-ws-eu172-eu-west1', 'terraform-run', 'terraform.rc'), 'utf8');
    expect(rc).toContain(`filesystem_mirror {\n    path = ${JSON.stringify(mirror)}\n  }`);
  });
});
