/**
 * `plan`: a pure function of the inputs plus observed state (the existence
 * probe, when the id must be allocated). Versioned so other tools can read it.
 */
import { join } from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import type { Redactor } from '../core/redact.js';
import { clusterStepGraph } from '../engine/cluster-graph.js';
import { excludedSteps, type EngineOptions } from '../engine/deployment.js';
import type { HelmMajor } from '../tools/helm.js';
import type { StartRefusal } from '../engine/start-verdict.js';
import type { ExcludedBy } from '../state/model.js';
import type { ClusterTarget, DeploymentPlanContext, DeploymentStep, PlanContext, PlannedAction, RunOptions, Step, StepName } from '../steps/step.js';
import { allocateClusterId, sharedNameRefusal, type ExistenceProbe, type RegisteredNames, type SharedNames } from './allocate-id.js';
import { buildTargets } from './targets.js';

const PLAN_VERSION = 1;

export interface PlanStep {
  name: string;
  /** Whether deploy would run the step: false when it does not apply to the cluster, or when it is `excluded`. */
  applies: boolean;
  /**
   * Set when `--only`/`--skip` leave the step out: the flag that did; `held` for a deployment-wide step deploy
   * holds back behind a step left out (see Step.notNeededForTraffic). Such a step has no actions.
   */
  excluded?: ExcludedBy;
  actions: PlannedAction[];
  /** Per-cluster steps: position in the cluster's step graph (steps of one stage may run together). */
  stage?: number;
  /** Per-cluster steps: the steps of the same cluster this one waits for. */
  after?: string[];
  /** Per-cluster steps: the steps of the same cluster that run at the same time as this one. */
  alongside?: string[];
}

interface PlanCluster {
  name: string;
  shortName: string;
  region: string;
  prefix: string;
  governedBy: string;
  type: ClusterTarget['type'];
  steps: PlanStep[];
}

export interface PlanDocument {
  version: typeof PLAN_VERSION;
  environment: string;
  project: string;
  clusterId: number;
  /** How the id was chosen: given with --cluster-id, or allocated now exactly as `deploy` would. */
  clusterIdSource: 'flag' | 'allocated';
  clusters: PlanCluster[];
  /** Deployment-wide steps (the traffic shift: timeline, worst-case rollback time). */
  deploymentSteps: PlanStep[];
  /**
   * Set by `plan` when `deploy` with the same flags would be refused at its start by an earlier run of the
   * environment: one that holds its lock, or one that did not finish (see engine/start-verdict.ts). Absent: none
   * stands in the way (the steps' own pre-run checks are `deploy --dry-run`'s).
   */
  refusal?: StartRefusal;
}

interface PlanInput {
  loaded: LoadedConfig;
  steps: readonly Step[];
  deploymentSteps?: readonly DeploymentStep[];
  /** With `only`/`skip`, the plan marks the steps deploy would leave out with the same flags. */
  options: RunOptions & Pick<EngineOptions, 'only' | 'skip'>;
  clusterId?: number;
  probe: ExistenceProbe;
  redactor: Redactor;
  /** Where deployments would live (`<state-dir>`). */
  sharedDir: string;
  /** Names registered with the meta clusters (their ids are taken); asked only when allocating. */
  registeredNames?: RegisteredNames;
  /** The id of the newest earlier deployment of the environment (allocation starts after it). */
  lastUsed?: number;
  /** Ids never to take (see `ClusterIdHistory.taken`). */
  taken?: ReadonlySet<number>;
  /** Short names other environments of the state dir use (see `ClusterIdHistory.shared`). */
  shared?: SharedNames;
  /** The major version of the helm deploy would run, so helm commands show its flags. */
  helmMajor?: HelmMajor;
}

/**
 * One plan entry. Excluded steps are neither asked whether they apply nor
 * described: deploy does not run them, so plan must not fail on them either.
 */
function planStep(name: StepName, excluded: ReadonlySet<StepName>, held: ReadonlySet<StepName>, options: PlanInput['options'], applies: () => boolean, describe: () => PlannedAction[]): PlanStep {
  if (excluded.has(name)) return { name, applies: false, excluded: options.skip?.includes(name) ? '--skip' : '--only', actions: [] };
  if (held.has(name) && applies()) return { name, applies: false, excluded: 'held', actions: [] };
  const applicable = applies();
  return { name, applies: applicable, actions: applicable ? describe() : [] };
}

export async function buildPlan(input: PlanInput): Promise<PlanDocument> {
  const { config } = input.loaded;
  // A given id whose short names another environment uses: what deploy refuses, plan refuses too.
  const shared = input.clusterId === undefined ? undefined : sharedNameRefusal(config, input.clusterId, input.shared);
  if (shared) throw shared;
  const clusterId = input.clusterId ?? (await allocateClusterId(config, { probe: input.probe, registeredNames: input.registeredNames, lastUsed: input.lastUsed, taken: input.taken, shared: input.shared }));
  const targets = buildTargets(config, clusterId);
  const deploymentDir = join(input.sharedDir, '<deployment>');
  const wide: DeploymentPlanContext = {
    deploymentId: '<deployment>',
    environment: config.environment,
    config,
    clusters: targets,
    deploymentDir,
    sharedDir: input.sharedDir,
    options: input.options,
    redactor: input.redactor,
  };
  const clusterContext = (cluster: ClusterTarget): PlanContext => ({
    deploymentId: '<deployment>',
    environment: config.environment,
    config,
    cluster,
    clusters: targets,
    clusterDir: join(deploymentDir, cluster.name),
    deploymentDir,
    sharedDir: input.sharedDir,
    options: input.options,
    redactor: input.redactor,
    helmMajor: input.helmMajor,
  });
  const wideSteps = input.deploymentSteps ?? [];
  const excluded = excludedSteps([...input.steps, ...wideSteps].map((s) => s.name), input.options);
  const held = heldWideSteps(input.steps, wideSteps, excluded, targets.map((cluster) => clusterContext(cluster)), wide);
  const entry = (name: StepName, applies: () => boolean, describe: () => PlannedAction[]): PlanStep =>
    planStep(name, excluded, held, input.options, applies, () => input.redactor.redactValue(describe()));
  // The same graph deploy runs (engine/cluster-graph.ts): which steps run together.
  const graph = clusterStepGraph(input.steps, config);
  const lastStage = Math.max(0, ...graph.map((n) => n.stage));
  return {
    version: PLAN_VERSION,
    environment: config.environment,
    project: config.project.id,
    clusterId,
    clusterIdSource: input.clusterId === undefined ? 'allocated' : 'flag',
    clusters: targets.map((cluster) => {
      const ctx = clusterContext(cluster);
      return {
        name: cluster.name,
        shortName: cluster.shortName,
        region: cluster.region,
        prefix: cluster.prefix,
        governedBy: cluster.governedBy,
        type: cluster.type,
        steps: [
          ...graph.map(({ step, stage, after, alongside }) => ({ ...entry(step.name, () => step.applies(ctx), () => step.describe(ctx)), stage, after, alongside })),
          ...wideSteps.map((step, i) => ({ ...entry(step.name, () => step.applies(wide), () => step.describeCluster?.(wide, cluster) ?? []), stage: lastStage + i + 1 })),
        ],
      };
    }),
    deploymentSteps: wideSteps.map((step) => entry(step.name, () => step.applies(wide), () => step.describe(wide))),
  };
}

/**
 * The deployment-wide steps deploy would hold back (step-runner.ts): those after a cluster step left out that the
 * clusters need to serve, or after a deployment-wide step left out. A step that does not apply holds nothing back.
 */
function heldWideSteps(steps: readonly Step[], wideSteps: readonly DeploymentStep[], excluded: ReadonlySet<StepName>, contexts: readonly PlanContext[], wide: DeploymentPlanContext): Set<StepName> {
  const held = new Set<StepName>();
  let blocked = steps.some((step) => excluded.has(step.name) && !step.notNeededForTraffic && contexts.some((ctx) => step.applies(ctx)));
  for (const step of wideSteps) {
    if (!step.applies(wide)) continue;
    if (blocked && !excluded.has(step.name)) held.add(step.name);
    blocked ||= excluded.has(step.name);
  }
  return held;
}
