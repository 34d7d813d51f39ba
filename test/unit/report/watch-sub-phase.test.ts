/**
 * `status --watch` shows a running step's sub-phase from the journaled
 * `step.progress` events (terraform resource counts, helm rollouts), only for
 * the step's current attempt: a retry or the step's end clears it.
 */
import { describe, expect, it } from 'vitest';
import { rolloutsText } from '../../../src/steps/install/apply-release.js';
import { watchView } from '../../../src/report/watch/watch-view.js';
import type { JournalRecord } from '../../../src/state/model.js';

const ID = '20260101-120000-abcd';
const EU = 'gp-dev-ws-eu5-eu-west1';
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
let seq = 0;
const rec = (s: number, r: Record<string, unknown>): JournalRecord => ({ seq: ++seq, time: new Date(T0 + s * 1000).toISOString(), ...r }) as JournalRecord;
const progress = (s: number, step: string, message: string) => rec(s, { type: 'event', level: 'debug', code: 'step.progress', cluster: EU, step, message, data: { phase: message } });

const created = rec(0, {
  type: 'deployment.created', id: ID, inputs: { configFile: 'x', configHash: 'h', project: 'p', environment: 'dev' }, clusterId: 5,
  clusters: [{ index: 0, name: EU, shortName: 'eu5', id: 5, region: 'europe-west1', prefix: 'eu', governedBy: 'meta', type: 'sandbox' }],
  steps: [['create-cluster', 'install-gitpod', 'install-jaeger']], deploymentSteps: [],
});

const line = (records: JournalRecord[]) => watchView({ records, pending: [], now: T0 + 60_000, clock: false }).lines[1];

describe('status --watch: the sub-phase of a running step', () => {
  it('terraform apply resource counts while create-cluster runs, gone when it ends', () => {
    const records = [created, rec(1, { type: 'step.started', cluster: EU, step: 'create-cluster', attempt: 1 }), progress(2, 'create-cluster', 'terraform apply 12/31 resources')];
    expect(line(records)).toBe(`  ${EU}  create-cluster running: terraform apply 12/31 resources`);
    records.push(progress(3, 'create-cluster', 'terraform apply 31/31 resources'));
    expect(line(records)).toBe(`  ${EU}  create-cluster running: terraform apply 31/31 resources`);
    // A retry starts without the previous attempt's count.
    records.push(rec(4, { type: 'step.failed', cluster: EU, step: 'create-cluster', error: { code: 'ToolFailed', message: 'x' } }), rec(5, { type: 'step.started', cluster: EU, step: 'create-cluster', attempt: 2 }));
    expect(line(records)).toBe(`  ${EU}  create-cluster running (attempt 2)`);
  });

  it('helm rollouts of the releases installing together', () => {
    const records = [
      created,
      rec(1, { type: 'step.started', cluster: EU, step: 'create-cluster', attempt: 1 }),
      rec(2, { type: 'step.succeeded', cluster: EU, step: 'create-cluster', outputs: {}, durationMs: 1000 }),
      rec(3, { type: 'step.started', cluster: EU, step: 'install-gitpod', attempt: 1 }),
      rec(3, { type: 'step.started', cluster: EU, step: 'install-jaeger', attempt: 1 }),
      progress(4, 'install-gitpod', rolloutsText('gitpod', 3)),
      progress(4, 'install-jaeger', rolloutsText('jaeger-operator', 1)),
    ];
    expect(line(records)).toBe(`  ${EU}  install-gitpod running: helm gitpod: waiting for 3 rollouts, install-jaeger running: helm jaeger-operator: waiting for 1 rollout`);
    records.push(rec(6, { type: 'step.succeeded', cluster: EU, step: 'install-jaeger', outputs: {}, durationMs: 3000 }));
    expect(line(records)).toBe(`  ${EU}  install-gitpod running: helm gitpod: waiting for 3 rollouts`);
  });
});
