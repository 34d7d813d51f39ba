/**
 * RetireOldClusters: the deployment-wide step after the traffic shift. Behind
 * the `beforeDestroy` gate, it retires every old cluster of the shift (see
 * retire-cluster.ts), bounded in parallel because drains wait on users.
 * Resumable: the cluster list and each cluster's progress are checkpointed.
 */
import { WsdError } from '../../core/errors.js';
import type { StateStore } from '../../state/store.js';
import { realClock } from '../../traffic/clock.js';
import { formatDuration } from '../../traffic/duration.js';
import { mapLimit } from '../../traffic/judges/fetch-values.js';
import type { Clock } from '../../traffic/shift-ports.js';
import { destroyArgv } from '../../tools/terraform/argv.js';
import { pgConnStr, STATE_LOCK_TIMEOUT, terraformSection } from '../create-cluster/terraform-setup.js';
import type { CheckResult, DeploymentPlanContext, DeploymentStep, DeploymentStepContext, PlannedAction, StepOutputs } from '../step.js';
import { resolveShiftClusters } from '../traffic/shift-clusters.js';
import { openShiftSession, type SandboxShiftOptions } from '../traffic/shift-session.js';
import { destroyTerraformEnvs } from './destroy-env.js';
import { destroyModuleInputs } from './destroy-module.js';
import { findCreatedBy, findOtherCreator } from './find-module-input.js';
import { otherEnvironmentNames } from '../../state/environment-names.js';
import { retireCluster, retireWorkDir, type RetireProgress, type RetireTarget } from './retire-cluster.js';
import { assertOthersTakeTraffic, dropShiftCommands, waitForApproval } from './retire-guards.js';

interface RetireStepOptions {
  /** Where earlier deployments are journaled (to find how an old cluster was created). */
  store: StateStore;
  /** No human can approve (CI, no TTY): a manual beforeDestroy gate without --yes fails up front. */
  nonInteractive?: boolean;
  sandbox?: SandboxShiftOptions;
  /** How often a drain is checked. Default 30 s (sandbox: 1 s). */
  pollMs?: number;
  clock?: Clock;
}

const PARALLEL_RETIREMENTS = 4;

function retireConfig(ctx: Pick<DeploymentPlanContext, 'config'>) {
  return ctx.config.trafficShift;
}

function gateIsManual(ctx: Pick<DeploymentPlanContext, 'config' | 'options'>): boolean {
  return retireConfig(ctx)?.gates.beforeDestroy === 'manual' && !ctx.options.yes;
}

/** What this deployment's traffic shift handed on (its clusters and outcome); absent when it did not run. */
function shiftOutputs(ctx: DeploymentStepContext): StepOutputs | undefined {
  return (ctx.outputs['*'] as Record<string, StepOutputs | undefined> | undefined)?.['traffic-shift'];
}

/** The beforeDestroy gate when it is manual and no one can approve it in this run (no terminal, or CI), as a refusal. */
function unapprovableGate(ctx: Pick<DeploymentPlanContext, 'config' | 'options'>, nonInteractive: boolean | undefined): string | undefined {
  if (!gateIsManual(ctx) || !nonInteractive) return undefined;
  return 'trafficShift.gates.beforeDestroy is manual but no one can approve here (no terminal, or CI); pass --yes to approve, or set the gate to auto';
}

/**
 * Whether the gate's answer is already queued (`shift resume|promote|abort` sent while no process ran the
 * deployment, e.g. after it failed at the gate): waitForApproval takes it without asking anyone, so the
 * run can go on without a terminal, as the reply to that command promised.
 */
async function answeredAhead(ctx: Pick<DeploymentStepContext, 'pendingControl' | 'previous'>): Promise<boolean> {
  // Only once the gate was reached: before, what is queued was sent to the shift (see dropShiftCommands).
  if (ctx.previous?.awaiting !== 'beforeDestroy') return false;
  return (await ctx.pendingControl()).some((c) => c === 'resume' || c === 'promote' || c === 'abort');
}

export function createRetireStep(options: RetireStepOptions): DeploymentStep {
  return {
    name: 'retire-old-clusters',
    scope: 'deployment',
    retry: { attempts: 3, initialDelayMs: 5_000, maxDelayMs: 30_000 },

    // Commanded shifts retire with their own tooling: we do not know they cordoned the old clusters.
    applies: (ctx) => retireConfig(ctx) !== undefined && retireConfig(ctx)?.command === undefined,

    describe(ctx: DeploymentPlanContext): PlannedAction[] {
      const config = retireConfig(ctx);
      if (!config) return [];
      const r = config.retire;
      return [
        { kind: 'note', description: "only after this deployment's traffic shift promoted the new clusters (skipped otherwise, e.g. when the shift is excluded)" },
        ...(r.destroy
          ? [
              {
                kind: 'check' as const,
                description:
                  'before the gate and before any cluster is touched: each destroy has every secret terraform variable its cluster was created with (journaled by name, never by value), from terraform.variables or an exported TF_VAR_<name>; a missing one stops the retirement naming it',
              },
            ]
          : []),
        ...(gateIsManual(ctx) ? [{ kind: 'wait' as const, description: 'manual gate beforeDestroy: waits for `shift resume` with the id the run prints (or pass --yes)' }] : []),
        { kind: 'call', description: 'cordon every old cluster of the shift on every meta cluster (refused if no other cluster would take new starts)' },
        { kind: 'wait', description: `wait until each runs no regular workspaces (Deregister without force is refused while any run), at most ${formatDuration(r.drainTimeout)}` },
        { kind: 'call', description: 'ClusterService.Deregister (force=false) on every meta cluster' },
        r.destroy
          ? {
              kind: 'command',
              description: 'terraform destroy of each old cluster created by ws-deployment (module regenerated from its create-cluster outputs and initialised, then this); others: the command to run is reported',
              argv: ['terraform', ...destroyArgv({ lockTimeout: STATE_LOCK_TIMEOUT })],
            }
          : { kind: 'note', description: 'not destroyed (trafficShift.retire.destroy is false): the command to run is reported' },
      ];
    },

    async check(ctx: DeploymentStepContext): Promise<CheckResult> {
      // Retiring is only safe after this deployment's shift promoted the new clusters.
      if (shiftOutputs(ctx)?.outcome !== 'promoted') {
        return {
          action: 'skip',
          evidence:
            'the traffic shift did not run in this deployment (excluded with --skip/--only), so the old clusters still take new starts and none is retired; shift first, or retire one by hand with `ws-deployment retire --cluster NAME`',
        };
      }
      const reason = ctx.previous?.approved || (await answeredAhead(ctx)) ? undefined : unapprovableGate(ctx, options.nonInteractive);
      if (!reason) return { action: 'proceed' };
      // Once the gate was reached, `shift resume` queues its answer (control-reply.ts), and a resume here takes it.
      const ahead = ctx.previous?.awaiting === 'beforeDestroy' ? `; or approve it ahead with \`ws-deployment shift resume ${ctx.deploymentId}\`, then resume again` : '';
      return { action: 'refuse', reason: `${reason}${ahead}` };
    },

    refuseUpFront: (ctx) => unapprovableGate(ctx, options.nonInteractive),

    async run(ctx: DeploymentStepContext): Promise<StepOutputs> {
      const config = retireConfig(ctx);
      if (!config) throw new WsdError('Internal', 'retire-old-clusters ran without trafficShift in the config', { source: 'internal' });
      const clock = options.clock ?? realClock;
      const session = await openShiftSession({ config: ctx.config, sharedDir: ctx.sharedDir, clusters: ctx.clusters, sink: ctx.sink, redactor: ctx.redactor, signal: ctx.signal, sandbox: { ...options.sandbox, faults: [] }, traffic: true });
      try {
        const { registry } = session;
        const previous = ctx.previous?.clusters ?? shiftOutputs(ctx);
        const otherEnvironments = previous ? undefined : await otherEnvironmentNames(options.store, { project: ctx.config.project.id, environment: ctx.environment });
        const leftOut = (message: string) => ctx.sink.emit({ level: 'warn', code: 'traffic.old-clusters', message });
        const clusters = await resolveShiftClusters({ config, clusters: ctx.clusters, environment: ctx.environment, registry, metas: registry.metas, previous, signal: ctx.signal, otherEnvironments, leftOut });
        if (!ctx.previous?.clusters) await ctx.checkpoint({ clusters });
        const olds = clusters.oldClusters;
        if (olds.length === 0) return { retired: [], note: 'no old clusters to retire' };

        const previousProgress = ctx.previous?.progress as Record<string, RetireProgress> | undefined;
        const createdBy = await Promise.all(olds.map((old) => findCreatedBy(options.store, old.name, { project: ctx.config.project.id, environment: ctx.environment })));
        // Before the gate and before any cluster is touched: a destroy that would lack a secret variable, or whose
        // module is gone with nothing to take its place, stops now.
        const destroys = config.retire.destroy
          ? olds.flatMap((old, i) => {
              const created = createdBy[i];
              const done = previousProgress?.[old.name]?.destroyed || previousProgress?.[old.name]?.done;
              return created?.moduleInput?.backend && !done ? [{ cluster: old.name, createdBy: created.deploymentId, moduleInput: created.moduleInput }] : [];
            })
          : [];
        const destroyEnvs = destroyTerraformEnvs(destroys, ctx, ctx.redactor);
        const destroyModules = destroyModuleInputs(destroys, ctx, ctx.sink);

        if (gateIsManual(ctx) && !ctx.previous?.approved) {
          // Reached now (not waiting already in an earlier run): what is queued was sent to the shift.
          if (ctx.previous?.awaiting !== 'beforeDestroy') await dropShiftCommands(ctx);
          // Journaled, so `shift resume|abort` can tell the operator what answering this gate does.
          await ctx.checkpoint({ awaiting: 'beforeDestroy' });
          await waitForApproval(ctx, `retire ${olds.map((o) => o.name).join(', ')} (cordon, drain, deregister${config.retire.destroy ? ', terraform destroy' : ''})`, clock);
        }
        await assertOthersTakeTraffic(registry, olds.map((o) => o.name), ctx.signal);

        const all: Record<string, RetireProgress> = { ...previousProgress };
        let writes = Promise.resolve();
        // Checkpoints merge at the top level only: always write the whole map, one write at a time.
        const persist = (name: string, p: RetireProgress) => {
          all[name] = p;
          writes = writes.then(() => ctx.checkpoint({ progress: { ...all } }));
          return writes;
        };
        const pollMs = options.pollMs ?? (session.simulators.length > 0 ? 1_000 : 30_000);
        const results = await mapLimit(olds, PARALLEL_RETIREMENTS, async (old) => {
          const created = createdBy[olds.indexOf(old)];
          const target: RetireTarget = { name: old.name, fullName: created?.name ?? old.cluster, region: created?.region ?? old.region };
          return retireCluster({
            target,
            registry,
            project: ctx.config.project.id,
            drainTimeoutMs: config.retire.drainTimeout,
            pollMs,
            destroy: config.retire.destroy,
            moduleInput: destroyModules.get(old.name) ?? created?.moduleInput,
            otherCreator: created?.moduleInput?.backend ? undefined : await findOtherCreator(options.store, old.name, { project: ctx.config.project.id, environment: ctx.environment }),
            workDir: retireWorkDir(ctx.deploymentDir, old.name),
            stateDir: ctx.sharedDir,
            credFile: ctx.config.project.gcpSACredFile,
            pgConnStr: pgConnStr(ctx),
            providerMirror: terraformSection(ctx).providerMirror,
            terraformEnv: destroyEnvs.get(old.name),
            progress: all[old.name],
            save: (p) => persist(old.name, p),
            record: ctx.record,
            clock,
            sink: ctx.sink,
            redactor: ctx.redactor,
            logFile: ctx.logFile,
            signal: ctx.signal,
          });
        });
        await writes;
        return {
          retired: olds.map((o, i) => ({ name: o.name, cluster: o.cluster, destroyed: results[i]?.destroyed ?? false, manual: results[i]?.manual })),
        };
      } finally {
        await session.close();
      }
    },
  };
}
