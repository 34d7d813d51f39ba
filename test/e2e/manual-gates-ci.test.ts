/**
 * A manual gate in CI (no terminal, no --yes) is refused before anything
 * exists: exit 3, no deployment journaled, no cluster created. With --yes the
 * same deploy runs. At a terminal whose stderr goes to a file (`2>FILE`) the
 * question would be written to the file, unseen: refused the same way.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startPty } from '../helpers/pty.js';
import { requireBinary } from '../helpers/require-binary.js';
import { runCli, sandboxWorkspace } from '../helpers/cli.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');

describe.skipIf(!hasTerraform)('manual gates in CI', () => {
  const ws = sandboxWorkspace();
  const common = ['--config', ws.config, '--state-dir', ws.stateDir];
  afterAll(() => ws.cleanup());
  writeFileSync(ws.config, readFileSync(ws.config, 'utf8').replace('gates: { beforeDestroy: auto }', 'gates: { beforeStart: manual, beforeDestroy: manual }'));

  it('are refused up front with what to set, and --yes approves them', async () => {
    const refused = await runCli(['deploy', ...common]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/traffic-shift: trafficShift\.gates beforeStart is manual but no one can approve here \(no terminal, or CI\); pass --yes to approve, or set the gate to auto; nothing was created/);
    expect(existsSync(join(ws.stateDir, 'terraform-state'))).toBe(false);
    expect(JSON.parse((await runCli(['status', '--all', ...common, '--output', 'json'])).stdout)).toEqual([]);

    const approved = await runCli(['deploy', ...common, '--yes']);
    expect(approved.code, approved.stderr).toBe(0);
  });

  it('at a terminal with stderr sent to a file (2>FILE) are refused the same way: the question would go to the file', async ({ onTestFinished }) => {
    // A first generation (approved with --yes), so this deploy shifts traffic and reaches the gates. In a state dir of
    // its own: in the first case's, this was a second generation, a whole shift at the example's waits (a minute).
    const own = ['--config', ws.config, '--state-dir', join(ws.dir, 'state-terminal')];
    const first = await runCli(['deploy', ...own, '--yes']);
    expect(first.code, first.stderr).toBe(0);
    const log = join(ws.dir, 'deploy-stderr.log');
    const run = startPty(['deploy', ...own], { cols: 80, stderrTo: log });
    onTestFinished(() => run.kill());
    const result = await run.done;
    expect(result.code, readFileSync(log, 'utf8')).toBe(3);
    const written = readFileSync(log, 'utf8');
    expect(written).toMatch(/no one can approve here \(no terminal, or CI\); pass --yes to approve, or set the gate to auto; nothing was created/);
    // Plain lines: nothing meant for a terminal went to the file.
    expect(written).not.toContain('\x1b');
  }, 300_000);
});
