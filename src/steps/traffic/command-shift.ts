/**
 * `trafficShift.command`: an external job shifts the traffic instead of the
 * built-in controller (e.g. a team's own canary tooling). It runs through
 * runTool (argv, no shell, explicit env, timeout, abort) and is journaled like a
 * step: started and finished are checkpointed; a crash in between re-runs it on
 * resume, so the command must be idempotent (the env tells it what to do).
 */
import { WsdError } from '../../core/errors.js';
import type { TrafficShiftConfig } from '../../traffic/config.js';
import { runTool, ToolFailedError } from '../../tools/exec.js';
import type { DeploymentStepContext, StepOutputs } from '../step.js';
import type { ShiftClusters } from './shift-clusters.js';

/** The environment the command receives (besides `command.env`). */
function commandEnv(ctx: Pick<DeploymentStepContext, 'deploymentId' | 'environment'>, clusters: ShiftClusters, metas: readonly string[], extra: Record<string, string>): Record<string, string> {
  return {
    ...extra,
    WSD_DEPLOYMENT_ID: ctx.deploymentId,
    WSD_ENVIRONMENT: ctx.environment,
    WSD_NEW_CLUSTERS: clusters.newClusters.map((c) => c.name).join(','),
    WSD_NEW_CLUSTER_FULL_NAMES: clusters.newClusters.map((c) => c.cluster).join(','),
    WSD_OLD_CLUSTERS: clusters.oldClusters.map((c) => c.name).join(','),
    WSD_META_CLUSTERS: metas.join(','),
  };
}

/** Runs the command to completion (or returns the result of an earlier finished run). */
export async function runCommandShift(ctx: DeploymentStepContext, config: TrafficShiftConfig, clusters: ShiftClusters, metas: readonly string[]): Promise<StepOutputs> {
  const command = config.command;
  if (!command) throw new WsdError('Internal', 'runCommandShift without trafficShift.command', { source: 'internal' });
  const prev = ctx.previous?.command as { finishedAt?: string; exitCode?: number } | undefined;
  if (prev?.finishedAt) return { mode: 'command', outcome: 'promoted', argv: command.argv, exitCode: prev.exitCode, ...clusters };
  const startedAt = new Date().toISOString();
  await ctx.checkpoint({ command: { startedAt } });
  await ctx.record('traffic.command.start', `running ${command.argv[0]} for the traffic shift`, { argv: command.argv, newClusters: clusters.newClusters, oldClusters: clusters.oldClusters });
  try {
    const result = await runTool({
      argv: command.argv,
      env: commandEnv(ctx, clusters, metas, command.env),
      timeoutMs: command.timeout,
      signal: ctx.signal,
      sink: ctx.sink,
      step: 'traffic-shift',
      logFile: ctx.logFile,
      redactor: ctx.redactor,
    });
    const finishedAt = new Date().toISOString();
    await ctx.checkpoint({ command: { startedAt, finishedAt, exitCode: result.exitCode } });
    await ctx.record('traffic.command.done', `${command.argv[0]} finished in ${Math.round(result.durationMs / 1000)} s`, { exitCode: result.exitCode, durationMs: result.durationMs });
    return { mode: 'command', outcome: 'promoted', argv: command.argv, exitCode: result.exitCode, ...clusters };
  } catch (error) {
    if (error instanceof ToolFailedError) {
      await ctx.record('traffic.command.failed', error.message, { exitCode: error.exitCode, signal: error.signal });
      throw new WsdError('GateFailed', `the traffic shift command ${command.argv[0]} failed (exit ${error.exitCode ?? error.signal}): ${error.message}; the registry is as the command left it — check its log ${ctx.logFile}, then resume`, { cause: error });
    }
    throw error;
  }
}
