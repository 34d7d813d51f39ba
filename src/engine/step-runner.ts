/**
 * Runs one cluster × step node: resume bookkeeping, pre-run check, retries,
 * journaling. The engine's only contact with a step implementation.
 */
import { isAbortError, toWsdError, WsdError } from '../core/errors.js';
import { scopedSink, type EventSink } from '../core/events.js';
import type { Redactor } from '../core/redact.js';
import type { DeploymentJournal } from '../state/store.js';
import { isDone } from '../state/model.js';
import type { ClusterTarget, PlanContext, RunOptions, Step, StepContext, StepName, StepOutputs } from '../steps/step.js';
import type { NodeOutcome } from './work-graph.js';
import { DEFAULT_RETRY, withRetry } from './retry.js';
import { join } from 'node:path';

export interface StepRunEnv {
  deploymentId: string;
  environment: PlanContext['environment'];
  config: PlanContext['config'];
  clusters: readonly ClusterTarget[];
  journal: DeploymentJournal;
  /** The store's folder for files shared across deployments. */
  sharedDir: string;
  sink: EventSink;
  redactor: Redactor;
  signal: AbortSignal;
  options: RunOptions;
  /** Steps filtered out by --only/--skip: passed through without running or journaling. */
  excluded: ReadonlySet<StepName>;
  /** Test hook: replaces the backoff sleep. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export function clusterDirOf(journal: DeploymentJournal, cluster: ClusterTarget): string {
  return join(journal.dir, cluster.name);
}

export function planContext(
  env: Pick<StepRunEnv, 'deploymentId' | 'environment' | 'config' | 'clusters' | 'options' | 'redactor' | 'sharedDir'>,
  deploymentDir: string,
  cluster: ClusterTarget,
): PlanContext {
  return {
    deploymentId: env.deploymentId,
    environment: env.environment,
    config: env.config,
    cluster,
    clusters: env.clusters,
    clusterDir: join(deploymentDir, cluster.name),
    deploymentDir,
    sharedDir: env.sharedDir,
    options: env.options,
    redactor: env.redactor,
  };
}

/** Runs one step of one cluster and journals what happened. Never throws. */
export async function runStepNode(env: StepRunEnv, cluster: ClusterTarget, step: Step): Promise<NodeOutcome> {
  const { journal } = env;
  const sink = scopedSink(env.sink, { cluster: cluster.name, step: step.name });
  const recorded = journal.snapshot().clusters.find((c) => c.name === cluster.name)?.steps.find((s) => s.name === step.name);
  if (!recorded) throw new WsdError('Internal', `step ${step.name} of ${cluster.name} is not in the journal`, { source: 'internal' });
  if (isDone(recorded.state)) {
    sink.emit({ level: 'info', code: 'step.already-done', message: `already ${recorded.state} in an earlier run` });
    return recorded.state === 'skipped' ? 'skipped' : 'succeeded';
  }
  if (env.excluded.has(step.name)) {
    sink.emit({ level: 'info', code: 'step.excluded', message: 'not run (excluded by --only/--skip)' });
    return 'skipped';
  }
  const base = planContext(env, journal.dir, cluster);
  if (!step.applies(base)) {
    await journal.append({ type: 'step.skipped', cluster: cluster.name, step: step.name, evidence: 'not applicable to this cluster' });
    return 'skipped';
  }

  const outputs: StepContext['outputs'] = {};
  for (const s of journal.snapshot().clusters.find((c) => c.name === cluster.name)?.steps ?? []) {
    if (s.outputs) outputs[s.name] = s.outputs;
  }
  const started = Date.now();
  let attemptNo = recorded.attempts;
  const ctx = (attempt: number): StepContext => ({
    ...base,
    outputs,
    logFile: join(journal.dir, 'logs', cluster.name, `${step.name}.log`),
    sink,
    redactor: env.redactor,
    signal: env.signal,
    attempt,
    previous: journal.snapshot().clusters.find((c) => c.name === cluster.name)?.steps.find((s) => s.name === step.name)?.checkpoint,
    checkpoint: async (partial: StepOutputs) => {
      await journal.append({ type: 'step.checkpoint', cluster: cluster.name, step: step.name, outputs: env.redactor.redactValue(partial) });
    },
  });

  try {
    // The pre-run check runs on every (re)start, including a resume of a step that was in flight:
    // it is how we learn whether the interrupted attempt already took effect.
    if (step.check) {
      sink.emit({ level: 'info', code: 'step.check', message: 'pre-run check' });
      const verdict = await step.check(ctx(attemptNo + 1));
      if (verdict.action === 'skip') {
        sink.emit({ level: 'info', code: 'step.skip', message: `skipped: ${verdict.evidence}` });
        await journal.append({ type: 'step.skipped', cluster: cluster.name, step: step.name, evidence: verdict.evidence, outputs: verdict.outputs && env.redactor.redactValue(verdict.outputs) });
        return 'skipped';
      }
      if (verdict.action === 'refuse') throw new WsdError('PreCheckRefused', verdict.reason);
    }
    const policy = step.retry ?? { ...DEFAULT_RETRY, attempts: 1 };
    const result = await withRetry(
      policy,
      (attempt) => step.run(ctx(attempt)),
      {
        signal: env.signal,
        sleep: env.sleep,
        onAttempt: async () => {
          attemptNo++;
          sink.emit({ level: 'info', code: 'step.start', message: attemptNo > 1 ? `attempt ${attemptNo}` : 'started', data: { attempt: attemptNo } });
          await journal.append({ type: 'step.started', cluster: cluster.name, step: step.name, attempt: attemptNo });
        },
        onRetry: (attempt, error, delayMs) =>
          sink.emit({ level: 'warn', code: 'step.retry', message: `transient failure, retrying in ${Math.round(delayMs / 1000)} s: ${error.message}`, data: { attempt, delayMs, error: error.code } }),
      },
    );
    const durationMs = Date.now() - started;
    await journal.append({ type: 'step.succeeded', cluster: cluster.name, step: step.name, outputs: env.redactor.redactValue(result), durationMs });
    sink.emit({ level: 'info', code: 'step.succeeded', message: `succeeded in ${(durationMs / 1000).toFixed(1)} s`, data: { durationMs } });
    return 'succeeded';
  } catch (thrown) {
    if (env.signal.aborted || isAbortError(thrown)) {
      await journal.append({ type: 'step.interrupted', cluster: cluster.name, step: step.name });
      sink.emit({ level: 'warn', code: 'step.interrupted', message: 'interrupted' });
      return 'interrupted';
    }
    const error = toWsdError(thrown);
    const message = env.redactor.redact(error.message);
    await journal.append({ type: 'step.failed', cluster: cluster.name, step: step.name, error: { code: error.code, message }, durationMs: Date.now() - started });
    sink.emit({ level: 'error', code: error.code === 'PreCheckRefused' ? 'step.refused' : 'step.failed', message, data: { error: error.code, ...env.redactor.redactValue(error.details) } });
    return 'failed';
  }
}
