/**
 * Alive checks that look at the cluster itself: a user command (exit 0 =
 * alive), the roll out of every workload in the Gitpod namespace, and the
 * simulated health of sandbox clusters.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { WsdError, isWsdError } from '../../core/errors.js';
import { ToolFailedError, runTool } from '../../tools/exec.js';
import { describeWorkload, observeWorkloads } from '../../tools/kube/rollout.js';
import type { StepContext } from '../step.js';
import type { AliveCheck } from './checks.js';

/** The environment a user command sees: its own variables, the cluster's kubeconfig and names. */
function commandEnv(ctx: StepContext, kubeconfig: string | undefined, extra: Record<string, string>): Record<string, string | undefined> {
  return {
    ...extra,
    KUBECONFIG: kubeconfig,
    WSD_DEPLOYMENT_ID: ctx.deploymentId,
    WSD_ENVIRONMENT: ctx.environment,
    WSD_CLUSTER_NAME: ctx.cluster.name,
    WSD_CLUSTER_SHORT_NAME: ctx.cluster.shortName,
    WSD_CLUSTER_ID: String(ctx.cluster.id),
    WSD_CLUSTER_REGION: ctx.cluster.region,
  };
}

/** Whether `command` can be executed (a path, or a name found on PATH). */
function isExecutable(command: string, path = process.env.PATH ?? ''): boolean {
  const candidates = command.includes('/') ? [resolve(command)] : path.split(delimiter).filter(Boolean).map((dir) => join(dir, command));
  return candidates.some((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Runs the user's command; output goes to the step log (redacted by runTool). */
export function commandCheck(ctx: StepContext, input: { argv: string[]; env: Record<string, string> }, kubeconfig: string | undefined): AliveCheck {
  const command = input.argv[0] ?? '';
  return {
    name: `command ${command}`,
    async probe(budgetMs) {
      // Checked up front: a command that is not there will not appear by polling.
      if (!isExecutable(command)) {
        throw new WsdError('ConfigInvalid', `alive test command ${command} is not installed, not executable or not on PATH; fix aliveTest.command.argv`);
      }
      try {
        const result = await runTool({
          argv: input.argv,
          env: commandEnv(ctx, kubeconfig, input.env),
          timeoutMs: Math.min(budgetMs, 10 * 60_000),
          signal: ctx.signal,
          sink: ctx.sink,
          cluster: ctx.cluster.name,
          step: 'alive-test',
          logFile: ctx.logFile,
          redactor: ctx.redactor,
        });
        return { ok: true, state: `exit code 0 after ${result.durationMs} ms` };
      } catch (error) {
        if (error instanceof ToolFailedError) {
          const lastLine = (error.stderr || error.stdout).trim().split('\n').pop() ?? '';
          const how = error.code === 'ToolTimeout' ? 'timed out' : `exit code ${error.exitCode ?? error.signal}`;
          return { ok: false, state: `${how}${lastLine ? `: ${lastLine}` : ''}` };
        }
        if (isWsdError(error) && error.code === 'ToolMissing') {
          throw new WsdError('ConfigInvalid', `alive test command ${input.argv[0]} is not installed or not on PATH; fix aliveTest.command.argv`, { cause: error });
        }
        throw error;
      }
    },
  };
}

/** Every Deployment/DaemonSet/StatefulSet of the namespace is rolled out. */
export function rolloutCheck(kc: KubeConfig, namespace: string): AliveCheck {
  return {
    name: `rollout ${namespace}`,
    async probe() {
      let states;
      try {
        states = await observeWorkloads(kc, { namespace });
      } catch (error) {
        if (isWsdError(error) && error.transient) return { ok: false, state: error.message };
        throw error;
      }
      if (states.length === 0) return { ok: false, state: `no Deployments, DaemonSets or StatefulSets in namespace ${namespace}` };
      const pending = states.filter((s) => !s.ready);
      if (pending.length === 0) return { ok: true, state: `${states.length} workloads rolled out` };
      return { ok: false, state: pending.map(describeWorkload).join('; ') };
    },
  };
}

/**
 * `<state-dir>/sandbox/health/<cluster>.json`: `{"healthy": true}` or `{"healthy": false, "reason": "…"}`;
 * missing = healthy. It lives with the rest of the sandbox's world (keyed by cluster name, like its
 * Terraform state), so a test or a person can make a cluster sick before or during a deployment.
 */
export function sandboxHealthPath(sharedDir: string, clusterName: string): string {
  return join(sharedDir, 'sandbox', 'health', `${clusterName}.json`);
}

/** The simulated health of a sandbox cluster. A malformed file is an error, not "unhealthy". */
export function sandboxHealthCheck(sharedDir: string, clusterName: string): AliveCheck {
  const file = sandboxHealthPath(sharedDir, clusterName);
  return {
    name: `sandbox health ${clusterName}`,
    async probe() {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, state: `healthy (no sandbox/health/${clusterName}.json in the state dir)` };
        throw new WsdError('StateIo', `cannot read ${file}: ${(error as Error).message}`, { cause: error });
      }
      let health: { healthy?: unknown; reason?: unknown };
      try {
        health = JSON.parse(text) as typeof health;
      } catch (error) {
        throw new WsdError('AliveTestFailed', `${file} is not valid JSON; write {"healthy": true} or {"healthy": false, "reason": "…"}`, { cause: error });
      }
      if (typeof health?.healthy !== 'boolean') {
        throw new WsdError('AliveTestFailed', `${file} has no boolean "healthy"; write {"healthy": true} or {"healthy": false, "reason": "…"}`);
      }
      if (health.healthy) return { ok: true, state: 'healthy' };
      return { ok: false, state: `sandbox cluster ${clusterName} is unhealthy: ${typeof health.reason === 'string' ? health.reason : 'no reason given'}` };
    },
  };
}
