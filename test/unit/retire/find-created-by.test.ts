/**
 * Which deployment created a cluster, for its destroy (find-module-input.ts), when the newest creator of a reused
 * name has a damaged journal. It was skipped as unreadable, and the older deployment's module input (another
 * cluster's backend) was taken without a word. Now that is refused with the damaged journal and the fix, unless its
 * intact records rule it out (another environment, another cluster id). Real file store on a temp dir.
 */
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStateStore } from '../../../src/state/file-store.js';
import { findCreatedBy } from '../../../src/steps/retire/find-module-input.js';
import { createdFor } from '../../helpers/journal-fixture.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const KEY = { project: 'p', environment: 'development' };
const OLDER = '20260101-000000-aaaa';
const NEWER = '20260201-000000-bbbb';

/** Two deployments that each created eu7 (the id came round again), the newer one's journal damaged after its creation. */
async function reusedName(newer: { environment?: string; clusterId?: number } = {}): Promise<{ store: FileStateStore; journal: string }> {
  const root = mkdtempSync(join(tmpdir(), 'wsd-created-by-'));
  dirs.push(root);
  const store = new FileStateStore(root);
  for (const [id, inputs, clusterId] of [[OLDER, {}, 7], [NEWER, { environment: newer.environment }, newer.clusterId ?? 7]] as const) {
    const j = await store.create(id);
    const first = createdFor(id, clusterId, inputs.environment ? { environment: inputs.environment } : {});
    await j.append(first);
    const cluster = first.clusters[0]!.name;
    await j.append({ type: 'step.started', cluster, step: 'create-cluster', attempt: 1 });
    await j.append({ type: 'step.succeeded', cluster, step: 'create-cluster', durationMs: 1, outputs: { moduleInput: { backend: { type: 'gcs', bucket: `state-of-${id}` } } } });
    await new Promise((r) => setTimeout(r, 5)); // distinct start times: newest first is by them
  }
  const journal = join(root, NEWER, 'journal.ndjson');
  appendFileSync(journal, '{damaged\n{"seq":99}\n');
  return { store, journal };
}

describe('findCreatedBy beside a damaged journal', () => {
  it('refuses, naming the damaged journal, the older creator it would have taken, and the fix', async () => {
    const { store, journal } = await reusedName();
    const refusal = findCreatedBy(store, 'eu7', KEY);
    await expect(refusal).rejects.toMatchObject({ code: 'StateCorrupt', details: { deploymentId: NEWER, file: journal, olderCreator: OLDER } });
    await expect(refusal).rejects.toThrow(
      new RegExp(`^cannot tell how cluster eu7 was created: deployment ${NEWER}, which may be its newest creator, has a damaged journal \\(journal ${journal} line 4 is not valid JSON .*\\); without it, the older deployment ${OLDER} \\(which created gp-dev-ws-eu7-eu-west1\\) would be taken, though a newer eu7 may be another cluster of that name\\. restore ${journal} from a backup of the state dir, or repair line 4 by hand .*; then run again$`),
    );
    // The full name too.
    await expect(findCreatedBy(store, 'gp-dev-ws-eu7-eu-west1', KEY)).rejects.toMatchObject({ code: 'StateCorrupt' });
  });

  it('takes the older creator where the damaged journal is of another environment or another cluster id', async () => {
    for (const newer of [{ environment: 'staging' }, { clusterId: 8 }]) {
      const { store } = await reusedName(newer);
      expect(await findCreatedBy(store, 'eu7', KEY), JSON.stringify(newer)).toMatchObject({ deploymentId: OLDER, moduleInput: { backend: { bucket: `state-of-${OLDER}` } } });
    }
  });
});

describe('findCreatedBy across environments sharing a state dir', () => {
  /** Deployments that each created eu7 (short names carry no environment), none damaged. */
  async function creators(environments: readonly string[]): Promise<FileStateStore> {
    const root = mkdtempSync(join(tmpdir(), 'wsd-created-by-'));
    dirs.push(root);
    const store = new FileStateStore(root);
    for (const [i, environment] of environments.entries()) {
      const id = `2026010${i + 1}-000000-aaaa`;
      const j = await store.create(id);
      const first = createdFor(id, 7, { environment });
      await j.append(first);
      const cluster = first.clusters[0]!.name;
      await j.append({ type: 'step.started', cluster, step: 'create-cluster', attempt: 1 });
      await j.append({ type: 'step.succeeded', cluster, step: 'create-cluster', durationMs: 1, outputs: { moduleInput: { backend: { type: 'gcs', bucket: `state-of-${environment}` } } } });
      await new Promise((r) => setTimeout(r, 5)); // distinct start times: newest first is by them
    }
    return store;
  }

  it("never takes another environment's creator of the same short name, however new", async () => {
    const store = await creators(['development', 'staging']);
    expect(await findCreatedBy(store, 'eu7', KEY)).toMatchObject({ deploymentId: '20260101-000000-aaaa', moduleInput: { backend: { bucket: 'state-of-development' } } });
    expect(await findCreatedBy(store, 'eu7', { project: 'p', environment: 'staging' })).toMatchObject({ moduleInput: { backend: { bucket: 'state-of-staging' } } });
    expect(await findCreatedBy(store, 'eu7', { project: 'other', environment: 'development' })).toBeUndefined();
    expect(await findCreatedBy(await creators(['staging']), 'eu7', KEY)).toBeUndefined();
  });
});
