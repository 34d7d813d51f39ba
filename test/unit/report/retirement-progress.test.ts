/**
 * Where each old cluster stands after a retirement stopped part-way, from the retire step's journaled progress
 * (report/retirement-progress.ts): the words every reader (status, its JSON, the report, the final webhook) says.
 */
import { describe, expect, it } from 'vitest';
import { retirementProgress } from '../../../src/report/retirement-progress.js';
import { applyRecord, type JournalRecord, type Snapshot } from '../../../src/state/model.js';

const RETIRE = 'retire-old-clusters';

function snapshotOf(records: Array<Record<string, unknown>>): Snapshot {
  let snap: Snapshot | undefined;
  const all = [
    { type: 'deployment.created', id: 'd-1', inputs: { configFile: '/c.yaml', configHash: 'h', project: 'p', environment: 'dev' }, clusterId: 101, clusters: [], steps: [], deploymentSteps: ['traffic-shift', RETIRE] },
    ...records,
  ];
  all.forEach((r, i) => (snap = applyRecord(snap, { seq: i + 1, time: `2026-01-01T00:00:0${i % 10}.000Z`, ...r } as JournalRecord)));
  return snap!;
}

/** A promoted shift over meta-eu and meta-us, then a retirement that checkpointed `progress` and stopped with `end`. */
function retirement(progress: Record<string, unknown>, end: Record<string, unknown> = { type: 'step.failed', cluster: '*', step: RETIRE, error: { code: 'ToolFailed', message: 'x' } }) {
  return snapshotOf([
    { type: 'step.started', cluster: '*', step: 'traffic-shift', attempt: 1 },
    { type: 'step.succeeded', cluster: '*', step: 'traffic-shift', outputs: { outcome: 'promoted', metas: ['meta-eu', 'meta-us'] }, durationMs: 1 },
    { type: 'step.started', cluster: '*', step: RETIRE, attempt: 1 },
    { type: 'step.checkpoint', cluster: '*', step: RETIRE, outputs: { clusters: { newClusters: [{ name: 'eu101' }], oldClusters: [{ name: 'eu90' }, { name: 'us90' }, { name: 'as90' }] } } },
    { type: 'step.checkpoint', cluster: '*', step: RETIRE, outputs: { progress } },
    end,
  ]);
}

describe('retirement progress', () => {
  it('says per old cluster: destroyed, destroy begun, still registered where, untouched', () => {
    const said = retirementProgress(
      retirement({
        eu90: { cordoned: ['meta-eu', 'meta-us'], deregistered: ['meta-eu', 'meta-us'], destroyStarted: true, destroyed: true, done: true },
        us90: { cordoned: ['meta-eu', 'meta-us'], deregistered: ['meta-eu', 'meta-us'], destroyStarted: true },
        as90: { cordoned: ['meta-eu'], deregistered: [] },
      }),
    );
    expect(said?.clusters.map((c) => [c.name, c.cluster, c.registeredOn])).toEqual([
      ['eu90', 'destroyed', []],
      ['us90', 'destroy-started', []],
      // The cordon pass did not reach meta-us: still registered there too, not cordoned.
      ['as90', 'exists', ['meta-eu', 'meta-us']],
    ]);
    expect(said?.line).toBe(
      'retirement of the old clusters stopped part-way: eu90 deregistered and destroyed; ' +
        'us90 deregistered; its terraform destroy began and did not finish: it may exist in part; ' +
        'as90 still registered on meta-eu, meta-us; not destroyed: it still exists',
    );
  });

  it('names the meta clusters it is still on beside those it left, and one never touched', () => {
    const said = retirementProgress(retirement({ eu90: { cordoned: ['meta-eu', 'meta-us'], deregistered: ['meta-eu'] } }));
    expect(said?.clusters.map((c) => `${c.name} ${c.words}`)).toEqual([
      'eu90 cordoned, still registered on meta-us (deregistered from meta-eu); not destroyed: it still exists',
      'us90 still registered on meta-eu, meta-us; not destroyed: it still exists',
      'as90 still registered on meta-eu, meta-us; not destroyed: it still exists',
    ]);
  });

  it('a deregistered cluster left for a human to destroy says the command', () => {
    const said = retirementProgress(retirement({ eu90: { cordoned: ['meta-eu', 'meta-us'], deregistered: ['meta-eu', 'meta-us'], manual: ['terraform', 'destroy'], done: true } }));
    expect(said?.clusters[0]?.words).toBe('deregistered; not destroyed: it still exists (destroy it by hand: terraform destroy)');
  });

  it('says nothing where the retirement succeeded or touched nothing yet', () => {
    expect(retirementProgress(retirement({ eu90: { cordoned: [], deregistered: [], destroyed: true, done: true } }, { type: 'step.succeeded', cluster: '*', step: RETIRE, outputs: { retired: [] }, durationMs: 1 }))).toBeUndefined();
    expect(retirementProgress(retirement({}))).toBeUndefined();
  });
});
