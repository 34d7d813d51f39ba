/**
 * The DETAIL column of the summary table for the deployment-wide steps: what
 * moved and what is gone, and for a cluster left to destroy by hand, the command.
 */
import { describe, expect, it } from 'vitest';
import { renderSummary, statusDocument } from '../../../src/report/summary.js';
import { CONCLUDED } from '../../../src/steps/step.js';
import type { Snapshot, StepRecordState } from '../../../src/state/model.js';

function snapshot(deploymentSteps: StepRecordState[]): Snapshot {
  return {
    schemaVersion: 1,
    seq: 1,
    id: 'd-1',
    state: 'succeeded',
    createdAt: '2026-11-25T10:00:00.000Z',
    updatedAt: '2026-11-25T10:01:00.000Z',
    inputs: {} as Snapshot['inputs'],
    clusterId: 18,
    clusters: [],
    deploymentSteps,
  };
}

const row = (table: string, step: string) => table.split('\n').find((l) => l.includes(` ${step} `))?.split(/\s{2,}/).at(-1);

describe('summary detail of the deployment-wide steps', () => {
  it('names the cordoned old clusters, and what retirement did with each', () => {
    const table = renderSummary(
      snapshot([
        { name: 'traffic-shift', state: 'succeeded', attempts: 1, outputs: { outcome: 'promoted', oldClusters: [{ name: 'eu17' }, { name: 'us17' }] } },
        {
          name: 'retire-old-clusters',
          state: 'succeeded',
          attempts: 1,
          outputs: {
            retired: [
              { name: 'eu17', destroyed: true },
              { name: 'us17', destroyed: false, manual: ['gcloud', 'container', 'clusters', 'delete', 'gp-prod-ws-us17-us-west1'] },
              { name: 'ap17', destroyed: false },
            ],
          },
        },
      ]),
    );
    expect(row(table, 'traffic-shift')).toBe('promoted; eu17, us17 cordoned');
    expect(row(table, 'retire-old-clusters')).toBe(
      'eu17 destroyed, us17 deregistered, destroy by hand: gcloud container clusters delete gp-prod-ws-us17-us-west1, ap17 deregistered',
    );
  });

  it('says so for a first generation, and prefers the error of a failed step', () => {
    const table = renderSummary(
      snapshot([
        { name: 'traffic-shift', state: 'succeeded', attempts: 1, outputs: { outcome: 'promoted', oldClusters: [] } },
        { name: 'retire-old-clusters', state: 'failed', attempts: 1, outputs: { retired: [] }, error: { code: 'GateFailed', message: 'destroy gate refused\nmore' } },
      ]),
    );
    expect(row(table, 'traffic-shift')).toBe('promoted (first generation)');
    expect(row(table, 'retire-old-clusters')).toBe('destroy gate refused');
  });
});

describe('steps a concluded deployment will never run', () => {
  const state = (steps: StepRecordState[], concluded: boolean): Snapshot => ({
    ...snapshot(steps),
    state: 'failed',
    deploymentSteps: steps.map((s) => (s.name === 'traffic-shift' && concluded ? { ...s, checkpoint: { [CONCLUDED]: 'its traffic shift rolled back: fail: start-failure-ratio' } } : s)),
  });
  const steps: StepRecordState[] = [
    { name: 'traffic-shift', state: 'failed', attempts: 1, error: { code: 'ShiftRolledBack', message: 'traffic shift rolled back at step 1/3' } },
    { name: 'retire-old-clusters', state: 'pending', attempts: 0 },
  ];
  const stateColumn = (table: string, step: string) => table.split('\n').find((l) => l.includes(` ${step} `))?.split(/\s{2,}/)[2];

  it('a rolled-back shift: retirement is "not run" with the reason, not "pending" (resume refuses the deployment)', () => {
    const snap = state(steps, true);
    const table = renderSummary(snap);
    expect(stateColumn(table, 'retire-old-clusters')).toBe('not run');
    expect(row(table, 'retire-old-clusters')).toBe('the deployment is over (its traffic shift rolled back)');
    const json = statusDocument(snap).steps.find((s) => s.name === 'retire-old-clusters');
    expect(json).toMatchObject({ state: 'pending', notRun: 'the deployment is over (its traffic shift rolled back)' });
  });

  it('a failed deployment that resume would continue keeps its pending steps pending', () => {
    const snap = state(steps, false);
    expect(stateColumn(renderSummary(snap), 'retire-old-clusters')).toBe('pending');
    expect(statusDocument(snap).steps.find((s) => s.name === 'retire-old-clusters')).not.toHaveProperty('notRun');
  });
});
