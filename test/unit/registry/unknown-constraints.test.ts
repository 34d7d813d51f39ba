/**
 * Bridges before 2022-07 list constraints this tool's proto no longer has
 * (`has_user_level` 3, `has_more_resources` 4): to us an AdmissionConstraint
 * with an empty oneof. The cluster still has that constraint: `list` must show
 * it and `swap` must treat the cluster as constrained, not as a plain one.
 */
import { describe, expect, it } from 'vitest';
import { clustersJson, clustersTable } from '../../../src/registry/format.js';
import { swapClusters } from '../../../src/registry/swap.js';
import type { ClusterStatus, WireClusterStatus } from '../../../src/registry/types.js';
import { statusFromWire } from '../../../src/registry/wire.js';
import { toRegistryCluster } from '../../../src/traffic/registry-adapter.js';

const wire = (name: string, constraints: WireClusterStatus['admission_constraint']): WireClusterStatus =>
  ({ name, url: `dns:///${name}:8080`, state: 'AVAILABLE', score: 50, max_score: 100, governed: true, static: false, admission_constraint: constraints, region: '' }) as WireClusterStatus;

describe('admission constraints of a kind this tool does not know', () => {
  const legacy = statusFromWire(wire('big', [{} as never, { has_permission: { permission: 'p' }, constraint: 'has_permission' } as never]));
  const plain = statusFromWire(wire('plain', []));

  it('are counted, not dropped', () => {
    expect(legacy.admissionConstraints).toEqual([{ type: 'has-permission', permission: 'p' }]);
    expect(legacy.unknownConstraints).toBe(1);
    expect(plain.unknownConstraints).toBeUndefined();
  });

  it('show in list, as a table and as JSON', () => {
    expect(clustersTable([legacy])).toMatch(/has-permission=p,unknown\n$/);
    expect(JSON.parse(clustersJson([legacy]))[0]).toMatchObject({ admissionConstraints: ['has-permission=p', 'unknown'] });
    expect(JSON.parse(clustersJson([legacy]))[0]).not.toHaveProperty('unknownConstraints');
  });

  it('stop a swap like any constraint (unless told to ignore them)', async () => {
    const onlyUnknown: ClusterStatus = { ...plain, name: 'lvl', unknownConstraints: 1 };
    const updates: string[] = [];
    const client = { meta: 'm', list: async () => [onlyUnknown, plain], update: async (name: string) => void updates.push(name) };
    await expect(swapClusters(client as never, 'lvl', 'plain')).rejects.toMatchObject({ code: 'RegistryRefused', message: expect.stringContaining('lvl has admission constraints') });
    expect(updates).toEqual([]);
    await swapClusters(client as never, 'lvl', 'plain', { ignoreAdmissionConstraints: true });
    expect(updates).toHaveLength(4);
  });

  it('keep the cluster out of the plain constraint set of a traffic shift', () => {
    expect(toRegistryCluster({ ...plain, unknownConstraints: 1 }).admissionConstraints).toEqual(['unknown']);
  });
});
