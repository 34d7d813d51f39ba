/**
 * A deployment's `control/` (its queued shift commands) that is a file or a symlink instead of a
 * folder of the state dir: `status` crashed on it with "internal error (please report): ENOTDIR" and a
 * stack trace. Now the readers of it refuse with the path and the fix, and nothing is read through a
 * symlink out of the state dir.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStateStore } from '../../../src/state/file-store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const ID = '20260101-000000-aaaa';

async function store(): Promise<{ root: string; store: FileStateStore }> {
  const root = mkdtempSync(join(tmpdir(), 'wsd-control-'));
  dirs.push(root);
  const s = new FileStateStore(root);
  const j = await s.create(ID);
  await j.append({ type: 'deployment.created', id: ID, inputs: { configFile: '/c.yaml', configHash: 'h', project: 'p', environment: 'development' }, clusterId: 101, clusters: [], steps: [] });
  return { root, store: s };
}

describe('control/ that is no folder of the state dir', () => {
  it.each([
    ['a file', (path: string) => writeFileSync(path, 'x'), /control is a file, not the folder of the shift commands queued for deployment 20260101-000000-aaaa: move it out of the state dir, then send the commands again/],
    ['a symlink', (path: string, root: string) => (mkdirSync(join(root, '..', `${ID}-outside`), { recursive: true }), symlinkSync(join(root, '..', `${ID}-outside`), path)), /control is a symlink, not the folder/],
  ])('%s: pending and take refuse with the path and the fix', async (_name, make, says) => {
    const { root, store: s } = await store();
    make(join(root, ID, 'control'), root);
    await expect(s.pendingControl(ID)).rejects.toThrow(says);
    await expect(s.takeControl(ID)).rejects.toThrow(says);
    rmSync(join(root, '..', `${ID}-outside`), { recursive: true, force: true });
  });

  it('none queued is no pending command', async () => {
    const { store: s } = await store();
    expect(await s.pendingControl(ID)).toEqual([]);
    expect(await s.takeControl(ID)).toBeUndefined();
  });
});
