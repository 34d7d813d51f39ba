/**
 * `status` on a read-only state dir tells the truth about a deployment whose
 * process was killed with SIGKILL: interrupted, exactly as on a writable dir.
 * (It used to try the environment lock to decide, fail on the read-only dir, and
 * take the failure for a live holder: "running".) Liveness is now read from the
 * lock's holder (pid, host, start time) without taking the lock.
 *
 * A real sandbox deploy is killed at its staff stage; the state dir is then made
 * read-only (0555/0444, and the CLI run as `nobody` when we are root, since root
 * writes through modes).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../../helpers/cli.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { AS_ROOT, faultWorkspace, readOnlyTree, runCliUnprivileged, writableTree } from './fault-workspace.js';

const hasTools = requireBinary('terraform', 'the sandbox runs real terraform') && (!AS_ROOT || requireBinary('runuser', 'runs the CLI as user nobody, since root ignores file modes'));

describe.skipIf(!hasTools)('status on a read-only state dir', () => {
  // The staff stage lasts long enough that the kill lands in it on a loaded machine.
  const ws = faultWorkspace({ clusters: 1, worldReadable: true, edit: (doc) => Object.assign(doc.trafficShift as object, { interval: '1s', bake: '1s', staffStage: { permission: 'new-workspace-cluster', duration: '120s' } }) });
  afterAll(() => {
    writableTree(ws.stateDir);
    ws.cleanup();
  });

  it('shows a deployment killed with SIGKILL as interrupted, as it does on a writable dir', async () => {
    const first = await runCli(['deploy', ...ws.args(), '--cluster-id', '250']);
    expect(first.code, first.stderr).toBe(0);
    const run = startCli(['deploy', ...ws.args(), '--cluster-id', '251', '--allow-unfinished']);
    await run.waitFor(/traffic-shift: staff stage/, 180_000);
    run.child.kill('SIGKILL');
    expect((await run.done).signal).toBe('SIGKILL');

    // Writable: the lock the killed run left is not held by anyone.
    const writable = await runCli(['status', ...ws.args()]);
    const writableAll = await runCli(['status', '--all', ...ws.args(), '--output', 'json']);
    expect(writable.code, writable.stderr).toBe(0);
    expect(writable.stdout).toMatch(/^deployment \S+: interrupted/);
    const states = (JSON.parse(writableAll.stdout) as Array<{ state: string }>).map((d) => d.state);
    expect(states).toEqual(['interrupted', 'succeeded']);

    readOnlyTree(ws.stateDir);
    const readOnly = await runCliUnprivileged(['status', ...ws.args()]);
    expect(readOnly.code, readOnly.stderr).toBe(0);
    expect(readOnly.stdout).toBe(writable.stdout);
    const readOnlyAll = await runCliUnprivileged(['status', '--all', ...ws.args(), '--output', 'json']);
    expect(readOnlyAll.code, readOnlyAll.stderr).toBe(0);
    expect(readOnlyAll.stdout).toBe(writableAll.stdout);
    // The dir really is read-only to the CLI: a command that writes is refused.
    const refused = await runCliUnprivileged(['shift', 'abort', ...ws.args()]);
    expect(refused.code, refused.stdout).not.toBe(0);
  }, 300_000);
});
