/**
 * Cluster ids of two environments sharing one state dir (allocate-id.ts `shared`). Short names (`eu100`) carry no
 * environment, and the sandbox registry of a meta cluster, `retire/<name>.json` and a meta cluster two configs name
 * alike are keyed by them. Each environment allocated from its own history only: development journaled eu100 and had
 * not registered it yet, staging took 100 too, and development's registration then found staging's eu100 at the same
 * URL and took it for its own. Real file store on a temp dir; the CLI case is in test/e2e/shared-state-dir-ids.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { allocateClusterId, clusterIdHistory, sharedNameRefusal } from '../../../src/plan/allocate-id.js';
import { FileStateStore } from '../../../src/state/file-store.js';
import { createdFor } from '../../helpers/journal-fixture.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const STAGING = { project: 'shared-test', environment: 'staging' };
const { config } = parseConfig(
  'version: v1\nenvironment: staging\nproject: { id: shared-test, network: n, dnsZone: z.test }\nmetaClusters: [{ name: meta, region: europe-west1 }]\nworkspaceClusters: [{ region: europe-west1, prefix: eu, governedBy: meta, type: sandbox }]\n',
  '/tmp/staging.yaml',
);
const free = async () => ({ exists: false });

/** Development deployments in one store, oldest first: their cluster id and whether their traffic shift succeeded. */
async function development(deployments: Array<{ id: number; promoted: boolean }>): Promise<FileStateStore> {
  const root = mkdtempSync(join(tmpdir(), 'wsd-shared-ids-'));
  dirs.push(root);
  const store = new FileStateStore(root);
  for (const d of deployments) {
    const j = await store.create(`d-${d.id}`);
    await j.append({ ...createdFor(`d-${d.id}`, d.id, { project: 'shared-test' }), deploymentSteps: ['traffic-shift' as const] });
    if (d.promoted) {
      await j.append({ type: 'step.started', cluster: '*', step: 'traffic-shift', attempt: 1 });
      await j.append({ type: 'step.succeeded', cluster: '*', step: 'traffic-shift', durationMs: 1, outputs: {} });
    }
    await new Promise((r) => setTimeout(r, 5)); // distinct start times: newest first is by them
  }
  return store;
}

describe('cluster ids beside another environment in the state dir', () => {
  it("skips the ids whose short names another environment's deployment journaled, registered yet or not", async () => {
    const store = await development([{ id: 100, promoted: false }]);
    const history = await clusterIdHistory(store, STAGING);
    expect([...history.shared]).toEqual([['eu100', { deploymentId: 'd-100', project: 'shared-test', environment: 'development' }]]);
    // Staging's own history is empty: the search starts at 100, which development's eu100 holds.
    expect(history.lastUsed).toBeUndefined();
    expect(await allocateClusterId(config, { probe: free, ...history })).toBe(101);
  });

  it('counts only what may still exist: down to the newest promoted deployment of that environment', async () => {
    // d-100 was shifted away from by d-101 (promoted) and retired; d-102 began after and has not shifted yet.
    const store = await development([{ id: 100, promoted: true }, { id: 101, promoted: true }, { id: 102, promoted: false }]);
    const history = await clusterIdHistory(store, STAGING);
    expect([...history.shared.keys()].sort()).toEqual(['eu101', 'eu102']);
    expect(await allocateClusterId(config, { probe: free, ...history })).toBe(100);
  });

  it('refuses a --cluster-id whose short name another environment uses, naming it and what to do', async () => {
    const { shared } = await clusterIdHistory(await development([{ id: 100, promoted: false }]), STAGING);
    expect(sharedNameRefusal(config, 101, shared)).toBeUndefined();
    const refusal = sharedNameRefusal(config, 100, shared);
    expect(refusal).toMatchObject({ code: 'ClusterExists', details: { clusterId: 100, shared: [{ name: 'eu100', deploymentId: 'd-100', environment: 'development' }] } });
    expect(refusal?.message).toBe(
      'cluster id 100 gives short names another environment in this state dir uses: eu100 is a cluster of deployment d-100 (project shared-test, environment development); short names carry no environment, so the registry, retirement and old-cluster records of the two would be one. Pass another --cluster-id, leave it out to allocate a free one, or give each environment its own --state-dir',
    );
  });

  it("its own environment's names are no one else's: they stay its own history", async () => {
    const store = await development([{ id: 100, promoted: false }]);
    const history = await clusterIdHistory(store, { project: 'shared-test', environment: 'development' });
    expect(history.shared.size).toBe(0);
    expect(history.lastUsed).toBe(100);
  });
});
