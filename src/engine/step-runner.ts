/**
 * Runs one node of the work graph (a cluster × step, or a deployment-wide step):
 * resume bookkeeping, pre-run check, retries, journaling. The engine's only
 * contact with step implementations.
 */
import { journalingSink } from './journaled-events.js';
import { join } from 'node:path';
import { isAbortError, toWsdError, WsdError } from '../core/errors.js';
import { scopedSink, type EventSink } from '../core/events.js';
import type { Redactor } from '../core/redact.js';
import { findCluster, findStep, heldBackWords, isDone, STEP_BEGIN } from '../state/model.js';
import type { DeploymentJournal, StateStore } from '../state/store.js';
import {
  DEPLOYMENT_SCOPE,
  type CheckResult,
  type ClusterTarget,
  type DeploymentPlanContext,
  type DeploymentStep,
  type DeploymentStepContext,
  type PlanContext,
  type RetryPolicy,
  type RunOptions,
  type Step,
  type StepContext,
  type StepName,
  type StepOutputs,
} from '../steps/step.js';
import { DEFAULT_RETRY, withRetry } from './retry.js';
import { extend } from '../core/extend.js';
import { checkpointChildJournal, waitForOrphans, withChildJournal } from '../tools/child-journal.js';
import type { NodeOutcome } from './work-graph.js';

/** A step without a retry policy runs once. */
const ONE_ATTEMPT: RetryPolicy = Object.freeze({ ...DEFAULT_RETRY, attempts: 1 });

export interface StepRunEnv {
  deploymentId: string;
  environment: PlanContext['environment'];
  config: PlanContext['config'];
  clusters: readonly ClusterTarget[];
  journal: DeploymentJournal;
  store: StateStore;
  /** The store's folder for files shared across deployments. */
  sharedDir: string;
  sink: EventSink;
  redactor: Redactor;
  signal: AbortSignal;
  options: RunOptions;
  /** Steps filtered out by --only/--skip, with the flag that did it: journaled as excluded, left pending for `resume`. */
  excluded: ReadonlyMap<StepName, '--only' | '--skip'>;
  /** Cluster steps the deployment-wide steps may run past while they are excluded ({@link Step.notNeededForTraffic}). */
  notNeededForTraffic?: ReadonlySet<StepName>;
  /** Test hook: replaces the backoff sleep. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /**
   * Durability of each finished node's `step.succeeded` record, by node id (see {@link Ordering}).
   * Absent: every record is awaited before the node reports its outcome.
   */
  durable?: Map<string, Promise<unknown>>;
}

/**
 * How a node waits for the nodes before it. A node returns success to the engine as
 * soon as its `step.succeeded` record is applied to the snapshot, before it is durable,
 * so its dependent's `step.started` shares the same group commit (one fdatasync per hop
 * instead of two); the success line is printed only once the record is durable. Safety is kept where it matters: the dependent's tool runs only
 * once the predecessors' records are durable (awaited after its own `step.started`),
 * and where a store applies records only once durable (PostgreSQL), the dependent
 * waits for that before its pre-run check reads their outputs.
 */
interface Ordering {
  /** This node's id, under which its durability is recorded. */
  id: string;
  /** Ids of the nodes it waits for. */
  after: readonly string[];
}

function deploymentPlanContext(env: Pick<StepRunEnv, 'deploymentId' | 'environment' | 'config' | 'clusters' | 'options' | 'redactor' | 'sharedDir'>, deploymentDir: string): DeploymentPlanContext {
  return {
    deploymentId: env.deploymentId,
    environment: env.environment,
    config: env.config,
    clusters: env.clusters,
    deploymentDir,
    sharedDir: env.sharedDir,
    options: env.options,
    redactor: env.redactor,
  };
}

function planContext(env: Parameters<typeof deploymentPlanContext>[0], deploymentDir: string, cluster: ClusterTarget): PlanContext {
  return extend(deploymentPlanContext(env, deploymentDir), { cluster, clusterDir: join(deploymentDir, cluster.name) });
}

/** What the generic runner needs from either kind of step. */
interface Unit<C> {
  key: string;
  name: StepName;
  applies: boolean;
  check?(ctx: C): Promise<CheckResult>;
  run(ctx: C): Promise<StepOutputs>;
  retry?: RetryPolicy;
  context(attempt: number, sink: EventSink): C;
  /** Pending steps this one must not run past (`cluster/step`); none: it may run. */
  waitsFor?(): string[];
}

/** Runs one step of one cluster. Never throws. */
export function runStepNode(env: StepRunEnv, cluster: ClusterTarget, step: Step, ordering?: Ordering): Promise<NodeOutcome> {
  const base = planContext(env, env.journal.dir, cluster);
  return runUnit<StepContext>(env, ordering, {
    key: cluster.name,
    name: step.name,
    applies: step.applies(base),
    check: step.check?.bind(step),
    run: step.run.bind(step),
    retry: step.retry,
    context: (attempt, sink) => {
      const outputs: StepContext['outputs'] = {};
      for (const s of findCluster(env.journal.snapshot(), cluster.name)?.steps ?? []) {
        if (s.outputs) outputs[s.name] = s.outputs;
      }
      return Object.assign({}, base, common(env, cluster.name, step.name, attempt, sink), { outputs });
    },
  });
}

/** Runs a deployment-wide step once every cluster is done. Never throws. */
export function runDeploymentStepNode(env: StepRunEnv, step: DeploymentStep, ordering?: Ordering): Promise<NodeOutcome> {
  const base = deploymentPlanContext(env, env.journal.dir);
  return runUnit<DeploymentStepContext>(env, ordering, {
    key: DEPLOYMENT_SCOPE,
    name: step.name,
    applies: step.applies(base),
    check: step.check?.bind(step),
    run: step.run.bind(step),
    retry: step.retry,
    waitsFor: () => heldBehind(env, step.name),
    context: (attempt, sink) => {
      const outputs: DeploymentStepContext['outputs'] = {};
      const snap = env.journal.snapshot();
      for (const c of snap.clusters) {
        outputs[c.name] = Object.fromEntries(c.steps.filter((s) => s.outputs).map((s) => [s.name, s.outputs]));
      }
      // Earlier deployment-wide steps (the shift, for retire) under the scope key.
      outputs[DEPLOYMENT_SCOPE] = Object.fromEntries(snap.deploymentSteps.filter((s) => s.outputs).map((s) => [s.name, s.outputs]));
      return {
        ...base,
        ...common(env, DEPLOYMENT_SCOPE, step.name, attempt, sink),
        outputs,
        takeControl: () => env.store.takeControl(env.journal.id),
        pendingControl: async () => (await env.store.pendingControl(env.journal.id)).map((p) => p.command),
        record: async (code, message, data) => {
          await env.journal.append({ type: 'event', level: 'info', code, step: step.name, message: env.redactor.redact(message), data: env.redactor.redactValue(data) });
        },
      };
    },
  });
}

/**
 * The steps a deployment-wide step waits for: every cluster step still pending (only excluded ones can be, once
 * the clusters' steps are through) that the new clusters need to serve, and the deployment-wide steps before it.
 * The shift must not promote, nor the retirement destroy, past an install, test or registration left out.
 */
function heldBehind(env: StepRunEnv, name: StepName): string[] {
  const snap = env.journal.snapshot();
  const before = snap.deploymentSteps.slice(0, snap.deploymentSteps.findIndex((s) => s.name === name));
  return [
    ...snap.clusters.flatMap((c) => c.steps.filter((s) => s.state === 'pending' && !env.notNeededForTraffic?.has(s.name)).map((s) => `${c.name}/${s.name}`)),
    ...before.filter((s) => s.state === 'pending').map((s) => `${DEPLOYMENT_SCOPE}/${s.name}`),
  ];
}

function common(env: StepRunEnv, key: string, name: StepName, attempt: number, sink: EventSink) {
  const logName = key === DEPLOYMENT_SCOPE ? 'deployment' : key;
  return {
    logFile: join(env.journal.dir, 'logs', logName, `${name}.log`),
    sink,
    redactor: env.redactor,
    signal: env.signal,
    attempt,
    previous: findStep(env.journal.snapshot(), key, name)?.checkpoint,
    checkpoint: checkpointer(env, key, name),
  };
}

/** Journals a step's checkpoint (merged into the earlier ones at the top level). */
function checkpointer(env: StepRunEnv, key: string, name: StepName): (partial: StepOutputs) => Promise<void> {
  return async (partial) => {
    await env.journal.append({ type: 'step.checkpoint', cluster: key, step: name, outputs: env.redactor.redactValue(partial) });
  };
}

/** The predecessors' `step.succeeded` records, durable (rejects when one could not be written). */
function predecessorsDurable(env: StepRunEnv, ordering: Ordering | undefined): Promise<unknown> {
  if (!ordering || !env.durable) return Promise.resolve();
  const pending = ordering.after.map((id) => env.durable?.get(id)).filter((p): p is Promise<unknown> => p !== undefined);
  return pending.length ? Promise.all(pending) : Promise.resolve();
}

/** Whether every predecessor's outcome is already in the snapshot (a store that applies on append). */
function predecessorsVisible(env: StepRunEnv, ordering: Ordering | undefined): boolean {
  if (!ordering) return true;
  const snap = env.journal.snapshot();
  return ordering.after.every((id) => {
    const at = id.lastIndexOf('/');
    const s = findStep(snap, id.slice(0, at), id.slice(at + 1) as StepName);
    return s === undefined || isDone(s.state);
  });
}

async function runUnit<C>(env: StepRunEnv, ordering: Ordering | undefined, unit: Unit<C>): Promise<NodeOutcome> {
  const { journal } = env;
  // Only a store that applies records once durable makes this wait; the file store applies at once.
  if (!predecessorsVisible(env, ordering)) await predecessorsDurable(env, ordering);
  const journaling = journalingSink(scopedSink(env.sink, unit.key === DEPLOYMENT_SCOPE ? { step: unit.name } : { cluster: unit.key, step: unit.name }), journal, env.redactor);
  const sink = journaling.sink;
  const recorded = findStep(journal.snapshot(), unit.key, unit.name);
  if (!recorded) throw new WsdError('Internal', `step ${unit.name} of ${unit.key} is not in the journal`, { source: 'internal' });
  if (isDone(recorded.state)) {
    sink.emit({ level: 'info', code: 'step.already-done', message: `already ${recorded.state} in an earlier run` });
    return recorded.state === 'skipped' ? 'skipped' : 'succeeded';
  }
  // Before the flags: a step that does nothing here is done, not left for a later run.
  if (!unit.applies) {
    await journal.append({ type: 'step.skipped', cluster: unit.key, step: unit.name, evidence: 'not applicable to this cluster' });
    return 'skipped';
  }
  const excludedBy = env.excluded.get(unit.name);
  if (excludedBy) {
    sink.emit({ level: 'info', code: 'step.excluded', message: `not run (excluded by ${excludedBy})` });
    // Journaled so the summary says so; still pending, so `resume` (without the flag) runs it.
    if (recorded.excluded !== excludedBy) await journal.append({ type: 'step.excluded', cluster: unit.key, step: unit.name, by: excludedBy });
    return 'skipped';
  }
  const waitsFor = unit.waitsFor?.() ?? [];
  if (waitsFor.length > 0) {
    sink.emit({ level: 'warn', code: 'step.held', message: `held back (resume runs it): ${heldBackWords(waitsFor)}`, data: { waitsFor } });
    if (recorded.excluded !== 'held' || recorded.waitsFor?.join() !== waitsFor.join()) await journal.append({ type: 'step.excluded', cluster: unit.key, step: unit.name, by: 'held', waitsFor });
    return 'skipped';
  }
  const started = Date.now();
  let attemptNo = recorded.attempts;
  try {
    // Where this run of the step begins (the wait for orphans and the pre-run check included), in the journal:
    // the step's trace span starts there, and its duration (the summary's DURATION) counts from there. Not
    // awaited: it joins the group commit of the step's next record (its `step.started`), where a durable write
    // of its own would cost every hop a second fdatasync before its child starts. A failed write fails that
    // next record too, which is where the run learns of it.
    journal
      .append({ type: 'event', level: 'info', code: STEP_BEGIN, cluster: unit.key, step: unit.name, message: unit.check ? 'begins: pre-run check' : 'begins', data: { begunAt: new Date(started).toISOString() } })
      .catch(() => undefined);
    // A tool an earlier run of this step left running when it was killed still works on its target:
    // nothing (not even the check's observation) runs against it before it exits.
    await waitForOrphans(recorded.checkpoint, { sink, signal: env.signal });
    const children = checkpointChildJournal(checkpointer(env, unit.key, unit.name));
    // The pre-run check runs on every (re)start, including a resume of a step that was in flight:
    // it is how we learn whether the interrupted attempt already took effect.
    const check = unit.check;
    if (check) {
      sink.emit({ level: 'info', code: 'step.check', message: 'pre-run check' });
      const verdict = await withChildJournal(children, () => check(unit.context(attemptNo + 1, sink)));
      if (verdict.action === 'skip') {
        sink.emit({ level: 'info', code: 'step.skip', message: `skipped: ${verdict.evidence}` });
        await journal.append({ type: 'step.skipped', cluster: unit.key, step: unit.name, evidence: verdict.evidence, outputs: verdict.outputs && env.redactor.redactValue(verdict.outputs) });
        return 'skipped';
      }
      if (verdict.action === 'refuse') throw new WsdError('PreCheckRefused', verdict.reason);
    }
    const result = await withRetry(unit.retry ?? ONE_ATTEMPT, (attempt) => withChildJournal(children, () => unit.run(unit.context(attempt, sink))), {
      signal: env.signal,
      sleep: env.sleep,
      onAttempt: async () => {
        attemptNo++;
        await journal.append({ type: 'step.started', cluster: unit.key, step: unit.name, attempt: attemptNo });
        // No tool runs before the records of the steps it builds on are durable. They were
        // appended before this one, so this is normally settled already (same or earlier batch).
        await predecessorsDurable(env, ordering);
        // Told once it is durable, and after the predecessors' success lines (which wait for the same point).
        sink.emit({ level: 'info', code: 'step.start', message: attemptNo > 1 ? `attempt ${attemptNo}` : 'started', data: { attempt: attemptNo } });
      },
      onRetry: (attempt, error, delayMs) =>
        sink.emit({ level: 'warn', code: 'step.retry', message: `transient failure, retrying in ${Math.round(delayMs / 1000)} s: ${error.message}`, data: { attempt, delayMs, error: error.code } }),
    });
    await journaling.flush();
    // After the flush: every record of the run lies within [started, started + durationMs] (the trace's span).
    const durationMs = Date.now() - started;
    const succeeded = journal.append({ type: 'step.succeeded', cluster: unit.key, step: unit.name, outputs: env.redactor.redactValue(result), durationMs });
    // What the operator is told is what happened: the success line (and NDJSON event) only once
    // the record is durable. A failed write never shows it; the engine reports that failure.
    const announced = succeeded.then(() => {
      sink.emit({ level: 'info', code: 'step.succeeded', message: `succeeded in ${(durationMs / 1000).toFixed(1)} s`, data: { durationMs } });
    });
    if (ordering && env.durable) {
      // Dependents may start their checks now (their step.started joins this record's group
      // commit); they await this before running a tool, and the engine awaits every one before
      // the deployment's end. Handled here so no rejection goes unobserved.
      announced.catch(() => undefined);
      env.durable.set(ordering.id, announced);
    } else {
      await announced;
    }
    return 'succeeded';
  } catch (thrown) {
    await journaling.flush();
    if (env.signal.aborted || isAbortError(thrown)) {
      await journal.append({ type: 'step.interrupted', cluster: unit.key, step: unit.name });
      sink.emit({ level: 'warn', code: 'step.interrupted', message: 'interrupted' });
      return 'interrupted';
    }
    const error = toWsdError(thrown);
    const message = env.redactor.redact(error.message);
    await journal.append({ type: 'step.failed', cluster: unit.key, step: unit.name, error: { code: error.code, message }, durationMs: Date.now() - started });
    sink.emit({ level: 'error', code: error.code === 'PreCheckRefused' ? 'step.refused' : 'step.failed', message, data: { error: error.code, ...env.redactor.redactValue(error.details) } });
    return 'failed';
  }
}
