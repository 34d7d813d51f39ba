/**
 * The contract every deployment step implements. The engine runs steps; a step
 * never schedules others, never prints and never touches the journal directly:
 * it receives everything through {@link StepContext} and returns its outputs.
 */
import type { EventSink } from '../core/events.js';
import type { Redactor } from '../core/redact.js';
import type { ClusterNames, Environment } from '../names/names.js';
import type { HelmMajor } from '../tools/helm.js';

/** Step names as they appear in plans, journals and `--only/--skip`. */
export const STEP_NAMES = [
  'create-cluster',
  'install-gitpod',
  'install-jaeger',
  'install-monitoring',
  'alive-test',
  'register-cluster',
  'traffic-shift',
  'retire-old-clusters',
] as const;
export type StepName = (typeof STEP_NAMES)[number];

/** What a pre-run check decided. */
export type CheckResult =
  | { action: 'proceed'; reason?: string }
  /** Already done: `evidence` says how we know; `outputs` replace the step's outputs. */
  | { action: 'skip'; evidence: string; outputs?: StepOutputs }
  /** Must not run: `reason` names the conflict and what to do. */
  | { action: 'refuse'; reason: string };

/** JSON-serialisable outputs a step hands to later steps (journaled; secrets must be marked). */
export type StepOutputs = Record<string, unknown>;

/**
 * Checkpoint key of a step whose failure is an outcome, not an interruption
 * (a traffic shift that rolled back): the value says why. Such a deployment has
 * nothing left to resume and does not hold back the next one.
 */
export const CONCLUDED = 'concluded';

/** One concrete thing a step would do, for `plan` (argv already redacted). */
export interface PlannedAction {
  kind: 'command' | 'file' | 'call' | 'check' | 'wait' | 'note';
  description: string;
  argv?: string[];
  path?: string;
  /** Extra structured facts (release chart/version, scores, …). */
  data?: Record<string, unknown>;
}

/** The cluster a step works on, with names already allocated. */
export interface ClusterTarget extends ClusterNames {
  /** Index in `workspaceClusters` of the config. */
  index: number;
  region: string;
  prefix: string;
  governedBy: string;
  type: 'gke' | 'k3s' | 'sandbox';
  create: boolean;
  /** Absolute paths. */
  valuesFiles: string[];
}

/** Options from the command line that steps honour. */
export interface RunOptions {
  dryRun: boolean;
  overwrite: boolean;
  /** Auto-approve manual gates (CI). */
  yes: boolean;
  verbose: boolean;
}

/** Everything a step may use. */
export interface StepContext {
  deploymentId: string;
  environment: Environment;
  /** The validated config (typed loosely here so each step reads its own section). */
  config: DeployConfigView;
  cluster: ClusterTarget;
  /** All clusters of this deployment (cross-cluster steps need them). */
  clusters: readonly ClusterTarget[];
  /** `<state-dir>/<deployment>/<cluster name>`: private working folder of this cluster. */
  clusterDir: string;
  /** `<state-dir>/<deployment>`. */
  deploymentDir: string;
  /**
   * `<state-dir>`: files that outlive one deployment, keyed by cluster name (the sandbox's
   * Terraform state and registry, as GCS buckets and meta clusters are for real clusters).
   */
  sharedDir: string;
  /** Outputs of earlier steps of this cluster, by step name. */
  outputs: Partial<Record<StepName, StepOutputs>>;
  /** Where this step's tool output goes. */
  logFile: string;
  sink: EventSink;
  redactor: Redactor;
  signal: AbortSignal;
  options: RunOptions;
  /** Attempt number, starting at 1. */
  attempt: number;
  /** Steps that change external systems call this after each partial, irreversible effect (e.g. registered with one meta cluster). */
  checkpoint(partial: StepOutputs): Promise<void>;
  /** The last checkpoint this step wrote in an earlier, interrupted attempt or run. */
  previous?: StepOutputs;
}

/** The config as steps see it: the root object. Each step narrows its own section. */
export type DeployConfigView = import('../config/schema.js').Config;

/** Transient-error retry policy (capped exponential backoff). */
export interface RetryPolicy {
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

/** A deployment step for one cluster. */
export interface Step {
  readonly name: StepName;
  /** Whether this step applies to the cluster at all (e.g. `create: false`, disabled component). */
  applies(ctx: PlanContext): boolean;
  /** What the step would do, for `plan`. Pure: no side effects, no network. */
  describe(ctx: PlanContext): PlannedAction[];
  /** Observes the world before running; absent means always proceed. */
  check?(ctx: StepContext): Promise<CheckResult>;
  /** Does the work. Throws WsdError on failure (transient ones may be retried by the engine). */
  run(ctx: StepContext): Promise<StepOutputs>;
  /**
   * `deploy --dry-run`: a tool-native preview (terraform plan, helm template) that changes
   * nothing outside `ctx.clusterDir`. Absent means `describe` is the preview.
   */
  preview?(ctx: StepContext): Promise<PlannedAction[]>;
  readonly retry?: RetryPolicy;
  /**
   * True for a step the new clusters can serve without (tracing): the deployment-wide steps (the traffic
   * shift, the retirement) may run while it is excluded. Absent: they are held back until it is done, so
   * --skip/--only can never promote a cluster that is not installed, tested and registered.
   */
  readonly notNeededForTraffic?: boolean;
  /**
   * Consecutive steps of one layer (the helm releases) run concurrently: each
   * waits for the whole layer before it and is waited for by the whole layer
   * after it. Absent: a layer of its own (the steps form a chain).
   */
  readonly layer?: string;
  /** Steps of its own layer this one waits for (the config's `dependsOn`); validated with the config. */
  dependsOn?(config: DeployConfigView): StepName[];
}

/** What `describe`/`applies` may use: no signal, no outputs, no side effects. */
export type PlanContext = Pick<
  StepContext,
  'deploymentId' | 'environment' | 'config' | 'cluster' | 'clusters' | 'clusterDir' | 'deploymentDir' | 'sharedDir' | 'options' | 'redactor'
> & {
  /** `plan` only: the major version of the helm deploy would run (absent: unknown, helm 3's flags are shown). */
  helmMajor?: HelmMajor;
};

/** Journal key of steps that span the whole deployment (the traffic shift). */
export const DEPLOYMENT_SCOPE = '*';

/** Commands another terminal sends to a running deployment (`ws-deployment shift pause|resume|promote|abort`). */
export type ControlCommand = 'pause' | 'resume' | 'promote' | 'abort';

/** A control command taken from the queue: what, when it was sent and by whom (`user@host (how)`, when the sender said). */
interface TakenControl {
  command: ControlCommand;
  sentAt: string;
  by?: string;
}

/** What a deployment-wide step may use. */
export interface DeploymentStepContext extends Omit<StepContext, 'cluster' | 'clusterDir' | 'outputs'> {
  /** Outputs of every cluster's steps: `outputs[clusterName][stepName]`. */
  outputs: Record<string, Partial<Record<StepName, StepOutputs>>>;
  /** Returns and consumes the oldest pending control command, if any. */
  takeControl(): Promise<TakenControl | undefined>;
  /** The pending control commands, oldest first, without consuming them (a gate answered ahead of time). */
  pendingControl(): Promise<ControlCommand[]>;
  /** Appends an informational record (decision records) to the journal. */
  record(code: string, message: string, data: Record<string, unknown>): Promise<void>;
}

export type DeploymentPlanContext = Omit<PlanContext, 'cluster' | 'clusterDir'>;

/** A step that runs once per deployment, after every cluster's steps (the traffic shift). */
export interface DeploymentStep {
  readonly name: StepName;
  readonly scope: 'deployment';
  applies(ctx: DeploymentPlanContext): boolean;
  describe(ctx: DeploymentPlanContext): PlannedAction[];
  /** What this step does to one cluster (its scores per stage), for the per-cluster plan. */
  describeCluster?(ctx: DeploymentPlanContext, cluster: ClusterTarget): PlannedAction[];
  check?(ctx: DeploymentStepContext): Promise<CheckResult>;
  /**
   * A refusal that is certain before anything runs (a manual gate no one can approve here):
   * a new deployment stops before it creates anything instead of failing half-way.
   */
  refuseUpFront?(ctx: Pick<DeploymentPlanContext, 'config' | 'options'>): string | undefined;
  run(ctx: DeploymentStepContext): Promise<StepOutputs>;
  /**
   * Before `resume --retry-shift` starts this step over (and journals anything): why it cannot, as the world
   * stands (the new clusters left a meta cluster's registry), or undefined.
   */
  retryRefusal?(ctx: RetryCheckContext): Promise<string | undefined>;
  readonly retry?: RetryPolicy;
}

/** What {@link DeploymentStep.retryRefusal} may use: no journal, nothing to record. */
type RetryCheckContext = Pick<DeploymentStepContext, 'deploymentId' | 'environment' | 'config' | 'clusters' | 'sharedDir' | 'sink' | 'redactor' | 'signal'>;
