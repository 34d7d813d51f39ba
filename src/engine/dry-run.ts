/**
 * `deploy --dry-run`: the plan plus each step's tool-native preview (terraform
 * plan, helm template), run in a scratch folder. No journal, no lock, nothing
 * changes outside `<state-dir>/dry-run/`.
 *
 * It also runs the pre-run checks the real deploy would run before changing
 * anything — an unfinished deployment of the environment, the deployment-wide
 * up-front refusals, and each cluster's first step check (e.g. "the cluster
 * already exists") — and returns what they refuse, so a dry run never says
 * "0 to add" where the deploy would stop.
 */
import { join } from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import { scopedSink } from '../core/events.js';
import { buildPlan, type PlanDocument } from '../plan/build-plan.js';
import { buildTargets } from '../plan/targets.js';
import type { StepContext } from '../steps/step.js';
import { idHistory, unfinishedRefusal, upFrontRefusal, type EngineDeps, type EngineOptions } from './deployment.js';
import { runGraph } from './work-graph.js';

interface DryRunResult {
  plan: PlanDocument;
  /** What the real deploy would refuse before changing anything (empty: it would start). */
  refusals: string[];
}

export async function dryRun(loaded: LoadedConfig, options: EngineOptions, deps: EngineDeps): Promise<DryRunResult> {
  const refusals: string[] = [];
  const unfinished = await unfinishedRefusal(loaded, options, deps);
  if (unfinished) refusals.push(unfinished.message);
  const upFront = upFrontRefusal(loaded, options, deps);
  if (upFront) refusals.push(upFront);
  const plan = await buildPlan({
    loaded,
    steps: deps.steps,
    deploymentSteps: deps.deploymentSteps,
    options,
    clusterId: options.clusterId,
    probe: deps.probe,
    redactor: deps.redactor,
    sharedDir: deps.store.root,
    registeredNames: deps.registeredNames,
    ...(await idHistory(deps, { project: loaded.config.project.id, environment: loaded.config.environment })),
  });
  const targets = buildTargets(loaded.config, plan.clusterId);
  const deploymentDir = join(deps.store.root, 'dry-run');
  const nodes = targets.map((cluster) => ({ id: cluster.name, kind: 'cluster', deps: [], cluster }));
  await runGraph(nodes, {
    concurrency: options.concurrency ? { cluster: options.concurrency } : undefined,
    signal: deps.signal,
    execute: async ({ cluster }) => {
      const planned = plan.clusters.find((c) => c.name === cluster.name);
      let checked = false;
      for (const step of deps.steps) {
        const planStep = planned?.steps.find((s) => s.name === step.name);
        if (!planStep?.applies) continue;
        const sink = scopedSink(deps.sink, { cluster: cluster.name, step: step.name });
        const ctx: StepContext = {
          deploymentId: 'dry-run',
          environment: loaded.config.environment,
          config: loaded.config,
          cluster,
          clusters: targets,
          clusterDir: join(deploymentDir, cluster.name),
          deploymentDir,
          sharedDir: deps.store.root,
          outputs: {},
          logFile: join(deploymentDir, 'logs', cluster.name, `${step.name}.log`),
          sink,
          redactor: deps.redactor,
          signal: deps.signal,
          options,
          attempt: 1,
          checkpoint: async () => undefined,
        };
        if (!checked) {
          // Only a cluster's first step can be checked now: later checks look at what earlier steps create.
          checked = true;
          const verdict = await step.check?.(ctx);
          if (verdict?.action === 'refuse') refusals.push(`${cluster.name} ${step.name}: ${verdict.reason}`);
        }
        if (!step.preview) continue;
        sink.emit({ level: 'info', code: 'step.preview', message: 'preview' });
        planStep.actions.push(...deps.redactor.redactValue(await step.preview(ctx)));
      }
      return 'succeeded';
    },
  });
  return { plan, refusals };
}
