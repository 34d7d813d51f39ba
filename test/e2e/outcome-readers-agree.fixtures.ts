/**
 * The deployment states the cross-reader tests build (test/e2e/outcome-readers-agree*.test.ts): hand-written journals
 * of each outcome, written to a real file store through its own journal API, with the words each reader's head line
 * must say and the outcome its JSON must carry.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FileStateStore } from '../../src/state/file-store.js';
import type { JournalRecord } from '../../src/state/model.js';
import type { DeploymentJournal, LockHandle } from '../../src/state/store.js';

export type Append = Parameters<DeploymentJournal['append']>[0];
export const EU = 'gp-dev-ws-eu101-eu-west1';
const ok = (cluster: string, step: string): Append[] => [
  { type: 'step.started', cluster, step, attempt: 1 },
  { type: 'step.succeeded', cluster, step, outputs: {}, durationMs: 5 },
] as Append[];
const installed = [...ok(EU, 'create-cluster'), ...ok(EU, 'register-cluster')];
const failedShift = (code: string, checkpoint: Record<string, unknown>): Append[] => [
  { type: 'step.started', cluster: '*', step: 'traffic-shift', attempt: 1 },
  { type: 'step.checkpoint', cluster: '*', step: 'traffic-shift', outputs: checkpoint },
  { type: 'step.failed', cluster: '*', step: 'traffic-shift', error: { code, message: 'the shift stopped' } },
] as Append[];

/** One deployment state: its records after `deployment.created`, and the words its head must say. */
export interface OutcomeCase {
  id: string;
  env: string;
  records: Append[];
  words: string;
  outcome: string;
  /** Its process is alive: the test holds its lock, here, or as a process on another host (which no reader can see). */
  live?: 'here' | 'other-host';
  /** A `shift` command sent to it that no process took. */
  queued?: 'pause';
  /** A retirement that stopped part-way: the line each reader says of the old clusters (destroyed, still registered, still existing). */
  retirement?: string;
}

/** Each case, oldest first. */
export const CASES: OutcomeCase[] = [
  {
    id: '20260101-000001-aaaa',
    env: 'held',
    records: [...installed, ...failedShift('PreCheckRefused', { progress: { phase: 'steps', stepIndex: 0, paused: true, gate: 'beforeIncrease' }, schedule: { steps: [10, 50, 100], manualGates: ['beforeIncrease'] } }), { type: 'deployment.finished', state: 'failed', error: { code: 'PreCheckRefused', message: '* traffic-shift: the shift holds at step 1/3' } }],
    words: 'held at the manual gate beforeIncrease',
    outcome: 'held',
  },
  {
    id: '20260101-000002-aaaa',
    env: 'retire',
    records: [
      ...installed,
      ...ok('*', 'traffic-shift'),
      { type: 'step.started', cluster: '*', step: 'retire-old-clusters', attempt: 1 },
      { type: 'step.failed', cluster: '*', step: 'retire-old-clusters', error: { code: 'ToolFailed', message: 'terraform destroy failed' } },
      { type: 'deployment.finished', state: 'failed', error: { code: 'DeploymentFailed', message: 'deployment retire-old-clusters: terraform destroy failed' } },
    ],
    words: 'failed after promotion (retiring the old clusters)',
    outcome: 'retire-failed',
  },
  // Interrupted, then a newer deployment of its environment promoted: superseded.
  {
    id: '20260101-000003-aaaa',
    env: 'superseded',
    records: [
      { type: 'step.started', cluster: EU, step: 'create-cluster', attempt: 1 },
      { type: 'step.interrupted', cluster: EU, step: 'create-cluster' },
      { type: 'deployment.finished', state: 'interrupted', error: { code: 'Interrupted', message: 'deployment 20260101-000003-aaaa was interrupted; continue it with `ws-deployment resume 20260101-000003-aaaa`' } },
    ],
    words: 'interrupted, superseded by 20260101-000004-aaaa',
    outcome: 'superseded',
  },
  { id: '20260101-000004-aaaa', env: 'superseded', records: [...installed, ...ok('*', 'traffic-shift'), ...ok('*', 'retire-old-clusters'), { type: 'deployment.finished', state: 'succeeded' }], words: 'succeeded', outcome: 'succeeded' },
  {
    id: '20260101-000005-aaaa',
    env: 'failed',
    records: [
      { type: 'step.started', cluster: EU, step: 'create-cluster', attempt: 1 },
      { type: 'step.failed', cluster: EU, step: 'create-cluster', error: { code: 'ToolFailed', message: 'terraform apply failed' }, durationMs: 5 },
      { type: 'deployment.finished', state: 'failed', error: { code: 'DeploymentFailed', message: 'create-cluster failed' } },
    ],
    words: 'failed',
    outcome: 'failed',
  },
  {
    id: '20260101-000006-aaaa',
    env: 'rolled-back',
    records: [
      ...installed,
      ...failedShift('GateFailed', { progress: { phase: 'rolled-back', stepIndex: 0, reason: 'errors', rolledBackFrom: 'step 1/2 (25 %)' }, concluded: 'its traffic shift rolled back: errors' }),
      { type: 'deployment.finished', state: 'failed', error: { code: 'DeploymentFailed', message: 'rolled back' } },
    ],
    words: 'rolled back',
    outcome: 'rolled-back',
  },
  {
    id: '20260101-000007-aaaa',
    env: 'partial',
    records: [...installed, { type: 'step.excluded', cluster: '*', step: 'traffic-shift', by: '--skip' }, { type: 'step.excluded', cluster: '*', step: 'retire-old-clusters', by: '--skip' }, { type: 'deployment.finished', state: 'partial', excluded: 2 }] as Append[],
    words: 'partial',
    outcome: 'partial',
  },
  // A `running` journal whose process is gone (killed): interrupted, to every reader.
  { id: '20260101-000008-aaaa', env: 'killed', records: [...installed, { type: 'step.started', cluster: '*', step: 'traffic-shift', attempt: 1 }] as Append[], words: 'interrupted', outcome: 'interrupted' },
  // Paused by an operator's `shift pause`, then the CI run stopped there.
  {
    id: '20260101-000009-aaaa',
    env: 'paused',
    records: [...installed, ...failedShift('PreCheckRefused', { progress: { phase: 'steps', stepIndex: 0, paused: true, pausedBy: 'operator' }, schedule: { steps: [10, 50, 100] } }), { type: 'deployment.finished', state: 'failed', error: { code: 'PreCheckRefused', message: '* traffic-shift: the shift is paused' } }],
    words: 'refused',
    outcome: 'refused',
  },
  // Running, its process alive (the test holds its lock for it), waiting at a manual gate.
  {
    id: '20260101-000010-aaaa',
    env: 'waiting',
    live: 'here',
    records: [
      ...installed,
      { type: 'step.started', cluster: '*', step: 'traffic-shift', attempt: 1 },
      { type: 'step.checkpoint', cluster: '*', step: 'traffic-shift', outputs: { progress: { phase: 'steps', stepIndex: 0, paused: true, gate: 'beforeIncrease' }, schedule: { steps: [10, 50, 100], manualGates: ['beforeIncrease'] } } },
      // As the shift journals it when it starts to wait (the gate-waiting webhook is sent for it).
      { type: 'event', level: 'info', code: 'traffic.gate', message: 'manual gate beforeIncrease at step 1/3 (10 %): waiting for `ws-deployment shift resume` (or promote / abort)', data: { gate: 'beforeIncrease' } },
    ] as Append[],
    words: 'running',
    outcome: 'running',
  },
  // A `shift pause` queued: never applied once it rolled back; applied by the resume of a killed one.
  {
    id: '20260101-000011-aaaa',
    env: 'rolled-back-queued',
    queued: 'pause',
    records: [
      ...installed,
      ...failedShift('GateFailed', { progress: { phase: 'rolled-back', stepIndex: 0, reason: 'errors', rolledBackFrom: 'step 1/2 (25 %)' }, concluded: 'its traffic shift rolled back: errors' }),
      { type: 'deployment.finished', state: 'failed', error: { code: 'DeploymentFailed', message: 'rolled back' } },
    ],
    words: 'rolled back',
    outcome: 'rolled-back',
  },
  { id: '20260101-000012-aaaa', env: 'killed-queued', queued: 'pause', records: [...installed, { type: 'step.started', cluster: '*', step: 'traffic-shift', attempt: 1 }] as Append[], words: 'interrupted', outcome: 'interrupted' },
  // Steps left out, finished as `succeeded` (as a journal written before `partial` existed says): `resume` refuses it.
  { id: '20260101-000014-aaaa', env: 'succeeded-excluded', records: [...ok(EU, 'create-cluster'), { type: 'step.excluded', cluster: EU, step: 'register-cluster', by: '--only' }, { type: 'step.excluded', cluster: '*', step: 'traffic-shift', by: '--only' }, { type: 'deployment.finished', state: 'succeeded' }] as Append[], words: 'succeeded', outcome: 'succeeded' },
  {
    id: '20260101-000015-aaaa',
    env: 'first-generation',
    records: [
      ...installed,
      ...failedShift('GateFailed', { progress: { phase: 'failed', stepIndex: 0, reason: 'errors' }, concluded: 'its first generation failed its gates' }),
      { type: 'deployment.finished', state: 'failed', error: { code: 'DeploymentFailed', message: 'the first generation failed its gates' } },
    ],
    words: 'first generation failed its gates; nothing to roll back to, so its clusters still take every new workspace start',
    outcome: 'first-generation-failed',
  },
  // Its rollback paused half-way, and the run stopped there: `resume` finishes the rollback.
  {
    id: '20260101-000013-aaaa',
    env: 'rollback-paused',
    records: [...installed, ...failedShift('PreCheckRefused', { progress: { phase: 'steps', stepIndex: 1, paused: true, rollingBack: { reason: 'errors' } }, schedule: { steps: [10, 50, 100] } }), { type: 'deployment.finished', state: 'failed', error: { code: 'PreCheckRefused', message: '* traffic-shift: the rollback is paused' } }],
    words: 'refused',
    outcome: 'refused',
  },
  // Waiting at a manual gate, then the CLI killed (SIGKILL, a lost CI pod): no process runs it, the shift holds there.
  {
    id: '20260101-000016-aaaa',
    env: 'gate-killed',
    records: [
      ...installed,
      { type: 'step.started', cluster: '*', step: 'traffic-shift', attempt: 1 },
      { type: 'step.checkpoint', cluster: '*', step: 'traffic-shift', outputs: { progress: { phase: 'steps', stepIndex: 0, paused: true, gate: 'beforeIncrease' }, schedule: { steps: [10, 50, 100], manualGates: ['beforeIncrease'] } } },
      { type: 'event', level: 'info', code: 'traffic.gate', message: 'manual gate beforeIncrease at step 1/3 (10 %): waiting for `ws-deployment shift resume` (or promote / abort)', data: { gate: 'beforeIncrease' } },
    ] as Append[],
    words: 'interrupted',
    outcome: 'interrupted',
  },
  // The retirement failed half-way: one old cluster retired and destroyed, the other cordoned but not deregistered.
  {
    id: '20260101-000017-aaaa',
    env: 'retire-half',
    records: [
      ...installed,
      ...ok('*', 'traffic-shift'),
      { type: 'step.started', cluster: '*', step: 'retire-old-clusters', attempt: 1 },
      { type: 'step.checkpoint', cluster: '*', step: 'retire-old-clusters', outputs: { clusters: { newClusters: [{ name: 'eu101' }], oldClusters: [{ name: 'eu90' }, { name: 'us90' }] } } },
      { type: 'step.checkpoint', cluster: '*', step: 'retire-old-clusters', outputs: { progress: { eu90: { cordoned: ['meta'], deregistered: ['meta'], destroyed: true, done: true }, us90: { cordoned: ['meta'], deregistered: [] } } } },
      { type: 'step.failed', cluster: '*', step: 'retire-old-clusters', error: { code: 'ToolFailed', message: 'deregister us90 on meta: regular workspaces still run there' } },
      { type: 'deployment.finished', state: 'failed', error: { code: 'DeploymentFailed', message: 'deployment retire-old-clusters: deregister us90 on meta: regular workspaces still run there' } },
    ] as Append[],
    words: 'failed after promotion (retiring the old clusters)',
    outcome: 'retire-failed',
    retirement: 'retirement of the old clusters stopped part-way: eu90 deregistered and destroyed; us90 cordoned, still registered on meta; not destroyed: it still exists',
  },
  // Waiting at the retirement's beforeDestroy gate, then the CLI killed.
  {
    id: '20260101-000018-aaaa',
    env: 'retire-gate-killed',
    records: [
      ...installed,
      ...ok('*', 'traffic-shift'),
      { type: 'step.started', cluster: '*', step: 'retire-old-clusters', attempt: 1 },
      { type: 'step.checkpoint', cluster: '*', step: 'retire-old-clusters', outputs: { awaiting: 'beforeDestroy' } },
      { type: 'event', level: 'info', code: 'retire.gate', message: 'manual gate beforeDestroy: waiting for approval', data: { what: 'retire eu90 (cordon, drain, deregister)' } },
    ] as Append[],
    words: 'interrupted',
    outcome: 'interrupted',
  },
  // The same, its lock held by a live process on another host (a shared state dir): running to every reader.
  {
    id: '20260101-000019-aaaa',
    env: 'remote',
    live: 'other-host',
    records: [
      ...installed,
      { type: 'step.started', cluster: '*', step: 'traffic-shift', attempt: 1 },
      { type: 'step.checkpoint', cluster: '*', step: 'traffic-shift', outputs: { progress: { phase: 'steps', stepIndex: 0, paused: true, gate: 'beforeIncrease' }, schedule: { steps: [10, 50, 100], manualGates: ['beforeIncrease'] } } },
      // As the shift journals it when it starts to wait (the gate-waiting webhook is sent for it).
      { type: 'event', level: 'info', code: 'traffic.gate', message: 'manual gate beforeIncrease at step 1/3 (10 %): waiting for `ws-deployment shift resume` (or promote / abort)', data: { gate: 'beforeIncrease' } },
    ] as Append[],
    words: 'running',
    outcome: 'running',
  },
  // Running, its process alive, waiting for approval at the retirement's beforeDestroy gate.
  {
    id: '20260101-000020-aaaa',
    env: 'retire-waiting',
    live: 'here',
    records: [
      ...installed,
      ...ok('*', 'traffic-shift'),
      { type: 'step.started', cluster: '*', step: 'retire-old-clusters', attempt: 1 },
      { type: 'step.checkpoint', cluster: '*', step: 'retire-old-clusters', outputs: { awaiting: 'beforeDestroy' } },
      // As retire-guards.ts journals it.
      { type: 'event', level: 'info', code: 'retire.gate', message: 'manual gate beforeDestroy: about to retire eu90 (cordon, drain, deregister); approve with `ws-deployment shift resume 20260101-000020-aaaa`, refuse with `ws-deployment shift abort 20260101-000020-aaaa` (or re-run with --yes)', data: { gate: 'beforeDestroy', what: 'retire eu90 (cordon, drain, deregister)' } },
    ] as Append[],
    words: 'running',
    outcome: 'running',
  },
  // Interrupted (Ctrl-C, a CI job cancelled) while the shift waited at a manual gate: `resume` asks it again.
  {
    id: '20260101-000021-aaaa',
    env: 'gate-sigint',
    records: [
      ...installed,
      { type: 'step.started', cluster: '*', step: 'traffic-shift', attempt: 1 },
      { type: 'step.checkpoint', cluster: '*', step: 'traffic-shift', outputs: { progress: { phase: 'steps', stepIndex: 0, paused: true, gate: 'beforeIncrease' }, schedule: { steps: [10, 50, 100], manualGates: ['beforeIncrease'] } } },
      { type: 'event', level: 'info', code: 'traffic.gate', message: 'manual gate beforeIncrease at step 1/3 (10 %): waiting for `ws-deployment shift resume` (or promote / abort)', data: { gate: 'beforeIncrease' } },
      { type: 'step.interrupted', cluster: '*', step: 'traffic-shift' },
      { type: 'deployment.finished', state: 'interrupted', error: { code: 'Interrupted', message: 'deployment 20260101-000021-aaaa was interrupted; continue it with `ws-deployment resume 20260101-000021-aaaa`' } },
    ] as Append[],
    words: 'interrupted',
    outcome: 'interrupted',
  },
];

/**
 * Writes `c` to `store`, its deployment having run with `config`. `observe` sees each record once it is durable, as a
 * run's observers do (the webhook notifier).
 */
export async function makeCase(store: FileStateStore, c: OutcomeCase, config: string, observe?: (record: JournalRecord, journal: DeploymentJournal) => void): Promise<void> {
  const j = await store.create(c.id);
  const append = async (r: Append): Promise<void> => {
    const written = await j.append(r);
    observe?.(written, j);
  };
  await append({
    type: 'deployment.created',
    id: c.id,
    inputs: { configFile: config, configHash: 'h', project: 'p', environment: c.env },
    clusterId: 101,
    clusters: [{ index: 0, name: EU, shortName: 'eu101', id: 101, region: 'europe-west1', prefix: 'eu', governedBy: 'meta', type: 'sandbox' }],
    steps: [['create-cluster', 'register-cluster']],
    deploymentSteps: ['traffic-shift', 'retire-old-clusters'],
  } as Append);
  for (const r of c.records) await append(r);
  if (c.queued) await store.sendControl(c.id, c.queued);
}

/**
 * Takes the lock of every live case in `store` (at `root`), for the test's lifetime: released by the handles returned.
 * One held on another host is this test's lock with its holder's host changed, as a run on another machine sharing
 * the state dir writes it (its pid cannot be checked from here).
 */
export async function holdLiveLocks(store: FileStateStore, root: string): Promise<LockHandle[]> {
  const held: LockHandle[] = [];
  for (const c of CASES.filter((x) => x.live)) {
    held.push(await store.lock({ project: 'p', environment: c.env }, { deploymentId: c.id, command: 'deploy' }));
    if (c.live !== 'other-host') continue;
    const file = join(root, 'locks', `p--${c.env}.lock`);
    writeFileSync(file, JSON.stringify({ ...(JSON.parse(readFileSync(file, 'utf8')) as object), host: 'ci-runner-7.example', pid: 4_000_001 }));
  }
  return held;
}
