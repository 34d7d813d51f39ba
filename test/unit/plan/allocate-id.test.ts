/**
 * Cluster id allocation: deterministic (after the newest deployment's id,
 * wrapping), and never an id under which a cluster of the deployment exists
 * (GKE / Terraform state through the probe) or is registered (any meta cluster).
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { WsdError } from '../../../src/core/errors.js';
import { allocateClusterId, candidateIds, type ExistenceProbe } from '../../../src/plan/allocate-id.js';

const config = parseConfig(
  `version: v1
environment: production
project: { id: alloc-test, network: n, dnsZone: example.test }
metaClusters: [{ name: meta-eu01, region: europe-west1 }]
workspaceClusters:
  - { region: europe-west1, prefix: eu, governedBy: meta-eu01, type: sandbox }
  - { region: us-west1, prefix: us, governedBy: meta-eu01, type: sandbox }
  - { region: asia-east1, prefix: as, governedBy: meta-eu01, type: sandbox, create: false }
`,
  '/tmp/allocate.yaml',
).config;

/** A probe that knows these full names exist, and records what it was asked. */
function probeOf(existing: string[]): ExistenceProbe & { asked: string[] } {
  const asked: string[] = [];
  const probe = async (target: { name: string }) => {
    asked.push(target.name);
    return existing.includes(target.name) ? { exists: true, where: 'terraform state' } : { exists: false };
  };
  return Object.assign(probe, { asked });
}

describe('cluster id allocation', () => {
  it('searches after the newest deployment\'s id, wrapping around the range', () => {
    expect(candidateIds().slice(0, 2)).toEqual([100, 101]);
    expect(candidateIds(150).slice(0, 2)).toEqual([151, 152]);
    expect(candidateIds(150).at(-1)).toBe(150);
    expect(candidateIds(299).slice(0, 2)).toEqual([100, 101]);
    expect(candidateIds(17).slice(0, 1)).toEqual([100]); // outside the range: start at its beginning
    expect(new Set(candidateIds(200)).size).toBe(200);
  });

  it('takes the first id under which nothing of the deployment exists', async () => {
    const probe = probeOf(['gp-prod-ws-us151-us-west1']);
    expect(await allocateClusterId(config, { probe, lastUsed: 150 })).toBe(152);
    // Only clusters the deployment creates are probed (`create: false` ones already exist by definition).
    expect(probe.asked).toEqual(['gp-prod-ws-eu151-eu-west1', 'gp-prod-ws-us151-us-west1', 'gp-prod-ws-eu152-eu-west1', 'gp-prod-ws-us152-us-west1']);
  });

  it('treats a short name registered with any meta cluster as taken, without probing it', async () => {
    const probe = probeOf([]);
    let lists = 0;
    const registeredNames = async () => (lists++, new Set(['eu151', 'us152', 'as153']));
    expect(await allocateClusterId(config, { probe, lastUsed: 150, registeredNames })).toBe(153);
    expect(lists).toBe(1); // once per allocation, not per candidate
    expect(probe.asked).toEqual(['gp-prod-ws-eu153-eu-west1', 'gp-prod-ws-us153-us-west1']);
  });

  it('says how to proceed when the probe cannot answer, and when every id is taken', async () => {
    const failing: ExistenceProbe = async () => {
      throw new WsdError('ToolFailed', 'gcloud is not authenticated');
    };
    await expect(allocateClusterId(config, { probe: failing })).rejects.toMatchObject({
      code: 'ToolFailed',
      message: 'gcloud is not authenticated; allocating a cluster id needs that answer (or pass --cluster-id ID to use a known id)',
    });
    const unreachable = async () => {
      throw new WsdError('RegistryUnavailable', 'meta cluster prod-meta-eu01 did not answer list within 5000 ms');
    };
    await expect(allocateClusterId(config, { probe: probeOf([]), registeredNames: unreachable })).rejects.toMatchObject({
      code: 'RegistryUnavailable',
      message: expect.stringMatching(/did not answer list within 5000 ms; allocating a cluster id needs that answer \(or pass --cluster-id ID/),
    });
    const full: ExistenceProbe = async () => ({ exists: true });
    await expect(allocateClusterId(config, { probe: full })).rejects.toMatchObject({ code: 'ClusterExists', message: expect.stringContaining('pass --cluster-id ID') });
  });
});
