/**
 * Two deploys of one environment at once: the second is refused (exit 3) with
 * a message naming the holder; after the first ends, the lock is free again.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../helpers/require-binary.js';
import { runCli, sandboxWorkspace, startCli } from '../helpers/cli.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');

describe.skipIf(!hasTerraform)('lock contention', () => {
  const ws = sandboxWorkspace();
  const common = ['--config', ws.config, '--state-dir', ws.stateDir, '--skip', 'traffic-shift'];
  afterAll(() => ws.cleanup());

  it('refuses the second run and names the first', async () => {
    writeFileSync(ws.config, `${readFileSync(ws.config, 'utf8')}\nterraform:\n  variables:\n    sandbox_apply_seconds: 30\n`);
    const first = startCli(['deploy', ...common, '--cluster-id', '180']);
    const started = await first.waitFor(/deployment (\S+): cluster id 180/);
    const id = /deployment (\S+):/.exec(started)?.[1];

    const second = await runCli(['deploy', ...common, '--cluster-id', '181']);
    expect(second.code).toBe(3);
    expect(second.stderr).toMatch(new RegExp(`is locked by pid ${first.child.pid} on \\S+, deployment ${id} \\(deploy\\), since \\d{4}-`));

    first.child.kill('SIGINT');
    expect((await first.done).code).toBe(130);
    // The lock went with the first run: a resume may take it.
    const status = await runCli(['status', ...common]);
    expect(status.stdout).toMatch(/interrupted/);
  });
});
