/**
 * TrafficShift: the deployment-wide step that moves new workspace starts from
 * the old clusters to this deployment's clusters, gated by metrics, with
 * automatic rollback (src/traffic/shift-controller.ts does the shifting; this
 * step wires it to the engine: registries, metrics, journal, control channel).
 *
 * Crash safety: the resolved clusters and the original scores are checkpointed
 * before the first registry change, progress after every change; a resume hands
 * them back as `ctx.previous` and the controller continues at the same step.
 * An interrupt stops without rollback; `shift abort` and failed gates roll back.
 */
import { otherEnvironmentNames } from '../../state/environment-names.js';
import type { StateStore } from '../../state/store.js';
import { WsdError } from '../../core/errors.js';
import type { TrafficShiftConfig } from '../../traffic/config.js';
import { expandSteps } from '../../traffic/config.js';
import { realClock } from '../../traffic/clock.js';
import { checkRealScrapeIntervals } from '../../traffic/scrape-interval-check.js';
import { briefVerdict, type BriefInput } from '../../traffic/judges/decision-brief.js';
import type { MetricProvider } from '../../traffic/providers/provider.js';
import type { ConnectedRegistry } from '../../traffic/registry-adapter.js';
import type { ShiftResult } from '../../traffic/shift-controller.js';
import { GATE_ANSWERS, GateUnanswered, RollbackIncomplete } from '../../traffic/shift-stops.js';
import type { Clock, ControlPort, ShiftProgress } from '../../traffic/shift-ports.js';
import type { CheckResult, DeploymentPlanContext, DeploymentStep, DeploymentStepContext, PlannedAction, StepOutputs } from '../step.js';
import { runCommandShift } from './command-shift.js';
import { missingNewClusters, newClusterRefs, resolveShiftClusters, type ShiftClusters } from './shift-clusters.js';
import { CheckpointShiftJournal, type DecisionSummary } from './shift-journal.js';
import { describeShift, describeShiftCluster } from './shift-plan.js';
import { openShiftSession, type SandboxShiftOptions } from './shift-session.js';
import { retiredByProgress } from '../retire/retire-files.js';

interface TrafficShiftStepOptions {
  /**
   * No human can answer (CI, no TTY): a manual gate without --yes fails before
   * anything moves. Otherwise a manual gate waits for `ws-deployment shift resume`.
   */
  nonInteractive?: boolean;
  sandbox?: SandboxShiftOptions;
  /** The state store: which registered clusters are another environment's (never this one's old clusters). */
  store?: Pick<StateStore, 'list' | 'open'>;
  /** Test hooks. */
  clock?: Clock;
  pollMs?: number;
}

/** `status ID`, not `status`: without an id it shows the newest deployment, which a later one makes another. */
const firstGenerationLeft = (id: string): string =>
  `The first generation has no previous one to fall back to, so its clusters were left as they are (they take all new starts): fix them or deploy a new generation (the evidence: \`ws-deployment status ${id}\`)`;

const SHIFT_GATES = ['beforeStart', 'beforeIncrease', 'beforePromotion'] as const;

function shiftConfig(ctx: Pick<DeploymentPlanContext, 'config'>): TrafficShiftConfig | undefined {
  return ctx.config.trafficShift;
}

/** `--yes` approves every manual gate of the shift (CI). */
function effectiveShiftConfig(config: TrafficShiftConfig, yes: boolean): TrafficShiftConfig {
  if (!yes) return config;
  return { ...config, gates: { ...config.gates, beforeStart: 'auto', beforeIncrease: 'auto', beforePromotion: 'auto' } };
}

/**
 * The shift's clock, journaled so `status --watch` (which reads the journal alone) can say when
 * the next measurement is due: every shortest metric interval after the stage starts (plus the
 * initial delay in the first step), and how long the staff stage and the bake last.
 */
function cadence(config: TrafficShiftConfig): Record<string, number | string> {
  const metrics = config.analysis?.metrics ?? [];
  return {
    intervalMs: config.interval,
    ...(metrics.length > 0 ? { measureEveryMs: Math.min(...metrics.map((m) => m.interval ?? config.interval)), initialDelayMs: config.analysis?.initialDelay ?? 0 } : {}),
    bakeMs: config.bake,
    // The constraint the staff stage adds and leaving it removes (also a first generation's, registered behind it):
    // the report's final registries say the new clusters' constraints from it.
    ...(config.staffStage ? { staffMs: config.staffStage.duration, staffConstraint: `has-permission=${config.staffStage.permission}` } : {}),
  };
}

function manualGates(config: TrafficShiftConfig): string[] {
  return config.command ? [] : SHIFT_GATES.filter((g) => config.gates[g] === 'manual');
}

/** Manual gates of the shift that no one can approve in this run (no terminal, or CI), as a refusal. */
function unapprovableGates(ctx: Pick<DeploymentPlanContext, 'config' | 'options'>, nonInteractive: boolean | undefined): string | undefined {
  const config = shiftConfig(ctx);
  if (!config || !nonInteractive) return undefined;
  const gates = manualGates(effectiveShiftConfig(config, ctx.options.yes));
  if (gates.length === 0) return undefined;
  return `trafficShift.gates ${gates.join(', ')} ${gates.length === 1 ? 'is' : 'are'} manual but no one can approve here (no terminal, or CI); pass --yes to approve, or set the gate to auto`;
}

/** What answers a manual gate ahead, for a run where no one can answer it (the scopes of the queued commands). */
function answerAheadHint(id: string): string {
  return `answer it ahead with \`ws-deployment shift resume ${id}\` (approves this gate only: a resume without a terminal stops again at the next manual gate), \`ws-deployment shift promote ${id}\` (promotes fully: answers every remaining gate) or \`ws-deployment shift abort ${id}\` (rolls back), then \`ws-deployment resume ${id}\``;
}

/** A CI run stopped at a manual gate no one could answer: where the shift holds, and the commands that go on. */
function unansweredMessage(stop: GateUnanswered, id: string): string {
  if (stop.gate === 'pause') {
    const who = `paused by ${stop.by ?? 'an operator (`shift pause`)'}: no one can resume it here (no terminal, or CI)`;
    if (stop.rollingBack) return `the shift's rollback holds at ${stop.where}, ${who}; continue it with \`ws-deployment resume ${id}\` (finishes the rollback at once)`;
    return `the shift holds at ${stop.where}, ${who}; the scores stay as they are; continue it with \`ws-deployment shift resume ${id}\` (measures on from here), \`ws-deployment shift promote ${id}\` (promotes fully) or \`ws-deployment shift abort ${id}\` (rolls back), then \`ws-deployment resume ${id}\``;
  }
  if (stop.gate === 'inconclusive') {
    return `the shift holds at ${stop.where}, paused on inconclusive results (inconclusiveLimit) for a human to decide: no one can answer here (no terminal, or CI) and no answer was queued; the scores stay as they are; answer it with \`ws-deployment shift resume ${id}\` (measures on, with the inconclusive limit afresh), \`ws-deployment shift promote ${id}\` (promotes fully) or \`ws-deployment shift abort ${id}\` (rolls back), then \`ws-deployment resume ${id}\``;
  }
  return `the shift holds at ${stop.where}, waiting at the manual gate ${stop.gate}: no one can approve it here (no terminal, or CI) and no answer was queued; the scores stay as they are; ${answerAheadHint(id)}, or pass --yes to approve every gate`;
}

/**
 * The step's failure message: where it rolled back, what fired (metric, cluster, rule, the limit that tripped) and
 * what it means for users. The evidence in words (values, samples, baseline, test) is not repeated here: the summary
 * prints it once from the journaled decision, and the error names only what failed.
 */
function rollbackMessage(id: string, result: ShiftResult, lastFailing: DecisionSummary | undefined, steps: number[]): string {
  const p = result.progress;
  const where = p.rolledBackFrom ?? (p.phase === 'bake' ? 'the bake at 100 %' : `step ${p.stepIndex + 1}/${steps.length} (${steps[p.stepIndex] ?? 100} %)`);
  const reason = result.reason ?? 'rolled back';
  // An operator's abort has no deciding metric; a gate failure names each metric that fired and its rule.
  const aborted = reason.startsWith('aborted');
  const why = !aborted && lastFailing ? briefVerdict({ verdict: lastFailing.verdict, limit: lastFailing.limit, decisions: lastFailing.metrics as BriefInput['decisions'] }) : reason;
  return (
    `traffic shift rolled back at ${where}: ${why}.\n` +
    'The old clusters take new starts again and the new clusters are cordoned; ' +
    'sessions already on the new clusters stay there until their users stop them. ' +
    (!aborted
      ? `Fix the cause, then deploy a new generation (the evidence: \`ws-deployment status ${id}\`)`
      : 'Deploy a new generation when it is wanted again; this deployment is over')
  );
}

export function createTrafficShiftStep(options: TrafficShiftStepOptions = {}): DeploymentStep {
  return {
    name: 'traffic-shift',
    scope: 'deployment',
    // Registry updates are retried inside, and a forward failure rolls back; what still escapes transient (a rollback
    // a meta cluster did not take, a List before the first change) resumes from the checkpoint: the rollback is finished.
    retry: { attempts: 3, initialDelayMs: 5_000, maxDelayMs: 30_000 },

    applies: (ctx) => shiftConfig(ctx) !== undefined,

    describe(ctx: DeploymentPlanContext): PlannedAction[] {
      const config = shiftConfig(ctx);
      return config ? describeShift(ctx, effectiveShiftConfig(config, ctx.options.yes)) : [];
    },

    describeCluster(ctx, cluster) {
      const config = shiftConfig(ctx);
      return config ? describeShiftCluster(ctx, config, cluster) : [];
    },

    async check(ctx: DeploymentStepContext): Promise<CheckResult> {
      const reason = unapprovableGates(ctx, options.nonInteractive);
      if (!reason) return { action: 'proceed' };
      // Where no one can answer, the run still goes on when it can take a queued answer, or has started: the
      // controller takes what is queued at each gate and stops, held, at the first gate nothing answers.
      const progress = ctx.previous?.progress as ShiftProgress | undefined;
      // A decided rollback or promote passes no gate: its resume finishes it, even one decided before the first step.
      if (progress?.rollingBack || progress?.promoting) return { action: 'proceed' };
      if ((await ctx.pendingControl()).some((c) => GATE_ANSWERS.includes(c))) return { action: 'proceed' };
      if (progress && progress.phase !== 'start' && !progress.gate) return { action: 'proceed' };
      return { action: 'refuse', reason: progress?.gate ? `${reason}; the shift waits at the manual gate ${progress.gate}: ${answerAheadHint(ctx.deploymentId)}` : reason };
    },

    refuseUpFront: (ctx) => unapprovableGates(ctx, options.nonInteractive),

    async retryRefusal(ctx) {
      // No simulated users and no metrics: only the registries' Lists are read.
      const session = await openShiftSession({ config: ctx.config, sharedDir: ctx.sharedDir, clusters: ctx.clusters, sink: ctx.sink, redactor: ctx.redactor, signal: ctx.signal, traffic: false });
      try {
        const names = newClusterRefs(ctx.clusters).map((c) => c.name);
        const registeredOn = new Map<string, Set<string>>();
        for (const meta of session.registry.metas) registeredOn.set(meta, new Set((await session.registry.list(meta, ctx.signal)).map((c) => c.name)));
        // A `retire --cluster` progress file of a name the meta clusters contradict (reused, copied in) is warned about, not obeyed.
        const retired = retiredByProgress(ctx.sharedDir, names, registeredOn, ctx.sink);
        if (retired.length > 0) {
          return `deployment ${ctx.deploymentId}'s new cluster${retired.length === 1 ? '' : 's'} ${retired.join(', ')} ${retired.length === 1 ? 'was' : 'were'} retired (\`ws-deployment retire --cluster\`): a retry has nothing to shift to; deploy a new generation`;
        }
        return await missingNewClusters(session.registry, names, ctx.signal);
      } finally {
        await session.close();
      }
    },

    async run(ctx: DeploymentStepContext): Promise<StepOutputs> {
      const base = shiftConfig(ctx);
      if (!base) throw new WsdError('Internal', 'traffic-shift ran without trafficShift in the config', { source: 'internal' });
      const config = effectiveShiftConfig(base, ctx.options.yes);
      const session = await openShiftSession({ config: ctx.config, shift: config, sharedDir: ctx.sharedDir, clusters: ctx.clusters, sink: ctx.sink, redactor: ctx.redactor, signal: ctx.signal, sandbox: options.sandbox, traffic: true });
      try {
        const metas = session.registry.metas;
        const otherEnvironments = options.store && !ctx.previous?.clusters ? await otherEnvironmentNames(options.store, { project: ctx.config.project.id, environment: ctx.environment }) : undefined;
        const leftOut = (message: string) => ctx.sink.emit({ level: 'warn', code: 'traffic.old-clusters', message });
        const clusters = await resolveShiftClusters({ config, clusters: ctx.clusters, environment: ctx.environment, registry: session.registry, metas, previous: ctx.previous?.clusters, signal: ctx.signal, otherEnvironments, leftOut });
        if (!ctx.previous?.clusters) {
          // The schedule and its manual gates: `shift` and `status` say which gate a queued answer covers and which comes next.
          await ctx.checkpoint({ clusters, ...(config.command ? {} : { schedule: { steps: expandSteps(config), manualGates: manualGates(config) } }) });
          await ctx.record('traffic.clusters', `shifting from ${clusters.oldClusters.map((c) => c.name).join(', ') || 'no old clusters'} to ${clusters.newClusters.map((c) => c.name).join(', ')}`, { ...clusters, metas, ...(config.command ? {} : { steps: expandSteps(config), gates: (config.analysis?.metrics ?? []).map((m) => ({ name: m.name, ...(m.threshold ? { threshold: m.threshold } : {}) })), ...cadence(config) }) });
        }
        if (config.command) return await runCommandShift(ctx, config, clusters, metas);
        return await builtIn(ctx, config, clusters, session.registry, session.provider, options);
      } finally {
        await session.close();
      }
    },
  };
}

/**
 * Pre-flight, before the shift's first registry change: every gate window must hold two scrapes as Prometheus really
 * does them (validate could check only analysis.scrapeInterval). Refused like an unregistered new cluster; what
 * could not be checked is a warning. A shift under way is not stopped half-way for it.
 */
async function refuseWindowsBelowRealScrapes(ctx: DeploymentStepContext, config: TrafficShiftConfig, clusters: ShiftClusters, provider: MetricProvider): Promise<void> {
  const progress = ctx.previous?.progress as ShiftProgress | undefined;
  if (progress && (progress.phase !== 'start' || progress.rollingBack || progress.promoting)) return;
  const targets = [...clusters.newClusters, ...clusters.oldClusters].map((c) => ({ cluster: c.cluster, shortName: c.name, region: c.region }));
  const { refusals, warnings } = await checkRealScrapeIntervals(config, provider, targets, ctx.signal);
  for (const message of warnings) ctx.sink.emit({ level: 'warn', code: 'traffic.scrape-interval', message });
  if (refusals.length > 0) throw new WsdError('PreCheckRefused', `the traffic shift did not start: ${refusals.join('; ')}`);
}

async function builtIn(
  ctx: DeploymentStepContext,
  config: TrafficShiftConfig,
  clusters: ShiftClusters,
  registry: ConnectedRegistry,
  provider: MetricProvider | undefined,
  options: TrafficShiftStepOptions,
): Promise<StepOutputs> {
  if (!provider) throw new WsdError('ConfigInvalid', 'trafficShift.analysis is required for the built-in shift; add it or use trafficShift.command');
  await refuseWindowsBelowRealScrapes(ctx, config, clusters, provider);
  const journal = new CheckpointShiftJournal(ctx);
  const firstGeneration = clusters.oldClusters.length === 0;
  const control: ControlPort = { next: () => ctx.takeControl(), pending: () => ctx.pendingControl() };
  const steps = expandSteps(config);
  // The controller loads when a shift runs: `plan` and `validate` load this step for its description only.
  const { runShift } = await import('../../traffic/shift-controller.js');
  const result = await runShift(
    { registry, metas: registry.metas, provider, clock: options.clock ?? realClock, journal, control, sink: ctx.sink, signal: ctx.signal, pollMs: options.pollMs, unattended: options.nonInteractive },
    { deploymentId: ctx.deploymentId, config, newClusters: clusters.newClusters, oldClusters: clusters.oldClusters },
  ).catch((error: unknown) => {
    if (error instanceof GateUnanswered) throw new WsdError('PreCheckRefused', unansweredMessage(error, ctx.deploymentId), { details: { gate: error.gate } });
    // The exact command that finishes it (the step's own retries, when transient, run it first).
    if (error instanceof RollbackIncomplete) throw new WsdError(error.code, `${error.message}: \`ws-deployment resume ${ctx.deploymentId}\``, { transient: error.transient, details: error.details, cause: error });
    throw error;
  });
  const outputs: StepOutputs = {
    mode: 'built-in',
    outcome: result.outcome,
    newClusters: clusters.newClusters,
    oldClusters: clusters.oldClusters,
    metas: [...registry.metas],
    steps,
    phase: result.progress.phase,
    measurements: result.progress.counters.measurements,
    firstGeneration,
  };
  if (result.outcome === 'failed' && result.progress.aborted) {
    // No gate failed: an operator ended the watch. Who and when; the clusters are as a failed watch leaves them.
    const { by, at } = result.progress.aborted;
    throw new WsdError('GateFailed', `first generation's watch aborted by ${by ?? 'an operator'} at ${at}.\n${firstGenerationLeft(ctx.deploymentId)}`, { details: { reason: result.reason, aborted: result.progress.aborted } });
  }
  if (result.outcome === 'failed') {
    // Like a rollback: name what failed; the summary explains it once, with the evidence.
    const failing = journal.lastFailing;
    const brief = failing ? `${briefVerdict({ verdict: failing.verdict, limit: failing.limit, decisions: failing.metrics as BriefInput['decisions'] })}.\n${firstGenerationLeft(ctx.deploymentId)}` : (result.reason ?? 'no reason recorded');
    throw new WsdError('GateFailed', `first generation failed its gates during the watch: ${brief}`, { details: { reason: result.reason, lastFailing: journal.lastFailing } });
  }
  if (result.outcome === 'rolled-back') {
    throw new WsdError('GateFailed', rollbackMessage(ctx.deploymentId, result, journal.lastFailing, steps), { details: { reason: result.reason, lastFailing: journal.lastFailing } });
  }
  return outputs;
}
