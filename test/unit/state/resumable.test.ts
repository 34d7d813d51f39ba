/**
 * Which earlier deployments are still open (src/state/resumable.ts): what
 * `deploy` refuses to start beside, what `resume` picks, and what
 * `retire --cluster` refuses to take away. Snapshots are written out by hand.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WsdError } from '../../../src/core/errors.js';
import type { DeploymentState, Snapshot, StepRecordState } from '../../../src/state/model.js';
import { concludedBy, createdClusters, journaledConfigFile, newestUnfinished, openDeploymentsUsing, resumableDeployments, rolledBack, supersededBy } from '../../../src/state/resumable.js';
import type { StateStore } from '../../../src/state/store.js';

const KEY = { project: 'p', environment: 'prod' };

function snapshot(id: string, over: Partial<Snapshot> = {}): Snapshot {
  return {
    schemaVersion: 1,
    seq: 1,
    id,
    state: 'failed',
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
    inputs: { configFile: '/nowhere/config.yaml', configHash: 'h', project: 'p', environment: 'prod' },
    clusterId: 1,
    clusters: [],
    deploymentSteps: [],
    ...over,
  };
}

function step(name: string, state: StepRecordState['state'], checkpoint?: Record<string, unknown>): StepRecordState {
  return { name: name as StepRecordState['name'], state, attempts: 1, ...(checkpoint ? { checkpoint } : {}) };
}

function cluster(shortName: string, steps: StepRecordState[] = []): Snapshot['clusters'][number] {
  return { index: 0, name: `gke-${shortName}`, shortName, id: 1, region: 'europe-west1', prefix: 'eu', governedBy: 'eu', type: 'gke', steps };
}

/** A store listing the given deployments newest first (as the real stores do), remembering how each was opened. */
function store(entries: Array<{ snap: Snapshot; project?: string; environment?: string; state?: DeploymentState }>) {
  const opened: Array<{ id: string; readOnly?: boolean }> = [];
  const s = {
    list: async () =>
      entries.map((e) => ({ id: e.snap.id, state: e.state ?? e.snap.state, createdAt: '', updatedAt: '', project: e.project ?? 'p', environment: e.environment ?? 'prod' })),
    open: async (id: string, options?: { readOnly?: boolean }) => {
      opened.push({ id, readOnly: options?.readOnly });
      const e = entries.find((x) => x.snap.id === id)!;
      return { snapshot: () => e.snap };
    },
  } as unknown as StateStore;
  return { s, opened };
}

async function ids(gen: AsyncGenerator<Snapshot>): Promise<string[]> {
  const out: string[] = [];
  for await (const snap of gen) out.push(snap.id);
  return out;
}

describe('concludedBy: a failure is final only when the failed step says why', () => {
  it('is the reason a failed cluster or deployment step checkpointed as concluded', () => {
    expect(concludedBy(snapshot('a', { deploymentSteps: [step('traffic-shift', 'failed', { concluded: 'rolled back at 10 %' })] }))).toBe('rolled back at 10 %');
    expect(concludedBy(snapshot('a', { clusters: [cluster('eu70', [step('create-cluster', 'succeeded'), step('alive-test', 'failed', { concluded: 'gave up' })])] }))).toBe('gave up');
  });

  it('is undefined for a failure without that reason, a non-string reason, or a step that did not fail', () => {
    expect(concludedBy(snapshot('a', { deploymentSteps: [step('traffic-shift', 'failed', { other: 'x' })] }))).toBeUndefined();
    expect(concludedBy(snapshot('a', { deploymentSteps: [step('traffic-shift', 'failed', { concluded: true })] }))).toBeUndefined();
    expect(concludedBy(snapshot('a', { deploymentSteps: [step('traffic-shift', 'interrupted', { concluded: 'x' })] }))).toBeUndefined();
    expect(concludedBy(snapshot('a', { deploymentSteps: [step('traffic-shift', 'failed')] }))).toBeUndefined();
  });
});

describe('rolledBack: a failed deployment whose traffic shift concluded', () => {
  const shift = (state: StepRecordState['state'], why?: unknown) => step('traffic-shift', state, why === undefined ? undefined : { concluded: why });

  it('is true only with all three: deployment failed, shift failed, shift concluded with a reason', () => {
    expect(rolledBack(snapshot('a', { state: 'failed', deploymentSteps: [shift('failed', 'rolled back')] }))).toBe(true);
    expect(rolledBack(snapshot('a', { state: 'interrupted', deploymentSteps: [shift('failed', 'rolled back')] }))).toBe(false);
    expect(rolledBack(snapshot('a', { state: 'failed', deploymentSteps: [shift('interrupted', 'rolled back')] }))).toBe(false);
    expect(rolledBack(snapshot('a', { state: 'failed', deploymentSteps: [shift('failed')] }))).toBe(false);
    expect(rolledBack(snapshot('a', { state: 'failed', deploymentSteps: [shift('failed', 1)] }))).toBe(false);
  });

  it('looks at the traffic-shift step, not another concluded step', () => {
    expect(rolledBack(snapshot('a', { state: 'failed', deploymentSteps: [step('retire-old-clusters', 'failed', { concluded: 'x' })] }))).toBe(false);
    expect(rolledBack(snapshot('a', { state: 'failed' }))).toBe(false);
  });
});

describe('resumableDeployments', () => {
  it('yields the unfinished deployments of this project and environment, in the store’s order, opened read-only', async () => {
    const { s, opened } = store([
      { snap: snapshot('d5', { state: 'interrupted' }) },
      { snap: snapshot('d4', { state: 'succeeded' }) },
      { snap: snapshot('d3'), environment: 'staging' },
      { snap: snapshot('d2'), project: 'other' },
      { snap: snapshot('d1', { state: 'running' }) },
    ]);
    expect(await ids(resumableDeployments(s, KEY))).toEqual(['d5', 'd1']);
    // d4 is opened too, to see whether its shift promoted it (then d1 would be superseded; it did not).
    expect(opened).toEqual([
      { id: 'd5', readOnly: true },
      { id: 'd4', readOnly: true },
      { id: 'd1', readOnly: true },
    ]);
  });

  it('leaves out a deployment concluded by its failure (a rolled-back shift is an outcome)', async () => {
    const { s } = store([{ snap: snapshot('d2', { deploymentSteps: [step('traffic-shift', 'failed', { concluded: 'rolled back' })] }) }, { snap: snapshot('d1') }]);
    expect(await ids(resumableDeployments(s, KEY))).toEqual(['d1']);
  });
});

describe('superseded: a newer deployment of the environment was promoted (its traffic shift succeeded)', () => {
  const promotedBy = (id: string, state: DeploymentState) => snapshot(id, { state, deploymentSteps: [step('traffic-shift', 'succeeded')] });
  const partial = snapshot('d1', { state: 'partial', clusters: [cluster('eu101', [step('create-cluster', 'succeeded')]), cluster('us101', [{ ...step('create-cluster', 'pending'), attempts: 0 }])] });

  it('is over for resume, deploy and retire --cluster, whatever state the newer one ended in', async () => {
    for (const state of ['succeeded', 'partial', 'failed', 'interrupted'] as const) {
      const { s } = store([{ snap: promotedBy('d2', state) }, { snap: partial }]);
      expect(await ids(resumableDeployments(s, KEY)), state).toEqual(state === 'succeeded' ? [] : ['d2']);
      expect(await supersededBy(s, partial), state).toBe('d2');
      expect((await newestUnfinished(s))?.id, state).toBe(state === 'succeeded' ? undefined : 'd2');
      expect(await openDeploymentsUsing(s, KEY, 'eu101'), state).toEqual([]);
    }
  });

  it('is not superseded by a newer deployment that did not promote, one of another environment, or an older one', async () => {
    const unpromoted = snapshot('d3', { state: 'succeeded', deploymentSteps: [step('traffic-shift', 'skipped')] });
    const { s } = store([{ snap: unpromoted }, { snap: promotedBy('d2', 'succeeded'), environment: 'staging' }, { snap: partial }, { snap: promotedBy('d0', 'succeeded') }]);
    expect(await ids(resumableDeployments(s, KEY))).toEqual(['d1']);
    expect(await supersededBy(s, partial)).toBeUndefined();
    expect((await newestUnfinished(s))?.id).toBe('d1');
  });

  it('names the clusters whose creation began, for retire --cluster', () => {
    expect(createdClusters(partial)).toEqual(['eu101']);
  });
});

describe('openDeploymentsUsing: what retire --cluster must not take away', () => {
  it('names deployments that have the cluster as a new cluster or as an old cluster of their shift', async () => {
    const { s } = store([
      { snap: snapshot('d4', { clusters: [cluster('eu71')] }) },
      { snap: snapshot('d3', { deploymentSteps: [step('traffic-shift', 'interrupted', { clusters: { oldClusters: [{ name: 'eu69' }, { name: 'eu70' }] } })] }) },
      { snap: snapshot('d2', { clusters: [cluster('eu70')] }) },
      { snap: snapshot('d1', { state: 'succeeded', clusters: [cluster('eu70')] }) },
    ]);
    expect(await openDeploymentsUsing(s, KEY, 'eu70')).toEqual([
      { id: 'd3', as: 'old cluster' },
      { id: 'd2', as: 'new cluster' },
    ]);
  });

  it('says new cluster when a deployment has it both ways', async () => {
    const { s } = store([{ snap: snapshot('d1', { clusters: [cluster('eu70')], deploymentSteps: [step('retire-old-clusters', 'failed', { clusters: { oldClusters: [{ name: 'eu70' }] } })] }) }]);
    expect(await openDeploymentsUsing(s, KEY, 'eu70')).toEqual([{ id: 'd1', as: 'new cluster' }]);
  });

  it('finds nothing in a checkpoint without an old-cluster list', async () => {
    const { s } = store([
      { snap: snapshot('d3', { deploymentSteps: [step('traffic-shift', 'interrupted', { clusters: { oldClusters: 'eu70' } })] }) },
      { snap: snapshot('d2', { deploymentSteps: [step('traffic-shift', 'interrupted', { clusters: {} })] }) },
      { snap: snapshot('d1', { deploymentSteps: [step('traffic-shift', 'interrupted')] }) },
    ]);
    expect(await openDeploymentsUsing(s, KEY, 'eu70')).toEqual([]);
  });
});

describe('journaledConfigFile', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('is the config file the deployment was started with, while it exists', async () => {
    dir = mkdtempSync(join(tmpdir(), 'wsd-resumable-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'x: 1\n');
    const { s, opened } = store([{ snap: snapshot('d1', { inputs: { configFile: file, configHash: 'h', project: 'p', environment: 'prod' } }) }]);
    expect(await journaledConfigFile(s, 'd1')).toBe(file);
    expect(opened).toEqual([{ id: 'd1', readOnly: true }]);
  });

  it('refuses a config file that is gone, naming the deployment, the file and --config', async () => {
    const { s } = store([{ snap: snapshot('d7') }]);
    const error = (await journaledConfigFile(s, 'd7').catch((e: unknown) => e)) as WsdError;
    expect(error).toBeInstanceOf(WsdError);
    expect(error.code).toBe('ConfigInvalid');
    expect(error.message).toBe('deployment d7 ran with the config /nowhere/config.yaml, which no longer exists; pass the config to resume it with --config FILE');
  });
});
