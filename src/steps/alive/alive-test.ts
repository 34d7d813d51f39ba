/**
 * AliveTest: decides that a freshly installed cluster is alive before it is
 * registered with the meta clusters. Checks (combinable): the user's command,
 * the roll out of the Gitpod namespace, HTTP(S) endpoints, and TCP/TLS
 * reachability of the ws-manager URL. Sandbox clusters have no Kubernetes API:
 * their simulated health (`<state-dir>/sandbox/health/<cluster>.json`) is checked instead.
 */
import { readSection, rootDomain, type AliveTestSection } from '../install/config.js';
import { isSandbox, kubeconfigFor, expandTemplate } from '../install/cluster-context.js';
import { loadClusterKubeConfig } from '../../tools/kube/kube-config.js';
import type { PlanContext, PlannedAction, Step, StepContext, StepOutputs } from '../step.js';
import { runChecks, type AliveCheck } from './checks.js';
import { commandCheck, rolloutCheck, sandboxHealthCheck, sandboxHealthPath } from './cluster-checks.js';
import { httpCheck, wsManagerCheck } from './network-checks.js';

function section(ctx: PlanContext): AliveTestSection | undefined {
  return readSection(ctx.config, 'aliveTest');
}

function domainOf(ctx: PlanContext): string | undefined {
  return readSection(ctx.config, 'gitpod')?.domain ?? rootDomain(ctx.config);
}

/** Namespace of the rollout check: its own setting, else the Gitpod release namespace. */
function rolloutNamespace(ctx: PlanContext, s: AliveTestSection): string {
  return s.rollout.namespace ?? readSection(ctx.config, 'gitpod')?.namespace ?? 'default';
}

/** The checks as plan entries (pure). */
function describeAliveTest(ctx: PlanContext): PlannedAction[] {
  const s = section(ctx);
  if (!s) return [];
  const limits = { timeoutSeconds: s.timeoutSeconds, pollIntervalSeconds: s.pollIntervalSeconds };
  if (isSandbox(ctx)) return [{ kind: 'check', description: `sandbox health from ${sandboxHealthPath(ctx.sharedDir, ctx.cluster.name)}`, data: limits }];
  const actions: PlannedAction[] = [];
  if (s.command) actions.push({ kind: 'command', description: 'alive test command (exit 0 = alive)', argv: ctx.redactor.redactValue(s.command.argv), data: limits });
  if (s.rollout.enabled) actions.push({ kind: 'check', description: `all workloads of namespace ${rolloutNamespace(ctx, s)} rolled out`, data: limits });
  for (const h of s.http) actions.push({ kind: 'check', description: `GET ${expandTemplate(h.url, ctx.cluster, domainOf(ctx))} answers ${h.expectedStatus}`, data: limits });
  if (s.wsManager) {
    const url = expandTemplate(s.wsManager.url, ctx.cluster, domainOf(ctx));
    actions.push({ kind: 'check', description: `ws-manager ${url} reachable over ${s.wsManager.tls ? 'TLS' : 'TCP'}`, data: limits });
  }
  return actions;
}

/** Builds the checks for a cluster. */
async function buildChecks(ctx: StepContext, s: AliveTestSection): Promise<AliveCheck[]> {
  if (isSandbox(ctx)) return [sandboxHealthCheck(ctx.sharedDir, ctx.cluster.name)];
  const checks: AliveCheck[] = [];
  const needsCluster = s.command !== undefined || s.rollout.enabled;
  const kubeconfig = needsCluster ? await kubeconfigFor(ctx) : undefined;
  if (s.command) checks.push(commandCheck(ctx, s.command, kubeconfig));
  if (s.rollout.enabled && kubeconfig) checks.push(rolloutCheck(await loadClusterKubeConfig(kubeconfig), rolloutNamespace(ctx, s)));
  const domain = domainOf(ctx);
  for (const h of s.http) {
    checks.push(httpCheck({ url: expandTemplate(h.url, ctx.cluster, domain), expectedStatus: h.expectedStatus, caFile: h.caFile }));
  }
  if (s.wsManager) {
    checks.push(
      wsManagerCheck({
        url: expandTemplate(s.wsManager.url, ctx.cluster, domain),
        tls: s.wsManager.tls,
        caFile: s.wsManager.caFile,
        serverName: s.wsManager.serverName,
      }),
    );
  }
  return checks;
}

/** The alive-test step. */
export const aliveTestStep: Step = {
  name: 'alive-test',
  applies: (ctx) => section(ctx)?.enabled === true,
  describe: describeAliveTest,
  async run(ctx): Promise<StepOutputs> {
    const s = section(ctx);
    if (!s) return { checks: [] };
    const checks = await buildChecks(ctx, s);
    if (checks.length === 0) {
      ctx.sink.emit({ level: 'warn', code: 'alive.none', cluster: ctx.cluster.name, step: 'alive-test', message: 'alive test has no checks configured; nothing was verified' });
      return { checks: [] };
    }
    const report = await runChecks(checks, {
      timeoutMs: s.timeoutSeconds * 1000,
      pollMs: s.pollIntervalSeconds * 1000,
      signal: ctx.signal,
      sink: ctx.sink,
      cluster: ctx.cluster.name,
      step: 'alive-test',
    });
    return { sandbox: isSandbox(ctx), checks: report.checks, durationMs: report.durationMs };
  },
};
