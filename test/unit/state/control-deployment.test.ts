/**
 * A queued shift command file names the deployment it was sent to. Before, the folder was all that tied it to one:
 * `shift abort A` copied into deployment B's `control/` (reproduced with the CLI: two interrupted shifts in one state
 * dir) showed as pending in `status B`, and `resume B` rolled B's healthy shift back "aborted by" A's sender.
 * Now a file naming another deployment is neither taken nor shown as pending, and the operator is told once which
 * file it is and what to do; a file of the older kind (no id) is taken when sent after the deployment began.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { FileStateStore } from '../../../src/state/file-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const A = '20260101-000000-aaaa';
const B = '20260101-000001-bbbb';

async function twoDeployments(): Promise<{ root: string; store: FileStateStore; sink: MemorySink }> {
  const root = mkdtempSync(join(tmpdir(), 'wsd-control-id-'));
  dirs.push(root);
  const sink = new MemorySink();
  const store = new FileStateStore(root, sink);
  for (const id of [A, B]) {
    const j = await store.create(id);
    await j.append({ type: 'deployment.created', id, inputs: { configFile: '/c.yaml', configHash: 'h', project: 'p', environment: id === A ? 'development' : 'staging' }, clusterId: 101, clusters: [], steps: [] });
  }
  return { root, store, sink };
}

describe('a queued shift command names its deployment', () => {
  it('writes the deployment id into the command file', async () => {
    const { root, store } = await twoDeployments();
    await store.sendControl(A, 'pause');
    const [name] = readdirSync(join(root, A, 'control'));
    expect(JSON.parse(readFileSync(join(root, A, 'control', name!), 'utf8'))).toMatchObject({ deployment: A, command: 'pause' });
  });

  it('neither takes nor lists a command file copied from another deployment, and warns once with the file and the fix', async () => {
    const { root, store, sink } = await twoDeployments();
    await store.sendControl(A, 'abort', 'alice@box (shift abort)');
    const [name] = readdirSync(join(root, A, 'control'));
    mkdirSync(join(root, B, 'control'));
    const copied = join(root, B, 'control', name!);
    copyFileSync(join(root, A, 'control', name!), copied);
    expect(await store.pendingControl(B)).toEqual([]);
    expect(await store.takeControl(B)).toBeUndefined();
    expect(await store.takeControl(B)).toBeUndefined(); // polled every second by a run: still one warning
    const warnings = sink.events.filter((e) => e.code === 'control.foreign');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 'warn' });
    expect(warnings[0]!.message).toBe(
      `${copied} queues "abort" for deployment ${A}, not for ${B} (copied into its folder, or left from an earlier deployment): not taken; if "abort" is meant for deployment ${B}, send it again with \`ws-deployment shift abort ${B}\`; then remove the file (\`rm ${copied}\`)`,
    );
    // Left in place (the operator decides), and the deployment it names still takes it.
    expect(readdirSync(join(root, B, 'control'))).toEqual([name]);
    expect(await store.takeControl(A)).toMatchObject({ command: 'abort', by: 'alice@box (shift abort)' });
  });

  it('takes a command file without an id (an older sender) sent after the deployment began, refuses one sent before it', async () => {
    const { root, store, sink } = await twoDeployments();
    const began = Date.parse((await store.open(B, { readOnly: true })).snapshot().createdAt);
    mkdirSync(join(root, B, 'control'));
    const before = `${(began - 60_000).toString().padStart(15, '0')}-aaaaaa.json`;
    const after = `${(began + 1_000).toString().padStart(15, '0')}-bbbbbb.json`;
    writeFileSync(join(root, B, 'control', before), JSON.stringify({ command: 'abort' }));
    writeFileSync(join(root, B, 'control', after), JSON.stringify({ command: 'pause', by: 'bob@box (shift pause)' }));
    expect((await store.pendingControl(B)).map((p) => p.command)).toEqual(['pause']);
    expect(await store.takeControl(B)).toMatchObject({ command: 'pause', by: 'bob@box (shift pause)' });
    expect(await store.takeControl(B)).toBeUndefined();
    const [warning] = sink.events.filter((e) => e.code === 'control.foreign');
    expect(warning?.message).toMatch(new RegExp(`^${join(root, B, 'control', before)} queues "abort" sent at \\S+, before deployment ${B} began \\(\\S+\\), and names no deployment: .* not taken; if "abort" is meant for deployment ${B}, send it again with \`ws-deployment shift abort ${B}\``));
  });
});
