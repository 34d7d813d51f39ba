/**
 * The step runner (src/engine/step-runner.ts), one node at a time on an
 * in-memory journal built with the real reducer: what it journals, what it
 * emits, and what it returns for each way a step can go.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { describe, expect, it, vi } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { WsdError } from '../../../src/core/errors.js';
import { Redactor } from '../../../src/core/redact.js';
import { identify } from '../../../src/core/process-identity.js';
import { runTool } from '../../../src/tools/exec.js';
import { runDeploymentStepNode, runStepNode, type StepRunEnv } from '../../../src/engine/step-runner.js';
import { applyRecord, type JournalInput, type JournalRecord, type Snapshot } from '../../../src/state/model.js';
import type { DeploymentJournal, StateStore } from '../../../src/state/store.js';
import type { ClusterTarget, DeploymentStep, Step, StepContext, StepName, DeploymentStepContext } from '../../../src/steps/step.js';

const SECRET = 'hunter2-very-secret';

const CLUSTER: ClusterTarget = { name: 'gke-eu70', shortName: 'eu70', id: 70, index: 0, region: 'europe-west1', prefix: 'eu', governedBy: 'eu', type: 'gke', create: true, valuesFiles: [] };

/** A journal on the real reducer; remembers every appended record. */
class MemoryJournal implements DeploymentJournal {
  readonly id = 'dep-1';
  readonly dir = '/state/dep-1';
  readonly records: JournalRecord[] = [];
  private snap: Snapshot;
  constructor(steps: StepName[], deploymentSteps: StepName[] = []) {
    this.snap = applyRecord(undefined, {
      seq: 1,
      time: '2026-01-01T00:00:00Z',
      type: 'deployment.created',
      id: this.id,
      inputs: { configFile: '/c.yaml', configHash: 'h', project: 'p', environment: 'prod' },
      clusterId: 70,
      clusters: [{ index: 0, name: CLUSTER.name, shortName: 'eu70', id: 70, region: CLUSTER.region, prefix: 'eu', governedBy: 'eu', type: 'gke' }],
      steps: [steps],
      deploymentSteps,
    });
  }
  async append(record: JournalInput): Promise<JournalRecord> {
    const full = { ...record, seq: this.snap.seq + 1, time: new Date(Date.now()).toISOString() } as JournalRecord; // the process clock, as the real stores
    this.snap = applyRecord(this.snap, full);
    this.records.push(full);
    return full;
  }
  snapshot(): Snapshot {
    return this.snap;
  }
  /** The appended records without events, as `type cluster/step` plus the interesting fields. */
  changes(): Array<Record<string, unknown>> {
    return this.records.filter((r) => r.type !== 'event').map(({ seq: _s, time: _t, ...rest }) => rest);
  }
  events(): Array<Record<string, unknown>> {
    return this.records.filter((r) => r.type === 'event').map(({ seq: _s, time: _t, ...rest }) => rest);
  }
}

function env(journal: MemoryJournal, over: Partial<StepRunEnv> = {}): StepRunEnv & { sink: MemorySink; sleeps: number[] } {
  const sleeps: number[] = [];
  const controls = [{ command: 'pause' as const, sentAt: '2026-01-01T00:00:00.000Z' }];
  return {
    deploymentId: journal.id,
    environment: { project: 'p', name: 'prod' } as unknown as StepRunEnv['environment'],
    config: {} as StepRunEnv['config'],
    clusters: [CLUSTER],
    journal,
    store: { takeControl: async (id: string) => (id === journal.id ? controls.shift() : undefined) } as unknown as StateStore,
    sharedDir: '/state/shared',
    sink: new MemorySink(),
    redactor: new Redactor().add(SECRET),
    signal: new AbortController().signal,
    options: { dryRun: false, overwrite: false, yes: false, verbose: false },
    excluded: new Map(),
    sleep: async (ms: number) => {
      sleeps.push(ms);
    },
    sleeps,
    ...over,
  } as StepRunEnv & { sink: MemorySink; sleeps: number[] };
}

function step(over: Partial<Step> & { name?: StepName } = {}): Step {
  return {
    name: 'create-cluster' as StepName,
    applies: () => true,
    describe: () => [],
    run: async () => ({ done: true }),
    ...over,
  } as Step;
}

const transient = (message: string) => new WsdError('ToolFailed', message, { transient: true });

describe('a step that is already done, excluded or not applicable', () => {
  it('reports an earlier success or skip without journaling or running anything', async () => {
    const journal = new MemoryJournal(['create-cluster', 'install-gitpod'] as StepName[]);
    await journal.append({ type: 'step.succeeded', cluster: CLUSTER.name, step: 'create-cluster' as StepName, outputs: {}, durationMs: 1 });
    await journal.append({ type: 'step.skipped', cluster: CLUSTER.name, step: 'install-gitpod' as StepName, evidence: 'x' });
    const e = env(journal);
    let ran = 0;
    const count = async () => {
      ran++;
      return {};
    };
    expect(await runStepNode(e, CLUSTER, step({ run: count }))).toBe('succeeded');
    expect(await runStepNode(e, CLUSTER, step({ name: 'install-gitpod' as StepName, run: count }))).toBe('skipped');
    expect(ran).toBe(0);
    expect(journal.records).toHaveLength(2);
    expect(e.sink.events.map((ev) => ev.level)).toEqual(['info', 'info']);
    expect(e.sink.events.map((ev) => [ev.code, ev.message, ev.cluster, ev.step])).toEqual([
      ['step.already-done', 'already succeeded in an earlier run', CLUSTER.name, 'create-cluster'],
      ['step.already-done', 'already skipped in an earlier run', CLUSTER.name, 'install-gitpod'],
    ]);
  });

  it('journals an exclusion once, leaves the step pending, and never runs it', async () => {
    const journal = new MemoryJournal(['create-cluster'] as StepName[]);
    const e = env(journal, { excluded: new Map([['create-cluster' as StepName, '--skip' as const]]) });
    let ran = false;
    const s = step({
      run: async () => {
        ran = true;
        return {};
      },
    });
    expect(await runStepNode(e, CLUSTER, s)).toBe('skipped');
    expect(await runStepNode(e, CLUSTER, s)).toBe('skipped');
    expect(ran).toBe(false);
    expect(journal.changes()).toEqual([{ type: 'step.excluded', cluster: CLUSTER.name, step: 'create-cluster', by: '--skip' }]);
    expect(journal.snapshot().clusters[0]!.steps[0]).toMatchObject({ state: 'pending', excluded: '--skip' });
    expect(e.sink.events[0]).toMatchObject({ level: 'info', code: 'step.excluded', message: 'not run (excluded by --skip)' });
    // A different flag on a later run is journaled again.
    const later = env(journal, { excluded: new Map([['create-cluster' as StepName, '--only' as const]]) });
    await runStepNode(later, CLUSTER, s);
    expect(journal.changes().map((c) => c.by)).toEqual(['--skip', '--only']);
  });

  it('skips a step that does not apply to the cluster, saying so in the journal', async () => {
    const journal = new MemoryJournal(['create-cluster'] as StepName[]);
    expect(await runStepNode(env(journal), CLUSTER, step({ applies: () => false }))).toBe('skipped');
    expect(journal.changes()).toEqual([{ type: 'step.skipped', cluster: CLUSTER.name, step: 'create-cluster', evidence: 'not applicable to this cluster' }]);
  });

  it('refuses a step the journal does not know', async () => {
    const journal = new MemoryJournal(['create-cluster'] as StepName[]);
    const error = (await runStepNode(env(journal), CLUSTER, step({ name: 'install-gitpod' as StepName })).catch((e: unknown) => e)) as WsdError;
    expect([error.code, error.source, error.message]).toEqual(['Internal', 'internal', `step install-gitpod of ${CLUSTER.name} is not in the journal`]);
  });
});

describe('the pre-run check', () => {
  it('skip: journals the evidence and the redacted outputs, runs nothing', async () => {
    const journal = new MemoryJournal(['create-cluster'] as StepName[]);
    const e = env(journal);
    let ran = false;
    const outcome = await runStepNode(
      e,
      CLUSTER,
      step({
        check: async (ctx) => {
          expect(ctx.attempt).toBe(1);
          return { action: 'skip', evidence: 'state has it', outputs: { token: SECRET } };
        },
        run: async () => {
          ran = true;
          return {};
        },
      }),
    );
    expect(outcome).toBe('skipped');
    expect(ran).toBe(false);
    expect(journal.changes()).toEqual([{ type: 'step.skipped', cluster: CLUSTER.name, step: 'create-cluster', evidence: 'state has it', outputs: { token: '[REDACTED]' } }]);
    expect(e.sink.events.map((ev) => ev.level)).toEqual(['info', 'info']);
    expect(e.sink.events.map((ev) => [ev.code, ev.message])).toEqual([
      ['step.check', 'pre-run check'],
      ['step.skip', 'skipped: state has it'],
    ]);
  });

  it('refuse: the step fails as PreCheckRefused with the reason, shown as refused', async () => {
    const journal = new MemoryJournal(['create-cluster'] as StepName[]);
    const e = env(journal);
    const outcome = await runStepNode(e, CLUSTER, step({ check: async () => ({ action: 'refuse', reason: 'name taken' }) }));
    expect(outcome).toBe('failed');
    expect(journal.changes()).toEqual([{ type: 'step.failed', cluster: CLUSTER.name, step: 'create-cluster', error: { code: 'PreCheckRefused', message: 'name taken' }, durationMs: expect.any(Number) }]);
    expect(e.sink.events.at(-1)).toMatchObject({ level: 'error', code: 'step.refused', message: 'name taken', data: { error: 'PreCheckRefused' } });
  });

  it('proceed: the step runs', async () => {
    const journal = new MemoryJournal(['create-cluster'] as StepName[]);
    expect(await runStepNode(env(journal), CLUSTER, step({ check: async () => ({ action: 'proceed' }) }))).toBe('succeeded');
  });
});

describe('running a step', () => {
  it('journals started then succeeded with the redacted outputs, and says so', async () => {
    const journal = new MemoryJournal(['create-cluster'] as StepName[]);
    const e = env(journal);
    expect(await runStepNode(e, CLUSTER, step({ run: async () => ({ url: `https://x?key=${SECRET}` }) }))).toBe('succeeded');
    expect(journal.changes()).toEqual([
      { type: 'step.started', cluster: CLUSTER.name, step: 'create-cluster', attempt: 1 },
      { type: 'step.succeeded', cluster: CLUSTER.name, step: 'create-cluster', outputs: { url: 'https://x?key=[REDACTED]' }, durationMs: expect.any(Number) },
    ]);
    expect(e.sink.events.map((ev) => [ev.level, ev.code, ev.data])).toEqual([
      ['info', 'step.start', { attempt: 1 }],
      ['info', 'step.succeeded', { durationMs: expect.any(Number) }],
    ]);
    expect(e.sink.events[0]!.message).toBe('started');
    // A unit step takes well under a minute: the duration is measured forward, in ms, shown in s.
    const durationMs = (journal.changes()[1] as { durationMs: number }).durationMs;
    expect(durationMs).toBeGreaterThanOrEqual(0);
    expect(durationMs).toBeLessThan(60_000);
    expect(e.sink.events[1]!.message).toBe(`succeeded in ${(durationMs / 1000).toFixed(1)} s`);
    expect(Number(/^succeeded in (\d+\.\d) s$/.exec(e.sink.events[1]!.message)![1])).toBeLessThan(60);
  });

  it('a resumed step counts its attempts on from the journal', async () => {
    const journal = new MemoryJournal(['create-cluster'] as StepName[]);
    await journal.append({ type: 'step.started', cluster: CLUSTER.name, step: 'create-cluster' as StepName, attempt: 1 });
    await journal.append({ type: 'step.interrupted', cluster: CLUSTER.name, step: 'create-cluster' as StepName });
    const e = env(journal);
    let checkAttempt = 0;
    await runStepNode(e, CLUSTER, step({ check: async (ctx) => ((checkAttempt = ctx.attempt), { action: 'proceed' }) }));
    expect(checkAttempt).toBe(2);
    expect(journal.changes()[2]).toEqual({ type: 'step.started', cluster: CLUSTER.name, step: 'create-cluster', attempt: 2 });
    expect(e.sink.events.find((ev) => ev.code === 'step.start')).toMatchObject({ message: 'attempt 2', data: { attempt: 2 } });
  });

  it('runs a step without a retry policy once: a transient failure fails it', async () => {
    const journal = new MemoryJournal(['create-cluster'] as StepName[]);
    let runs = 0;
    const outcome = await runStepNode(env(journal), CLUSTER, step({
      run: async () => {
        runs++;
        throw transient('quota');
      },
    }));
    expect([outcome, runs]).toEqual(['failed', 1]);
  });

  it('retries a transient failure by its policy: each attempt journaled, the retry shown and journaled', async () => {
    const journal = new MemoryJournal(['create-cluster'] as StepName[]);
    const e = env(journal);
    let runs = 0;
    const outcome = await runStepNode(e, CLUSTER, step({
      retry: { attempts: 3, initialDelayMs: 2_000, maxDelayMs: 10_000 },
      run: async (ctx: StepContext) => {
        runs++;
        expect(ctx.attempt).toBe(runs);
        if (runs < 2) throw transient('rate limited');
        return {};
      },
    }));
    expect(outcome).toBe('succeeded');
    expect(e.sleeps).toEqual([2_000]);
    expect(journal.changes().map((c) => [c.type, c.attempt])).toEqual([
      ['step.started', 1],
      ['step.started', 2],
      ['step.succeeded', undefined],
    ]);
    const retry = e.sink.events.find((ev) => ev.code === 'step.retry');
    expect(retry).toMatchObject({ level: 'warn', message: 'transient failure, retrying in 2 s: rate limited', data: { attempt: 1, delayMs: 2_000, error: 'ToolFailed' } });
    // The retry is journaled (report and status read the journal alone), before the step's end record.
    expect(journal.events().map((ev) => ev.code)).toEqual(['step.begin', 'step.retry']);
    const order = journal.records.map((r) => r.type);
    expect(order.indexOf('event')).toBeLessThan(order.indexOf('step.succeeded'));
  });

  it('a failure journals the code and the redacted message, and shows the error details', async () => {
    const journal = new MemoryJournal(['create-cluster'] as StepName[]);
    const e = env(journal);
    const outcome = await runStepNode(e, CLUSTER, step({
      run: async () => {
        throw new WsdError('ConfigInvalid', `bad token ${SECRET}`, { details: { where: SECRET, n: 1 } });
      },
    }));
    expect(outcome).toBe('failed');
    expect(journal.changes().at(-1)).toEqual({ type: 'step.failed', cluster: CLUSTER.name, step: 'create-cluster', error: { code: 'ConfigInvalid', message: 'bad token [REDACTED]' }, durationMs: expect.any(Number) });
    const failedMs = (journal.changes().at(-1) as { durationMs: number }).durationMs;
    expect(failedMs >= 0 && failedMs < 60_000).toBe(true);
    expect(e.sink.events.at(-1)).toMatchObject({ level: 'error', code: 'step.failed', message: 'bad token [REDACTED]', data: { error: 'ConfigInvalid', where: '[REDACTED]', n: 1 } });
  });

  it('a plain Error becomes an internal error', async () => {
    const journal = new MemoryJournal(['create-cluster'] as StepName[]);
    await runStepNode(env(journal), CLUSTER, step({ run: async () => Promise.reject(new Error('oops')) }));
    expect(journal.changes().at(-1)).toMatchObject({ type: 'step.failed', error: { code: 'Internal', message: 'internal error: oops' } });
  });

  it('an abort interrupts the step instead of failing it', async () => {
    const journal = new MemoryJournal(['create-cluster', 'install-gitpod'] as StepName[]);
    const controller = new AbortController();
    const e = env(journal, { signal: controller.signal });
    const outcome = await runStepNode(e, CLUSTER, step({
      run: async () => {
        controller.abort();
        throw new WsdError('ToolFailed', 'killed');
      },
    }));
    expect(outcome).toBe('interrupted');
    expect(journal.changes().at(-1)).toEqual({ type: 'step.interrupted', cluster: CLUSTER.name, step: 'create-cluster' });
    expect(e.sink.events.at(-1)).toMatchObject({ level: 'warn', code: 'step.interrupted', message: 'interrupted' });
    // An AbortError without the signal (a child killed under us) is an interruption too.
    const e2 = env(journal);
    const abortError = Object.assign(new Error('aborted'), { name: 'AbortError' });
    expect(await runStepNode(e2, CLUSTER, step({ name: 'install-gitpod' as StepName, run: async () => Promise.reject(abortError) }))).toBe('interrupted');
  });
});

describe('what a step sees', () => {
  it('earlier outputs of its cluster, its own checkpoint, its log file; checkpoints are journaled redacted', async () => {
    const journal = new MemoryJournal(['create-cluster', 'install-gitpod'] as StepName[]);
    await journal.append({ type: 'step.succeeded', cluster: CLUSTER.name, step: 'create-cluster' as StepName, outputs: { ip: '10.0.0.1' }, durationMs: 1 });
    await journal.append({ type: 'step.checkpoint', cluster: CLUSTER.name, step: 'install-gitpod' as StepName, outputs: { installed: ['a'] } });
    let seen: StepContext | undefined;
    await runStepNode(env(journal), CLUSTER, step({
      name: 'install-gitpod' as StepName,
      run: async (ctx) => {
        seen = ctx;
        await ctx.checkpoint({ installed: ['a', 'b'], pw: SECRET });
        return {};
      },
    }));
    // Only steps with outputs appear (toStrictEqual: no key with an undefined value).
    expect(seen!.outputs).toStrictEqual({ 'create-cluster': { ip: '10.0.0.1' } });
    expect(seen!.previous).toEqual({ installed: ['a'] });
    expect(seen!.logFile).toBe('/state/dep-1/logs/gke-eu70/install-gitpod.log');
    expect(seen!.clusterDir).toBe('/state/dep-1/gke-eu70');
    expect(seen!.deploymentDir).toBe('/state/dep-1');
    expect(seen!.sharedDir).toBe('/state/shared');
    expect(seen!.cluster).toBe(CLUSTER);
    expect(seen!.deploymentId).toBe('dep-1');
    expect(journal.changes().find((c) => c.type === 'step.checkpoint' && (c.outputs as { pw?: string }).pw)).toEqual({
      type: 'step.checkpoint',
      cluster: CLUSTER.name,
      step: 'install-gitpod',
      outputs: { installed: ['a', 'b'], pw: '[REDACTED]' },
    });
  });
});

describe('a deployment-wide step', () => {
  function shiftStep(over: Partial<DeploymentStep> = {}): DeploymentStep {
    return { name: 'traffic-shift' as StepName, scope: 'deployment', applies: () => true, describe: () => [], run: async () => ({}), ...over } as DeploymentStep;
  }

  it('sees every cluster’s outputs and earlier deployment steps under *, logs under deployment/, journals under *', async () => {
    const journal = new MemoryJournal(['create-cluster', 'install-gitpod'] as StepName[], ['traffic-shift', 'retire-old-clusters'] as StepName[]);
    await journal.append({ type: 'step.succeeded', cluster: CLUSTER.name, step: 'create-cluster' as StepName, outputs: { ip: '1' }, durationMs: 1 });
    // Every cluster step is done before a deployment-wide step runs (a pending one holds it back).
    await journal.append({ type: 'step.skipped', cluster: CLUSTER.name, step: 'install-gitpod' as StepName, evidence: 'up to date' });
    await journal.append({ type: 'step.succeeded', cluster: '*', step: 'traffic-shift' as StepName, outputs: { percent: 100 }, durationMs: 1 });
    let seen: DeploymentStepContext | undefined;
    const e = env(journal);
    const outcome = await runDeploymentStepNode(e, shiftStep({
      name: 'retire-old-clusters' as StepName,
      run: async (ctx) => {
        seen = ctx;
        expect((await ctx.takeControl())?.command).toBe('pause');
        await ctx.record('retire.approved', `approved with ${SECRET}`, { who: SECRET });
        return { retired: 1 };
      },
    }));
    expect(outcome).toBe('succeeded');
    expect(seen!.outputs).toStrictEqual({ [CLUSTER.name]: { 'create-cluster': { ip: '1' } }, '*': { 'traffic-shift': { percent: 100 } } });
    expect(seen!.logFile).toBe('/state/dep-1/logs/deployment/retire-old-clusters.log');
    // The run's beginning (the step's duration and trace span count from it) is journaled under * too.
    expect(journal.events()).toEqual([{ type: 'event', level: 'info', code: 'step.begin', cluster: '*', step: 'retire-old-clusters', message: 'begins', data: { begunAt: expect.any(String) } }, { type: 'event', level: 'info', code: 'retire.approved', step: 'retire-old-clusters', message: 'approved with [REDACTED]', data: { who: '[REDACTED]' } }]);
    expect(journal.changes().slice(-2).map((c) => [c.type, c.cluster, c.step])).toEqual([
      ['step.started', '*', 'retire-old-clusters'],
      ['step.succeeded', '*', 'retire-old-clusters'],
    ]);
    expect(e.sink.events.find((ev) => ev.code === 'step.start')).toMatchObject({ step: 'retire-old-clusters' });
    expect(e.sink.events.find((ev) => ev.code === 'step.start')!.cluster).toBeUndefined();
  });
});

describe('ordering between nodes', () => {
  it('records its success under its node id for its dependents, and waits for its predecessors before its tool runs', async () => {
    const journal = new MemoryJournal(['create-cluster', 'install-gitpod'] as StepName[]);
    let releasePredecessor!: () => void;
    const predecessor = new Promise<void>((resolve) => (releasePredecessor = resolve));
    const durable = new Map<string, Promise<unknown>>([['gke-eu70/create-cluster', predecessor]]);
    // create-cluster is already done in the snapshot, so the check may run before it is durable; the tool may not.
    await journal.append({ type: 'step.succeeded', cluster: CLUSTER.name, step: 'create-cluster' as StepName, outputs: {}, durationMs: 1 });
    const events: string[] = [];
    const e = env(journal, { durable });
    const running = runStepNode(
      e,
      CLUSTER,
      step({
        name: 'install-gitpod' as StepName,
        check: async () => (events.push('check'), { action: 'proceed' }),
        run: async () => (events.push('run'), {}),
      }),
      { id: 'gke-eu70/install-gitpod', after: ['gke-eu70/create-cluster'] },
    );
    await new Promise((r) => setTimeout(r, 20));
    expect(events).toEqual(['check']);
    releasePredecessor();
    expect(await running).toBe('succeeded');
    expect(events).toEqual(['check', 'run']);
    expect(durable.has('gke-eu70/install-gitpod')).toBe(true);
    await durable.get('gke-eu70/install-gitpod');
  });

  it('waits for a predecessor that is not yet in the snapshot before even its check', async () => {
    const journal = new MemoryJournal(['create-cluster', 'install-gitpod'] as StepName[]);
    let releasePredecessor!: () => void;
    const durable = new Map<string, Promise<unknown>>([['gke-eu70/create-cluster', new Promise<void>((resolve) => (releasePredecessor = resolve))]]);
    const events: string[] = [];
    const running = runStepNode(env(journal, { durable }), CLUSTER, step({ name: 'install-gitpod' as StepName, check: async () => (events.push('check'), { action: 'proceed' }) }), {
      id: 'gke-eu70/install-gitpod',
      after: ['gke-eu70/create-cluster'],
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(events).toEqual([]);
    releasePredecessor();
    await running;
    expect(events).toEqual(['check']);
  });
});

describe('a tool child an interrupted run of the step left running', () => {
  it('journals each tool child with a target at spawn, and a later run waits for it before its check and run', async () => {
    const journal = new MemoryJournal(['install-gitpod']);
    // The first run's helm: journaled when spawned; the run is then "killed" (the child lives on).
    let orphan: ChildProcess | undefined;
    const first = step({
      name: 'install-gitpod',
      run: async () => {
        await runTool({ argv: [process.execPath, '-e', 'process.stdout.write(String(process.pid))'], target: 'release gitpod in namespace default' });
        orphan = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
        const children = (journal.snapshot().clusters[0]?.steps[0]?.checkpoint?.children ?? []) as Array<Record<string, unknown>>;
        expect(children).toEqual([expect.objectContaining({ tool: 'node -e', target: 'release gitpod in namespace default', pid: expect.any(Number) })]);
        // Stand the live orphan in for the journaled child, as if the run had been killed while it ran.
        await journal.append({ type: 'step.checkpoint', cluster: CLUSTER.name, step: 'install-gitpod', outputs: { children: [{ ...children[0], ...identify(orphan.pid as number) }] } });
        throw new WsdError('Interrupted', 'killed');
      },
    });
    expect(await runStepNode(env(journal), CLUSTER, first)).toBe('interrupted');
    const live = orphan as ChildProcess;
    const exited = new Promise((r) => live.once('exit', r));
    const seen: string[] = [];
    const second = step({
      name: 'install-gitpod',
      check: async () => {
        seen.push(live.exitCode === null && live.signalCode === null ? 'check while the orphan runs' : 'check');
        return { action: 'proceed' };
      },
      run: async () => {
        seen.push('run');
        return {};
      },
    });
    const e = env(journal);
    const running = runStepNode(e, CLUSTER, second);
    // The wait says what it waits for; the step has not started meanwhile.
    await vi.waitFor(() => expect(e.sink.events.map((x) => x.code)).toContain('tool.orphan-wait'), { timeout: 60_000 });
    expect(seen).toEqual([]);
    live.kill('SIGKILL');
    await exited;
    expect(await running).toBe('succeeded');
    expect(seen).toEqual(['check', 'run']);
    expect(e.sink.events.find((x) => x.code === 'tool.orphan-wait')?.message).toContain(`waiting for pid ${live.pid} (node -e, release gitpod in namespace default`);
  }, 120_000);
});
