/**
 * Starts and resumes deployments: lock, allocate, journal, run the work graph,
 * record the end. The CLI calls {@link startDeployment} / {@link resumeDeployment};
 * nothing here prints or exits.
 */
import { randomBytes } from 'node:crypto';
import type { LoadedConfig } from '../config/load.js';
import { isWsdError, WsdError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import type { Redactor } from '../core/redact.js';
import { allocateClusterId, clusterIdHistory, sharedNameRefusal, type ExistenceProbe, type RegisteredNames, type SharedNames } from '../plan/allocate-id.js';
import { buildTargets } from '../plan/targets.js';
import { excludedPending, partialNote, shiftAttempt, type Snapshot } from '../state/model.js';
import { holdAnswers } from '../report/shift-gates.js';
import { concludedBy, createdClusters, resumableDeployments, retryShiftCommand, shiftRetryable, supersededBy } from '../state/resumable.js';
import { deploymentOutcome } from '../report/outcome.js';
import type { DeploymentJournal, LockHolder, StateStore } from '../state/store.js';
import type { ClusterTarget, DeploymentStep, RunOptions, Step, StepName } from '../steps/step.js';
import { clusterStepGraph, lastSteps } from './cluster-graph.js';
import { runDeploymentStepNode, runStepNode } from './step-runner.js';
import { runGraph, type NodeResult, type WorkNode } from './work-graph.js';
import { retryRecord, retryRefusalOf, retryRefused, SHIFT_STEP } from './shift-retry.js';
import { operatorName } from '../core/operator.js';
import { assertSandboxFolderWritable } from '../state/deployment-dir-check.js';
import { usesSandbox } from '../sandbox/uses-sandbox.js';

export interface EngineOptions extends RunOptions {
  /** Clusters worked on at once; default: all. */
  concurrency?: number;
  failFast: boolean;
  only?: StepName[];
  skip?: StepName[];
  clusterId?: number;
  /** Start even though an earlier deployment of this environment did not finish. */
  allowUnfinished?: boolean;
  /** No one can answer a manual gate in this run (CI, no terminal): recorded in the lock, see {@link LockHolder.unattended}. */
  unattended?: boolean;
  /** `resume --retry-shift`: start a rolled-back traffic shift again from its first step (engine/shift-retry.ts). */
  retryShift?: boolean;
}

export interface EngineDeps {
  store: StateStore;
  sink: EventSink;
  signal: AbortSignal;
  redactor: Redactor;
  /** The ordered per-cluster steps (see steps/all-steps.ts). */
  steps: readonly Step[];
  /** Deployment-wide steps, run after every cluster's steps (the traffic shift). */
  deploymentSteps?: readonly DeploymentStep[];
  /** Existence probe used for id allocation (the CreateCluster pre-run check's view). */
  probe: ExistenceProbe;
  /** Names registered with the meta clusters (their ids are taken); default: none known. */
  registeredNames?: RegisteredNames;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** `20261125-083011-a1b2`: sortable, unique enough, safe as a folder name. */
function newDeploymentId(now = new Date()): string {
  const iso = now.toISOString().replace(/[-:]/g, '');
  return `${iso.slice(0, 8)}-${iso.slice(9, 15)}-${randomBytes(2).toString('hex')}`;
}

export function lockKey(loaded: LoadedConfig): { project: string; environment: string } {
  return { project: loaded.config.project.id, environment: loaded.config.environment };
}

/** Whether the run can be answered at a gate, for the lock to say (`shift pause` tells the operator what follows). */
function attendance(options: Pick<EngineOptions, 'unattended'>): Pick<LockHolder, 'unattended'> {
  return options.unattended === undefined ? {} : { unattended: options.unattended };
}

/** Before anything is journaled: the state dir's folders the steps of this run share are real folders of it (see deployment-dir-check.ts). */
function assertSharedFolders(loaded: LoadedConfig, deps: Pick<EngineDeps, 'store'>): void {
  if (usesSandbox(loaded.config)) assertSandboxFolderWritable(deps.store.root);
}

/** Starts a new deployment of `loaded` and runs it to the end. */
export async function startDeployment(loaded: LoadedConfig, options: EngineOptions, deps: EngineDeps): Promise<Snapshot> {
  const id = newDeploymentId();
  const lock = await deps.store.lock(lockKey(loaded), { deploymentId: id, command: 'deploy', ...attendance(options) });
  try {
    assertSharedFolders(loaded, deps);
    const unfinished = await unfinishedRefusal(loaded, options, deps);
    if (unfinished) throw unfinished;
    const refusal = upFrontRefusal(loaded, options, deps);
    if (refusal) throw new WsdError('PreCheckRefused', refusal);
    // Other environments of this store allocate too, under their own locks: from reading their journals until ours
    // says its id, no other run may allocate (state/allocation-lock.ts).
    const allocation = await deps.store.allocationLock?.({ deploymentId: id, command: 'deploy' }, { signal: deps.signal });
    let journal: DeploymentJournal;
    let clusterId: number;
    let targets: ClusterTarget[];
    try {
      const history = await idHistory(deps, lockKey(loaded));
      const shared = options.clusterId === undefined ? undefined : sharedNameRefusal(loaded.config, options.clusterId, history.shared);
      if (shared) throw shared;
      clusterId = options.clusterId ?? (await allocateClusterId(loaded.config, { probe: deps.probe, registeredNames: deps.registeredNames, ...history }));
      targets = buildTargets(loaded.config, clusterId);
      journal = await deps.store.create(id);
      // The id and names are journaled before anything external is created: resume reuses them.
      await journal.append({
        type: 'deployment.created',
        id,
        inputs: { configFile: loaded.file, configHash: loaded.hash, project: loaded.config.project.id, environment: loaded.config.environment },
        clusterId,
        clusters: targets.map((t) => ({ index: t.index, name: t.name, shortName: t.shortName, id: t.id, region: t.region, prefix: t.prefix, governedBy: t.governedBy, type: t.type })),
        steps: targets.map(() => deps.steps.map((s) => s.name)),
        deploymentSteps: (deps.deploymentSteps ?? []).map((s) => s.name),
      });
    } finally {
      await allocation?.release();
    }
    deps.sink.emit({ level: 'info', code: 'deployment.start', message: `deployment ${id}: cluster id ${clusterId}, clusters ${targets.map((t) => t.name).join(', ')}`, data: { deploymentId: id, clusterId } });
    return await execute(loaded, journal, targets, options, deps);
  } finally {
    await lock.release();
  }
}

/** What earlier deployments tell allocation; a damaged journal that hides its cluster id is said, not skipped quietly. */
export async function idHistory(deps: Pick<EngineDeps, 'store' | 'sink'>, key: { project: string; environment: string }): Promise<{ lastUsed?: number; taken: ReadonlySet<number>; shared: SharedNames }> {
  const { lastUsed, taken, unknown, shared } = await clusterIdHistory(deps.store, key);
  for (const message of unknown) deps.sink.emit({ level: 'warn', code: 'journal.damaged', message });
  return { lastUsed, taken, shared };
}

/** The newest resumable deployment that changed something (a step started); one refused before any step ran blocks nothing. */
async function findUnfinished(store: StateStore, loaded: LoadedConfig): Promise<{ id: string; state: Snapshot['state']; words: string; answers: Array<{ command: string; does: string }> } | undefined> {
  for await (const snap of resumableDeployments(store, lockKey(loaded))) {
    // A retried shift's deployment is open again, with more than one attempt: the shift itself counts as started.
    const started = [...snap.clusters.flatMap((c) => c.steps), ...snap.deploymentSteps].some((s) => s.attempts > 0) || (snap.shiftRetries?.length ?? 0) > 0;
    if (started) return { id: snap.id, state: snap.state, words: unfinishedWords(snap), answers: holdAnswers(snap) };
  }
  return undefined;
}

/** Why `deploy` must not start beside an unfinished deployment of this environment (undefined: it may). */
export async function unfinishedRefusal(loaded: LoadedConfig, options: Pick<EngineOptions, 'allowUnfinished'>, deps: Pick<EngineDeps, 'store'>): Promise<WsdError | undefined> {
  if (options.allowUnfinished) return undefined;
  let unfinished;
  try {
    unfinished = await findUnfinished(deps.store, loaded);
  } catch (error) {
    // A journal damaged mid-file may hold a run of this environment that did not finish: refuse, with its fix and ours.
    if (!isWsdError(error) || error.code !== 'StateCorrupt' || typeof error.details.file !== 'string') throw error;
    return new WsdError(
      'ResumeRefused',
      `${error.message}; or, once you know its clusters are gone or may stay, start a new deployment anyway with --allow-unfinished (its cluster id, where the journal still shows it, is not reused)`,
      { details: error.details, cause: error },
    );
  }
  if (!unfinished) return undefined;
  // Held at a gate or paused: a resume where no one can answer (CI) would stop there again; the answers come first.
  const answers = unfinished.answers.length
    ? `; a resume without a terminal stops there again: answer it first with ${unfinished.answers.map((a) => `\`${a.command}\` (${a.does})`).join(', ').replace(/, ([^,]*)$/, ' or $1')}, then continue it with \`ws-deployment resume ${unfinished.id}\``
    : `; continue it with \`ws-deployment resume ${unfinished.id}\``;
  return new WsdError(
    'ResumeRefused',
    // Under the environment lock, one that still says "running" lost its process.
    `deployment ${unfinished.id} of this environment did not finish (${unfinished.words})${answers}, or start a new one anyway with --allow-unfinished`,
    { details: { deploymentId: unfinished.id, state: unfinished.state, words: unfinished.words, answers: unfinished.answers.map((a) => a.command) } },
  );
}

/**
 * How it stands, in the words `status` uses (report/outcome.ts: `held at the manual gate X`, `refused`, `failed
 * after promotion …`), with why where the state alone does not say it.
 */
function unfinishedWords(snap: Snapshot): string {
  // A retried shift says its attempt: what `plan` and `deploy` report of it is this attempt, not the rolled-back one.
  const attempt = shiftAttempt(snap) > 1 ? `; its traffic shift is on attempt ${shiftAttempt(snap)} (\`resume --retry-shift\`)` : '';
  if (snap.state === 'running') return `interrupted: its process is gone${attempt}`;
  if (snap.state === 'partial') return `partial: steps excluded by --only/--skip were not run${attempt}`;
  const words = deploymentOutcome(snap).words;
  return words.includes('attempt') ? words : `${words}${attempt}`;
}

/** Continues a failed, interrupted or partial deployment (the newest unfinished one when `id` is absent). */
export async function resumeDeployment(loaded: LoadedConfig, id: string | undefined, options: EngineOptions, deps: EngineDeps): Promise<Snapshot> {
  let chosen = id;
  if (chosen === undefined) {
    for await (const snap of resumableDeployments(deps.store, lockKey(loaded))) {
      chosen = snap.id;
      break;
    }
  }
  if (!chosen) throw new WsdError('DeploymentNotFound', 'no unfinished deployment of this environment to resume; start one with `ws-deployment deploy`');
  // The lock guards the deployment's own environment: a config naming another project or environment
  // would take another lock and let this run beside the one that holds the deployment's.
  assertSameEnvironment((await deps.store.open(chosen, { readOnly: true })).snapshot(), loaded);
  const lock = await deps.store.lock(lockKey(loaded), { deploymentId: chosen, command: 'resume', ...attendance(options) });
  try {
    assertSharedFolders(loaded, deps);
    const journal = await deps.store.open(chosen);
    const snap = journal.snapshot();
    // A retry's refusal of a succeeded deployment is its own (nothing to retry, and what to do instead).
    if (snap.state === 'succeeded' && !options.retryShift) throw new WsdError('ResumeRefused', `deployment ${chosen} already succeeded; nothing to resume`);
    const targets = buildTargets(loaded.config, snap.clusterId);
    if (options.retryShift) await beginShiftRetry(journal, loaded, targets, deps);
    const concluded = concludedBy(journal.snapshot());
    if (concluded) {
      throw new WsdError(
        'ResumeRefused',
        `deployment ${chosen} is over: ${concluded}. Nothing to resume: ${concludedFix(snap)}`,
      );
    }
    const newer = await supersededBy(deps.store, snap, { refuseDamaged: true });
    if (newer) throw supersededError(snap, newer);
    assertSameNames(snap, targets);
    if (snap.inputs.configHash !== loaded.hash) {
      deps.sink.emit({ level: 'warn', code: 'resume.config-changed', message: 'the config changed since this deployment started; names are unchanged, so steps not yet done use the new config' });
    }
    await journal.append({ type: 'deployment.resumed', pid: process.pid });
    deps.sink.emit({ level: 'info', code: 'deployment.resume', message: `resuming deployment ${chosen}`, data: { deploymentId: chosen } });
    return await execute(loaded, journal, targets, options, deps);
  } finally {
    await lock.release();
  }
}

/** What the operator of a deployment concluded by its outcome can do: retry a rolled-back shift, or deploy anew. */
function concludedFix(snap: Snapshot): string {
  const fresh = 'fix the cause and deploy a new generation; its clusters count as old clusters then and are retired once the new generation is promoted';
  return shiftRetryable(snap) ? `fix the cause, then start its traffic shift again with \`${retryShiftCommand(snap.id)}\`, or ${fresh}` : fresh;
}

/**
 * `--retry-shift`, under the lock: refused (nothing changed) where a retry would do harm, else journaled before
 * anything changes; the record makes the shift pending again with no checkpoint, so the run that follows (or a
 * `resume` after a crash) starts it from its first step.
 */
async function beginShiftRetry(journal: DeploymentJournal, loaded: LoadedConfig, targets: ClusterTarget[], deps: EngineDeps): Promise<void> {
  const snap = journal.snapshot();
  const refusal = retryRefusalOf(snap);
  if (refusal) throw retryRefused(refusal, snap);
  const newer = await supersededBy(deps.store, snap, { refuseDamaged: true });
  if (newer) throw supersededError(snap, newer);
  assertSameNames(snap, targets);
  const step = (deps.deploymentSteps ?? []).find((s) => s.name === SHIFT_STEP);
  if (!step) throw new WsdError('Internal', 'resume --retry-shift: no traffic-shift step is loaded', { source: 'internal' });
  const live = await step.retryRefusal?.({ deploymentId: snap.id, environment: loaded.config.environment, config: loaded.config, clusters: targets, sharedDir: deps.store.root, sink: deps.sink, redactor: deps.redactor, signal: deps.signal });
  if (live) throw retryRefused(live, snap);
  const record = retryRecord(snap, operatorName('resume --retry-shift'));
  await journal.append(record);
  deps.sink.emit({ level: 'info', code: 'shift.retry', message: `retrying the traffic shift of ${snap.id} from its first step (attempt ${record.attempt}; the last one: ${record.after})`, data: { deploymentId: snap.id, attempt: record.attempt, by: record.by } });
}

/**
 * A deployment a newer one superseded (that one's traffic shift succeeded) must not go on: its shift would
 * move the environment's traffic back onto its clusters and its retirement would take the newer generation.
 */
function supersededError(snap: Snapshot, newer: string): WsdError {
  const created = createdClusters(snap);
  const left = created.length > 0 ? `; the clusters it created (${created.join(', ')}) take no traffic from it: retire each with \`ws-deployment retire --cluster NAME --yes\`` : '';
  return new WsdError(
    'ResumeRefused',
    `deployment ${snap.id} is superseded: the newer deployment ${newer} of this environment moved its traffic onto its own clusters, and resuming ${snap.id} would shift that traffic back and retire ${newer}'s clusters as old. Nothing to resume${left}`,
    { details: { deploymentId: snap.id, supersededBy: newer, clusters: created } },
  );
}

/** Refuses a resume whose config names another project or environment than the deployment ran in (and is locked by). */
function assertSameEnvironment(snap: Snapshot, loaded: LoadedConfig): void {
  const journaled = { project: snap.inputs.project, environment: snap.inputs.environment };
  const now = lockKey(loaded);
  if (journaled.project === now.project && journaled.environment === now.environment) return;
  throw new WsdError(
    'ResumeRefused',
    `deployment ${snap.id} belongs to environment ${journaled.environment} of project ${journaled.project}, but the config ${loaded.file} is for environment ${now.environment} of project ${now.project}; resume it with the config it ran with (\`ws-deployment resume ${snap.id}\` without --config uses it)`,
    { details: { deploymentId: snap.id } },
  );
}

/** Refuses a resume whose config would now name different clusters than the journal holds. */
function assertSameNames(snap: Snapshot, targets: ClusterTarget[]): void {
  const before = snap.clusters.map((c) => `${c.name}/${c.shortName}/${c.region}`);
  const now = targets.map((t) => `${t.name}/${t.shortName}/${t.region}`);
  if (before.join(',') !== now.join(',')) {
    throw new WsdError(
      'ResumeRefused',
      `the config changed in a way that changes cluster names (journal: ${before.join(', ')}; config now: ${now.join(', ')}); restore the config of deployment ${snap.id} or start a new deployment`,
    );
  }
}

/** The first refusal a deployment-wide step that will run can give before anything exists. */
export function upFrontRefusal(loaded: LoadedConfig, options: EngineOptions, deps: EngineDeps): string | undefined {
  const wide = deps.deploymentSteps ?? [];
  const excluded = excludedSteps(wide.map((s) => s.name), options);
  for (const step of wide) {
    if (excluded.has(step.name)) continue;
    const reason = step.refuseUpFront?.({ config: loaded.config, options });
    if (reason) return `${step.name}: ${reason}; nothing was created`;
  }
  return undefined;
}

/** The steps `--only`/`--skip` leave out of a run: the one definition deploy, resume and plan share. */
export function excludedSteps(names: readonly StepName[], options: Pick<EngineOptions, 'only' | 'skip'>): Set<StepName> {
  return new Set(names.filter((n) => (options.only?.length ? !options.only.includes(n) : false) || (options.skip ?? []).includes(n)));
}

type EngineNode = WorkNode & ({ cluster: ClusterTarget; step: Step } | { cluster?: undefined; step: DeploymentStep });

async function execute(loaded: LoadedConfig, journal: DeploymentJournal, targets: ClusterTarget[], options: EngineOptions, deps: EngineDeps): Promise<Snapshot> {
  const excluded = new Map([...excludedSteps([...deps.steps, ...(deps.deploymentSteps ?? [])].map((s) => s.name), options)].map((n) => [n, options.skip?.includes(n) ? ('--skip' as const) : ('--only' as const)]));
  const nodes: EngineNode[] = [];
  const lastOfCluster: string[] = [];
  // One graph for every cluster: it depends on the config, not on the cluster.
  const graph = clusterStepGraph(deps.steps, loaded.config);
  for (const cluster of targets) {
    for (const { step, after } of graph) {
      nodes.push({ id: `${cluster.name}/${step.name}`, kind: 'cluster-step', deps: after.map((d) => `${cluster.name}/${d}`), cluster, step });
    }
    for (const name of lastSteps(graph)) lastOfCluster.push(`${cluster.name}/${name}`);
  }
  // Deployment-wide steps wait for every cluster, and for each other in order.
  let previousWide: string[] = lastOfCluster;
  for (const step of deps.deploymentSteps ?? []) {
    const nodeId = `*/${step.name}`;
    nodes.push({ id: nodeId, kind: 'deployment-step', deps: previousWide, step });
    previousWide = [nodeId];
  }
  const env = {
    deploymentId: journal.id,
    environment: loaded.config.environment,
    config: loaded.config,
    clusters: targets,
    journal,
    store: deps.store,
    sharedDir: deps.store.root,
    sink: deps.sink,
    redactor: deps.redactor,
    signal: deps.signal,
    options,
    excluded,
    notNeededForTraffic: new Set(deps.steps.filter((s) => s.notNeededForTraffic).map((s) => s.name)),
    sleep: deps.sleep,
    durable: new Map<string, Promise<unknown>>(),
  };
  const results = await runGraph(nodes, {
    // Every running step counts, whichever cluster it belongs to: the releases a cluster installs
    // together take one slot each. A step runs one external process at a time, so this bounds them.
    concurrency: options.concurrency ? { 'cluster-step': options.concurrency } : undefined,
    failFast: options.failFast,
    signal: deps.signal,
    execute: (node) => {
      const ordering = { id: node.id, after: node.deps };
      return node.cluster ? runStepNode(env, node.cluster, node.step as Step, ordering) : runDeploymentStepNode(env, node.step as DeploymentStep, ordering);
    },
  });
  // Every success record durable before the deployment's end is recorded (a failed write throws here).
  await Promise.all(env.durable.values());
  return finish(journal, results, deps);
}

async function finish(journal: DeploymentJournal, results: Map<string, NodeResult>, deps: EngineDeps): Promise<Snapshot> {
  const values = [...results.values()];
  const snap = journal.snapshot();
  const failedSteps = [
    ...snap.clusters.flatMap((c) => c.steps.filter((s) => s.state === 'failed').map((s) => ({ cluster: c.name, ...s }))),
    ...snap.deploymentSteps.filter((s) => s.state === 'failed').map((s) => ({ cluster: 'deployment', ...s })),
  ];
  let state: Snapshot['state'] = 'succeeded';
  let error: { code: string; message: string } | undefined;
  if (deps.signal.aborted || values.includes('interrupted')) {
    state = 'interrupted';
    error = { code: 'Interrupted', message: `deployment ${journal.id} was interrupted; continue it with \`ws-deployment resume ${journal.id}\`` };
  } else if (failedSteps.length > 0 || values.includes('failed')) {
    state = 'failed';
    const refused = failedSteps.find((s) => s.error?.code === 'PreCheckRefused');
    const first = refused ?? failedSteps[0];
    error = {
      code: refused ? 'PreCheckRefused' : 'DeploymentFailed',
      message: first ? `${first.cluster} ${first.name}: ${first.error?.message ?? 'failed'}` : 'deployment failed',
    };
  }
  // Nothing failed but steps were left out: honest about it, and `resume` runs them (exit code stays 0).
  const excluded = excludedPending(snap).length;
  if (state === 'succeeded' && excluded > 0) state = 'partial';
  await journal.append({ type: 'deployment.finished', state, error, ...(state === 'partial' ? { excluded } : {}) });
  const message = state === 'partial' ? `deployment ${journal.id} partial: ${partialNote(snap, excluded)}` : `deployment ${journal.id} ${state}`;
  const level = state === 'succeeded' ? 'info' : state === 'partial' ? 'warn' : 'error';
  deps.sink.emit({ level, code: `deployment.${state}`, message, data: { deploymentId: journal.id, ...(state === 'partial' ? { excluded } : {}) } });
  return journal.snapshot();
}
