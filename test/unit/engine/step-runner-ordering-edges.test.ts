/**
 * The step runner's ordering rules at their edges (src/engine/step-runner.ts):
 * an ordering and a durability map each work without the other, and a
 * predecessor id the journal does not know holds nothing back before the check.
 * The engine passes both or neither today; these rules keep the runner correct
 * for any caller. Journal on the real reducer, in memory; no timers except one
 * short yield, whose length only matters for the "has not run yet" side.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { Redactor } from '../../../src/core/redact.js';
import { runStepNode, type StepRunEnv } from '../../../src/engine/step-runner.js';
import { applyRecord, type JournalInput, type JournalRecord, type Snapshot } from '../../../src/state/model.js';
import type { DeploymentJournal, StateStore } from '../../../src/state/store.js';
import type { ClusterTarget, Step, StepName } from '../../../src/steps/step.js';

const CLUSTER: ClusterTarget = { name: 'gke-eu70', shortName: 'eu70', id: 70, index: 0, region: 'europe-west1', prefix: 'eu', governedBy: 'eu', type: 'gke', create: true, valuesFiles: [] };
const INSTALL = 'install-gitpod' as StepName;

class MemoryJournal implements DeploymentJournal {
  readonly id = 'dep-1';
  readonly dir = '/state/dep-1';
  readonly records: JournalRecord[] = [];
  private snap: Snapshot;
  /** `slowDurable`: a success record is applied at once but durable only a macrotask later (as a group commit). */
  constructor(
    steps: StepName[],
    private readonly slowDurable = false,
  ) {
    this.snap = applyRecord(undefined, {
      seq: 1,
      time: '2026-01-01T00:00:00Z',
      type: 'deployment.created',
      id: this.id,
      inputs: { configFile: '/c.yaml', configHash: 'h', project: 'p', environment: 'prod' },
      clusterId: 70,
      clusters: [{ index: 0, name: CLUSTER.name, shortName: 'eu70', id: 70, region: CLUSTER.region, prefix: 'eu', governedBy: 'eu', type: 'gke' }],
      steps: [steps],
      deploymentSteps: [],
    });
  }
  async append(record: JournalInput): Promise<JournalRecord> {
    const full = { ...record, seq: this.snap.seq + 1, time: new Date(Date.now()).toISOString() } as JournalRecord; // the process clock, as the real stores
    this.snap = applyRecord(this.snap, full);
    this.records.push(full);
    if (this.slowDurable && record.type === 'step.succeeded') await new Promise((resolve) => setImmediate(resolve));
    return full;
  }
  snapshot(): Snapshot {
    return this.snap;
  }
  types(): string[] {
    return this.records.filter((r) => r.type !== 'event').map((r) => r.type);
  }
}

function env(journal: MemoryJournal, durable?: Map<string, Promise<unknown>>): StepRunEnv & { sink: MemorySink } {
  return {
    deploymentId: journal.id,
    environment: { project: 'p', name: 'prod' } as unknown as StepRunEnv['environment'],
    config: {} as StepRunEnv['config'],
    clusters: [CLUSTER],
    journal,
    store: {} as StateStore,
    sharedDir: '/state/shared',
    sink: new MemorySink(),
    redactor: new Redactor(),
    signal: new AbortController().signal,
    options: { dryRun: false, overwrite: false, yes: false, verbose: false },
    excluded: new Map(),
    durable,
  } as StepRunEnv & { sink: MemorySink };
}

function install(events: string[]): Step {
  return {
    name: INSTALL,
    applies: () => true,
    describe: () => [],
    check: async () => (events.push('check'), { action: 'proceed' }),
    run: async () => (events.push('run'), { done: true }),
  } as Step;
}

afterEach(() => vi.restoreAllMocks());

describe('an ordering and a durability map, each without the other', () => {
  it('a durability map without an ordering: the step runs and succeeds, its success awaited, nothing recorded in the map', async () => {
    const journal = new MemoryJournal([INSTALL], true);
    const durable = new Map<string, Promise<unknown>>();
    const events: string[] = [];
    const e = env(journal, durable);
    expect(await runStepNode(e, CLUSTER, install(events))).toBe('succeeded');
    expect(events).toEqual(['check', 'run']);
    expect(journal.types()).toEqual(['step.started', 'step.succeeded']);
    // Awaited, not handed over: the success line is out by the time the node reports.
    expect(e.sink.codes()).toContain('step.succeeded');
    expect([...durable.keys()]).toEqual([]);
  });

  it('an ordering without a durability map: the step runs and succeeds, its success awaited before it reports', async () => {
    const journal = new MemoryJournal(['create-cluster' as StepName, INSTALL], true);
    await journal.append({ type: 'step.succeeded', cluster: CLUSTER.name, step: 'create-cluster' as StepName, outputs: {}, durationMs: 1 });
    const events: string[] = [];
    const e = env(journal);
    expect(await runStepNode(e, CLUSTER, install(events), { id: 'gke-eu70/install-gitpod', after: ['gke-eu70/create-cluster'] })).toBe('succeeded');
    expect(events).toEqual(['check', 'run']);
    expect(journal.types()).toEqual(['step.succeeded', 'step.started', 'step.succeeded']);
    expect(e.sink.codes()).toContain('step.succeeded');
  });
});

describe('a predecessor id the journal does not know', () => {
  it('holds nothing back before the check (there is no record to wait for), but its recorded durability still gates the tool', async () => {
    const journal = new MemoryJournal([INSTALL]);
    let release!: () => void;
    // A step of a cluster this journal does not list: findStep finds nothing.
    const durable = new Map<string, Promise<unknown>>([['gke-us99/create-cluster', new Promise<void>((resolve) => (release = resolve))]]);
    const events: string[] = [];
    let settled = false;
    const running = runStepNode(env(journal, durable), CLUSTER, install(events), { id: 'gke-eu70/install-gitpod', after: ['gke-us99/create-cluster'] });
    void running.then(
      () => (settled = true),
      () => (settled = true),
    );
    // Polls with a long deadline: the check runs without waiting for the release.
    for (let i = 0; i < 2000 && events.length === 0 && !settled; i++) await new Promise((r) => setTimeout(r, 5));
    expect(events).toEqual(['check']);
    release();
    expect(await running).toBe('succeeded');
    expect(events).toEqual(['check', 'run']);
  });
});

describe('the success line', () => {
  it('gives the duration in seconds with one decimal', async () => {
    const clock = vi.spyOn(Date, 'now').mockReturnValue(1_000_000);
    const e = env(new MemoryJournal([INSTALL]));
    const events: string[] = [];
    const step = { ...install(events), run: async () => (clock.mockReturnValue(1_002_500), {}) } as Step;
    expect(await runStepNode(e, CLUSTER, step)).toBe('succeeded');
    expect(e.sink.events.filter((ev) => ev.code === 'step.succeeded').map((ev) => ev.message)).toEqual(['succeeded in 2.5 s']);
  });
});

describe('predecessors partly in the snapshot', () => {
  it('one done, one not yet visible: the check waits for the one not visible', async () => {
    const journal = new MemoryJournal(['create-cluster' as StepName, 'install-jaeger' as StepName, INSTALL]);
    await journal.append({ type: 'step.succeeded', cluster: CLUSTER.name, step: 'create-cluster' as StepName, outputs: {}, durationMs: 1 });
    let release!: () => void;
    const durable = new Map<string, Promise<unknown>>([
      ['gke-eu70/create-cluster', Promise.resolve()],
      ['gke-eu70/install-jaeger', new Promise<void>((resolve) => (release = resolve))],
    ]);
    const events: string[] = [];
    const running = runStepNode(env(journal, durable), CLUSTER, install(events), { id: 'gke-eu70/install-gitpod', after: ['gke-eu70/create-cluster', 'gke-eu70/install-jaeger'] });
    await new Promise((r) => setTimeout(r, 20));
    expect(events).toEqual([]);
    release();
    expect(await running).toBe('succeeded');
    expect(events).toEqual(['check', 'run']);
  });
});
