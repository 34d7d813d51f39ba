/** `status` and `shift` tell a deployment whose process is gone from one that runs. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStateStore } from '../../../src/state/file-store.js';
import { liveState } from '../../../src/state/liveness.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const KEY = { project: 'p', environment: 'development' };

async function runningDeployment(): Promise<{ store: FileStateStore; id: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-liveness-'));
  dirs.push(dir);
  const store = new FileStateStore(dir);
  const journal = await store.create('d-001');
  await journal.append({ type: 'deployment.created', id: 'd-001', inputs: { configFile: '/c.yaml', configHash: 'h', ...KEY }, clusterId: 101, clusters: [], steps: [] });
  return { store, id: 'd-001' };
}

describe('liveState', () => {
  it('is running while its own run holds the environment lock', async () => {
    const { store, id } = await runningDeployment();
    const lock = await store.lock(KEY, { deploymentId: id, command: 'resume' });
    expect((await liveState(store, (await store.open(id, { readOnly: true })).snapshot())).state).toBe('running');
    await lock.release();
  });

  it('is interrupted when the lock is held by a run of another deployment of the environment', async () => {
    const { store, id } = await runningDeployment();
    // A `deploy --allow-unfinished` beside a killed run: the lock is one per environment.
    const lock = await store.lock(KEY, { deploymentId: 'd-002', command: 'deploy' });
    const live = await liveState(store, (await store.open(id, { readOnly: true })).snapshot());
    expect(live.state).toBe('interrupted');
    expect(live.error?.message).toContain(`resume ${id}`);
    await lock.release();
  });

  it('asks a store without a holder reader by taking the lock, and reads the refusal\'s holder', async () => {
    const { store, id } = await runningDeployment();
    const lock = await store.lock(KEY, { deploymentId: 'd-002', command: 'deploy' });
    const probing = Object.assign(Object.create(store) as FileStateStore, { lockHolder: undefined });
    expect((await liveState(probing, (await store.open(id, { readOnly: true })).snapshot())).state).toBe('interrupted');
    await lock.release();
  });
});
