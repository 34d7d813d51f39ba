/**
 * `ws-deployment deploy … 2>&1 | head`: the reader closes stdout and stderr
 * while the deployment runs. Writes to the closed pipes are dropped; the
 * deployment finishes and journals normally instead of dying with EPIPE in
 * the middle of `terraform apply`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../helpers/require-binary.js';
import { runCli, sandboxWorkspace, startCli } from '../helpers/cli.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');

describe.skipIf(!hasTerraform)('deploy with stdout and stderr closed by the reader', () => {
  const ws = sandboxWorkspace();
  const common = ['--config', ws.config, '--state-dir', ws.stateDir];
  afterAll(() => ws.cleanup());

  it('still succeeds, and status shows it succeeded', async () => {
    const run = startCli(['deploy', ...common, '--cluster-id', '160']);
    // Like `head -1`: read the first line, then go away with both pipes.
    await run.waitFor(/deployment \S+: cluster id 160/);
    run.child.stdout?.destroy();
    run.child.stderr?.destroy();
    const result = await run.done;
    expect(result.signal).toBeNull();
    expect(result.code).toBe(0);

    const status = await runCli(['status', ...common, '--output', 'json']);
    expect(status.code).toBe(0);
    const doc = JSON.parse(status.stdout) as { state: string; clusters: Array<{ steps: Array<{ state: string }> }> };
    expect(doc.state).toBe('succeeded');
    expect(doc.clusters.flatMap((c) => c.steps.map((s) => s.state)).every((s) => s === 'succeeded' || s === 'skipped')).toBe(true);
  });
});
