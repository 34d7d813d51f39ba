/**
 * The traffic shift: walks the schedule, measures every interval, and rolls back
 * on fail / halt / operator abort. State lives in the journal after every change,
 * so a crashed run resumes at the same step with the elapsed time honoured.
 *
 * Interrupts (the run's AbortSignal) stop where we are without rollback — the
 * journal says where; a re-run continues; an operator's `abort` command rolls back
 * (sent while no process runs the deployment, it waits for `resume`).
 *
 * Any other failure on the way forward (an update a meta cluster's bridge did not
 * take after its retries, a bug) rolls back too, as Argo Rollouts and Flagger abort
 * a failed progression: left alone, meta clusters could disagree by a step. A
 * rollback a meta cluster does not take is reported ({@link RollbackIncomplete});
 * it stays journaled as under way, so `resume` finishes it.
 */
import { isAbortError, isWsdError, toWsdError, WsdError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { expandSteps, type TrafficShiftConfig } from './config.js';
import { isProportionMetric } from './analysis-config.js';
import { lookbackOf, WINDOW_TOO_SHORT } from './judges/metric-judge.js';
import { briefVerdict } from './judges/decision-brief.js';
import { measure } from './judges/measure.js';
import { newStage, ZERO_COUNTERS } from './judges/step-verdict.js';
import type { MetricProvider } from './providers/provider.js';
import { expectedTraffic, scoreChanges, ShiftRegistry } from './shift-registry.js';
import type { ExpectedTraffic } from './judges/cluster-judge.js';
import { cannotRecordRollback, lastKnownScores, restoreOrRecord, stepBack } from './shift-rollback.js';
import { servingClusters } from './old-clusters.js';
import { describeState, hasUnknownState, savedState } from './unknown-state.js';
import { metricInterval, metricSlots, stageDelay, tickInterval } from './stage-schedule.js';
import { GATE_ANSWERS, GateUnanswered, holdWords, type GateName, type HoldName } from './shift-stops.js';
import { evaluationTime } from './evaluation-time.js';
import { abortWords, type Clock, type ControlPort, type GateApproval, type OperatorAbort, type OriginalSnapshot, type RegistryPort, type ScoresInEffect, type ShiftCluster, type ShiftJournal, type ShiftProgress } from './shift-ports.js';

type TakenCommand = Awaited<ReturnType<ControlPort['next']>>;

/** ` by alice@host (shift resume)`, when the sender said who it is. */
function byWhom(taken: TakenCommand): string {
  return taken?.by ? ` by ${taken.by}` : '';
}

interface ShiftDeps {
  registry: RegistryPort;
  metas: readonly string[];
  provider: MetricProvider;
  clock: Clock;
  journal: ShiftJournal;
  control: ControlPort;
  sink: EventSink;
  signal?: AbortSignal;
  /** How often control commands are polled while waiting. Default 1 s. */
  pollMs?: number;
  /**
   * No one can answer a manual gate in this run (CI, no terminal, no --yes): a gate reached with no answer
   * queued (see {@link ControlPort.pending}) stops the run there, held and journaled, instead of waiting.
   */
  unattended?: boolean;
}



/** Failures the shift does not answer with a rollback: a stop, a hold, a journal it cannot write (nothing would record the rollback). */
function stopsWithoutRollback(error: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted || isAbortError(error) || error instanceof GateUnanswered) return true;
  return cannotRecordRollback(error);
}

interface ShiftInput {
  /**
   * The deployment whose shift this is: the commands its events suggest (`shift resume ID`) name it, since
   * without an id `shift` answers the newest unfinished deployment of the state, which may be another one.
   */
  deploymentId: string;
  config: TrafficShiftConfig;
  newClusters: readonly ShiftCluster[];
  oldClusters: readonly ShiftCluster[];
}

export interface ShiftResult {
  /** `failed`: a first generation's watch found a failing gate; its clusters were left as they are. */
  outcome: 'promoted' | 'rolled-back' | 'failed';
  reason?: string;
  progress: ShiftProgress;
}

/** Thrown inside the loop to leave it for a rollback; `brief` names what failed without the evidence (for log lines). */
class RollbackRequest extends Error {
  constructor(
    message: string,
    readonly brief?: string,
    /** An operator's `shift abort`: the command as taken (who sent it, when). */
    readonly abort?: NonNullable<TakenCommand>,
  ) {
    super(message);
  }
}
/** Thrown inside waits when the operator promotes. */
class PromoteRequest extends Error {}

/** Runs (or resumes) the shift to promotion or rollback. */
export async function runShift(deps: ShiftDeps, input: ShiftInput): Promise<ShiftResult> {
  return new ShiftRun(deps, input).run();
}

class ShiftRun {
  private readonly steps: number[];
  private readonly ops: ShiftRegistry;
  private original: OriginalSnapshot = {};
  /** The old clusters serving when the shift started: the comparison baseline (see `servingClusters`). */
  private baseline: readonly ShiftCluster[] = [];
  /** A gate a resumed run was approved at before reaching it again (see `resumeHeld`). */
  private passedGate: GateName | undefined;
  /** When this run began watching (a resume: later than the step's start). */
  private watchingSinceMs = 0;
  /** Set once the gates passed and the old clusters are being cordoned: a failure there is not rolled back. */
  private concluding = false;
  private progress!: ShiftProgress;

  constructor(
    private readonly deps: ShiftDeps,
    private readonly input: ShiftInput,
  ) {
    if (!input.config.analysis) throw new WsdError('ConfigInvalid', 'trafficShift.analysis is required for the built-in shift; add it or use trafficShift.command');
    this.steps = expandSteps(input.config);
    this.ops = new ShiftRegistry(deps.registry, deps.metas, deps.clock, deps.sink, input.deploymentId);
  }

  async run(): Promise<ShiftResult> {
    const { journal, signal } = this.deps;
    const loaded = await journal.load();
    if (loaded.progress?.phase === 'done') return { outcome: 'promoted', progress: loaded.progress };
    if (loaded.progress?.phase === 'rolled-back') return { outcome: 'rolled-back', reason: loaded.progress.reason, progress: loaded.progress };
    if (loaded.progress?.phase === 'failed') return { outcome: 'failed', reason: loaded.progress.reason, progress: loaded.progress };
    if (loaded.original) {
      // An older version's journal may hold a state by its bare number: read as UNKNOWN(7), as a List is.
      this.original = Object.fromEntries(Object.entries(loaded.original).map(([meta, clusters]) => [meta, Object.fromEntries(Object.entries(clusters).map(([n, c]) => [n, savedState(c)]))]));
    } else {
      const names = [...this.input.newClusters, ...this.input.oldClusters].map((c) => c.name);
      this.original = await this.ops.snapshot(names, signal, this.input.newClusters.map((c) => c.name));
      await journal.saveOriginalScores(this.original);
    }
    this.progress = loaded.progress ?? { phase: 'start', stepIndex: 0, phaseStartedAtMs: this.deps.clock.now(), measurementsInStep: 0, counters: ZERO_COUNTERS, paused: false };
    const decided = this.progress.rollingBack ?? (this.progress.promoting ? 'promote' : undefined);
    if (loaded.progress) {
      this.watchingSinceMs = this.deps.clock.now();
      this.emit('info', 'traffic.resume', `resuming the shift at ${this.describe()}${decided ? (decided === 'promote' ? ': finishing its promotion' : ': finishing its rollback') : ''}`);
    }
    if (decided === 'promote') return this.promote();
    // A decided course is finished, not undone: setting the journaled step's scores again would walk it back.
    if (decided) return this.rollback(decided.reason, decided.brief, decided.cause);
    if (this.input.oldClusters.length === 0) return this.firstGeneration();
    this.baseline = servingClusters(this.input.oldClusters, this.original);
    const idle = this.input.oldClusters.filter((o) => !this.baseline.includes(o)).map((o) => o.name);
    if (idle.length > 0) {
      const rest = this.baseline.length > 0 ? `the baseline is ${this.baseline.map((o) => o.name).join(', ')}` : 'no old cluster serves, so comparison metrics have no baseline';
      // Saved in a state this tool cannot read (only a journal of an older version, which did not refuse it, holds one): say that, not "cordoned".
      const unknown = Object.entries(this.original).flatMap(([meta, clusters]) =>
        idle.flatMap((name) => {
          const c = clusters[name];
          return c && hasUnknownState(c) ? [`${name} was in state ${describeState(c)} on ${meta} when the shift began, a state this ws-deployment does not know`] : [];
        }),
      );
      const quiet = idle.filter((name) => !Object.values(this.original).some((clusters) => clusters[name] && hasUnknownState(clusters[name])));
      const why = [...(quiet.length > 0 ? [`${quiet.join(', ')} took no starts when the shift began (cordoned or at score 0, e.g. a rolled-back generation)`] : []), ...unknown];
      this.emit('warn', 'traffic.baseline', `${why.join('; ')}: not part of the comparison baseline; ${rest}`, { idle, baseline: this.baseline.map((o) => o.name) });
    }

    try {
      if (loaded.progress) await this.reapply();
      if (loaded.progress?.paused) await this.resumeHeld();
      else if (loaded.progress?.approved) await this.passJournaledApproval(loaded.progress.approved);
      while (true) {
        const p = this.progress;
        if (p.phase === 'start') await this.start();
        else if (p.phase === 'staff') await this.endStaffStage();
        else if (p.phase === 'steps') await this.runStep();
        else if (p.phase === 'bake') await this.runBake();
        else return { outcome: p.phase === 'done' ? 'promoted' : 'rolled-back', reason: p.reason, progress: p };
      }
    } catch (error) {
      if (error instanceof PromoteRequest) return this.promote();
      if (error instanceof RollbackRequest) {
        // An operator's abort is journaled as such (who, when), as a first generation's is: every reader names them.
        const aborted = this.abortOf(error);
        return aborted ? this.rollback(abortWords(aborted), undefined, undefined, aborted) : this.rollback(error.message, error.brief);
      }
      if (this.concluding || stopsWithoutRollback(error, this.deps.signal)) throw error;
      return this.rollback(this.failureReason(error), undefined, 'error');
    }
  }

  /** Why a failure of the shift itself rolls it back: which meta clusters failed and how, or the error. */
  private failureReason(error: unknown): string {
    const failed = isWsdError(error) ? (error.details['failedMetas'] as Record<string, string> | undefined) : undefined;
    const entries = Object.entries(failed ?? {});
    if (entries.length === 0) return toWsdError(error).message;
    return entries.map(([meta, e]) => `meta cluster ${meta} failed: ${e}`).join('; ');
  }

  /**
   * No old generation: nothing to compare with or fall back to, so the new clusters take all new starts at once;
   * then, with `firstGenerationWatch`, the threshold gates run for that long and a failure fails the deployment.
   */
  private async firstGeneration(): Promise<ShiftResult> {
    const watch = this.input.config.analysis?.firstGenerationWatch ?? 0;
    const why = 'no old clusters: nothing to compare with or fall back to, so the new clusters take all new starts at once';
    if (watch <= 0) return this.promote(why);
    if (this.progress.phase !== 'watch') {
      await this.takeAll(why);
      await this.save({ phase: 'watch', phaseStartedAtMs: this.deps.clock.now(), measurementsInStep: 0, counters: newStage(this.progress.counters), accumulated: {}, windowEnds: {} });
      this.emit('info', 'traffic.watch', `watching the first generation's threshold gates for ${Math.round(watch / 1000)}s`);
    }
    const end = this.progress.phaseStartedAtMs + watch;
    try {
      const done = await this.measureUntil(() => this.deps.clock.now() >= end);
      if (!done) return this.firstGeneration();
    } catch (error) {
      if (error instanceof RollbackRequest) {
        const consequence = 'the first generation has no previous one to fall back to, so its clusters were left as they are';
        // An operator's abort is journaled as such (who, when) in the same write: no reader calls it a failed gate;
        // its reason names them as a rollback's does.
        const aborted = this.abortOf(error);
        const reason = `${aborted ? abortWords(aborted) : error.message}; ${consequence} (they take all new starts): fix them or deploy a new generation`;
        if (aborted) this.emit('error', 'traffic.first-generation-aborted', `first generation's watch aborted by ${aborted.by ?? 'an operator'}; ${consequence}`, { reason, aborted });
        else this.emit('error', 'traffic.first-generation-failed', `${error.brief ?? error.message}; ${consequence}`, { reason });
        await this.save({ phase: 'failed', reason, paused: false, ...(aborted ? { aborted } : {}) });
        return { outcome: 'failed', reason, progress: this.progress };
      }
      if (error instanceof PromoteRequest) return this.finish();
      throw error;
    }
    return this.finish();
  }

  private async start(): Promise<void> {
    const { config } = this.input;
    // Commands sent before the shift started (queued while the clusters were built, or while no
    // process ran the deployment) act before its first change, as `shift` told the operator.
    await this.waitUntil(this.deps.clock.now());
    await this.gate('beforeStart');
    const staff = config.staffStage;
    const news = this.input.newClusters;
    if (staff) {
      const constraint = `has-permission=${staff.permission}`;
      await this.ops.apply((meta) => [
        ...scoreChanges(this.steps[0] ?? 100, this.original[meta], news, this.input.oldClusters).filter((c) => news.some((n) => n.name === c.name)),
        // Not twice: clusters registered behind the constraint already have it (the bridge would keep a duplicate).
        ...news
          .filter((n) => !this.original[meta]?.[n.name]?.admissionConstraints.includes(constraint))
          .map((n) => ({ name: n.name, change: { admissionConstraint: { add: true, constraint } } })),
        ...news.map((n) => ({ name: n.name, change: { cordoned: false } })),
      ], this.deps.signal);
      this.emit('info', 'traffic.staff', `staff stage: new clusters take starts of ${constraint} holders only`);
      return this.save({ phase: 'staff', phaseStartedAtMs: this.deps.clock.now(), shiftStartedAtMs: this.progress.shiftStartedAtMs ?? this.deps.clock.now(), approved: undefined });
    }
    await this.applyStep(0, true);
  }

  private async endStaffStage(): Promise<void> {
    const staff = this.input.config.staffStage;
    await this.waitUntil(this.progress.phaseStartedAtMs + (staff?.duration ?? 0));
    await this.applyStep(0, false);
    const constraint = `has-permission=${staff?.permission}`;
    await this.ops.apply(() => this.input.newClusters.map((n) => ({ name: n.name, change: { admissionConstraint: { add: false, constraint } } })), this.deps.signal);
  }

  /** Sets the scores of step `index` everywhere (uncordoning new clusters after their score is set). */
  private async applyStep(index: number, uncordon: boolean): Promise<void> {
    const percent = this.steps[index] ?? 100;
    await this.ops.apply((meta) => [
      ...scoreChanges(percent, this.original[meta], this.input.newClusters, this.input.oldClusters),
      ...(uncordon ? this.input.newClusters.map((n) => ({ name: n.name, change: { cordoned: false } })) : []),
    ], this.deps.signal, { checkDrift: true });
    await this.save({
      phase: 'steps',
      stepIndex: index,
      phaseStartedAtMs: this.deps.clock.now(),
      measurementsInStep: 0,
      shiftStartedAtMs: this.progress.shiftStartedAtMs ?? this.deps.clock.now(),
      // Limits and accumulated counts are per stage: failures of different steps never add up.
      counters: newStage(this.progress.counters),
      accumulated: {},
      windowEnds: {},
      // What an approved gate let through is done: a later run does not take the step again.
      approved: undefined,
    });
    this.emit('info', 'traffic.step', `step ${index + 1}/${this.steps.length}: ${percent} % of new starts on the new clusters`, { percent });
  }

  /**
   * After a crash the registries may be half-way between two steps (an apply that
   * failed on one meta, or a crash before the journal write): set the journaled
   * step's scores again everywhere. Updates are idempotent; the step's clock is kept.
   */
  private async reapply(): Promise<void> {
    const p = this.progress;
    if (p.phase !== 'steps' && p.phase !== 'bake') return;
    const percent = p.phase === 'bake' ? 100 : (this.steps[p.stepIndex] ?? 100);
    await this.ops.apply((meta) => [
      ...scoreChanges(percent, this.original[meta], this.input.newClusters, this.input.oldClusters),
      ...this.input.newClusters.map((n) => ({ name: n.name, change: { cordoned: false } })),
    ], this.deps.signal);
    // Past the staff stage the staff constraint is gone (endStaffStage removes it after the first step's scores, whose
    // progress is journaled first): a run killed between the two left it on the new clusters, and the resumed shift
    // then judged and promoted clusters only staff could reach, the old ones cordoned at the end. Removed again here
    // (every copy; none there is no change).
    const staff = this.input.config.staffStage;
    if (staff) {
      const constraint = `has-permission=${staff.permission}`;
      await this.ops.apply(() => this.input.newClusters.map((n) => ({ name: n.name, change: { admissionConstraint: { add: false, constraint } } })), this.deps.signal);
    }
  }

  private async runStep(): Promise<void> {
    const passed = await this.measureUntil(() => true);
    if (!passed) return;
    const next = this.progress.stepIndex + 1;
    if (next >= this.steps.length) {
      await this.save({ phase: 'bake', phaseStartedAtMs: this.deps.clock.now(), measurementsInStep: 0, counters: newStage(this.progress.counters), accumulated: {}, windowEnds: {} });
      // Journaled: the trace opens a bake stage span here, and the bake's decisions become its events.
      this.emit('info', 'traffic.bake', `bake at 100 %: measuring for ${Math.round(this.input.config.bake / 1000)}s before the old clusters are cordoned`, { percent: 100, bakeMs: this.input.config.bake });
      return;
    }
    await this.gate(next === this.steps.length - 1 ? 'beforePromotion' : 'beforeIncrease');
    await this.applyStep(next, false);
  }

  private async runBake(): Promise<void> {
    const end = this.progress.phaseStartedAtMs + this.input.config.bake;
    if (this.input.config.bake > 0) {
      // Keep measuring through the bake; it ends on the first passing measurement after `bake`.
      const done = await this.measureUntil(() => this.deps.clock.now() >= end);
      if (!done) return;
    }
    await this.finish();
  }

  /**
   * Measures every interval until a passing measurement for which `enough()` holds.
   * Returns false when it returned early because the state changed (resume from pause).
   */
  private async measureUntil(enough: () => boolean): Promise<boolean> {
    const analysis = this.input.config.analysis;
    if (!analysis) return true;
    const { clock, provider, journal, signal } = this.deps;
    const config = this.input.config;
    // The schedule rules live in stage-schedule.ts, shared with the timeline `plan` prints.
    const intervalOf = (m: (typeof analysis.metrics)[number]) => metricInterval(m, config.interval);
    // Without old clusters only thresholds can be judged: comparisons have no baseline.
    const judged = this.input.oldClusters.length > 0 ? analysis : { ...analysis, metrics: analysis.metrics.filter((m) => m.threshold !== undefined) };
    if (judged.metrics.length === 0) return true;
    // The cadence: the shortest metric interval (each metric is measured when its own interval is due).
    const interval = tickInterval(judged.metrics, config.interval);
    const delay = stageDelay(this.progress, analysis.initialDelay);
    // Disjoint windows only: a proportion metric whose lookback fits its interval adds up its windows over the stage.
    const accumulates = (m: (typeof analysis.metrics)[number]) => isProportionMetric(m) && lookbackOf(m, config.interval) <= intervalOf(m);
    // Windows that add up must tile: a window as long as the interval starts where the metric's previous one
    // ended (a late or skipped measurement reads a longer window), so no start falls between two of them.
    // A `lookback` shorter than the interval samples part of each interval on purpose and is left as it is.
    const tiles = (m: (typeof analysis.metrics)[number]) => accumulates(m) && lookbackOf(m, config.interval) === intervalOf(m);
    while (true) {
      await this.waitUntil(this.progress.phaseStartedAtMs + delay + (this.progress.measurementsInStep + 1) * interval);
      const localNow = clock.now();
      // Windows end at Prometheus' now when this clock is ahead of it (evaluation-time.ts); the schedule and the
      // deadlines stay on this clock.
      const evaluated = await evaluationTime(provider, localNow, signal);
      const now = evaluated.now;
      const p = this.progress;
      const sinceStage = localNow - p.phaseStartedAtMs - delay;
      // A metric is due when more of its own intervals (after its own initialDelay) have passed in this stage
      // than it has measurements. Dry runs never decide and have no counters: due when their slot count grew
      // since the previous tick — so they too wait for their initialDelay and keep their interval.
      const slots = (m: (typeof analysis.metrics)[number], t: number) => metricSlots(m, t, config.interval);
      const due = (m: (typeof analysis.metrics)[number]) =>
        m.dryRun
          ? slots(m, sinceStage) > Math.max(0, slots(m, p.measurementsInStep * interval))
          : (p.counters.metrics?.[m.name]?.measurements ?? 0) < slots(m, sinceStage);
      const percent = p.phase === 'bake' ? 100 : (this.steps[p.stepIndex] ?? 100);
      const accumulated = Object.fromEntries(judged.metrics.filter(accumulates).map((m) => [m.name, p.accumulated?.[m.name] ?? {}]));
      const record = await measure(judged, {
        provider,
        newClusters: this.input.newClusters.map((c) => ({ cluster: c.cluster, shortName: c.name, region: c.region })),
        // The baseline: old clusters that served when the shift began, not an earlier rolled-back generation.
        oldClusters: this.baseline.map((c) => ({ cluster: c.cluster, shortName: c.name, region: c.region })),
        intervalMs: config.interval,
        now: new Date(now),
        // The sample deadline counts time this run watched: after a restart, samples get the whole
        // deadline again. Waiting longer is safe; judging a stretch nobody watched (in the sandbox,
        // one without any simulated users) is not.
        elapsedInStepMs: localNow - Math.max(this.progress.phaseStartedAtMs, this.watchingSinceMs),
        sampleDeadlineMs: analysis.sampleDeadline,
        scrapeIntervalMs: analysis.scrapeInterval,
        // At 100 % the old clusters take no starts: compare with their values from before the shift began.
        // Stamped by this clock: moved by the lead over Prometheus' as `now` is, or it would end in Prometheus' future.
        baselineAt: percent === 100 && p.shiftStartedAtMs !== undefined ? new Date(p.shiftStartedAtMs - (localNow - now)) : undefined,
        reported: new Set(p.reported ?? []),
        gaps: p.gaps ?? {},
        accumulated,
        windowStarts: Object.fromEntries(judged.metrics.filter(tiles).flatMap((m) => (p.windowEnds?.[m.name] !== undefined ? [[m.name, p.windowEnds[m.name] as number]] : []))),
        expected: this.expectedAt(percent),
        signal,
      }, p.counters, due);
      if (evaluated.warning) for (const d of record.decisions) d.warnings.push(evaluated.warning);
      const scores = this.scoresAt(percent);
      await journal.recordDecision({ ...record, stepIndex: p.stepIndex, percent, scores });
      const reported = new Set(p.reported ?? []);
      for (const d of record.decisions) for (const q of d.queries) if (q.side === 'new' && q.series > 0) reported.add(q.cluster);
      // Metrics measured now replace their gaps; one without cluster evidence (a query error) keeps them.
      const gaps = { ...(p.gaps ?? {}) };
      for (const d of record.decisions) if (d.clusters) gaps[d.metric] = d.clusters.filter((e) => e.rule === 'no-data.gap').map((e) => e.cluster);
      // A partial answer (server warnings) undercounts: like an error, its counts are not added and its window is read again.
      const partial = (d: (typeof record.decisions)[number]) => d.queries.some((q) => (q.warnings?.length ?? 0) > 0);
      const nextAccumulated = { ...(p.accumulated ?? {}) };
      for (const d of record.decisions) {
        if (!(d.metric in accumulated) || partial(d)) continue;
        const counts = { ...(nextAccumulated[d.metric] ?? {}) };
        for (const e of d.clusters ?? []) if (e.samples !== undefined && e.failures !== undefined) counts[e.cluster] = { failures: e.failures, samples: e.samples };
        nextAccumulated[d.metric] = counts;
      }
      // A window that errored is read again: the next one starts where the last counted one ended, or, when
      // none was counted yet in this stage, where the failed one started, so the stage's first interval is
      // counted too (the next good window is the whole stretch since, not only the last interval).
      const windowEnds = { ...(p.windowEnds ?? {}) };
      for (const d of record.decisions) {
        const m = judged.metrics.find((x) => x.name === d.metric && tiles(x));
        if (!m) continue;
        // A window too short to read (the previous measurement ran late) is read with the next one.
        if (d.rule === WINDOW_TOO_SHORT) continue;
        // The window's own end: a tiled window of whole scrape intervals may end before `now` (seamReach in metric-judge.ts).
        if (d.outcome !== 'error' && !partial(d)) windowEnds[d.metric] = d.window ? Date.parse(d.window.end) : now;
        else windowEnds[d.metric] ??= now - lookbackOf(m, config.interval);
      }
      // Slots that passed while no measurement could run (the tool was down, or a query outlasted an
      // interval) are skipped, not replayed: a burst of measurements would all read the same window.
      const slotsPassed = Math.floor((clock.now() - this.progress.phaseStartedAtMs - delay) / interval);
      await this.save({ counters: record.counters, measurementsInStep: Math.max(this.progress.measurementsInStep + 1, slotsPassed), reported: [...reported].sort(), gaps, accumulated: nextAccumulated, windowEnds });
      const failing = record.verdict === 'fail' || record.verdict === 'halt';
      // A failing measurement's evidence is printed once, by the summary; this line names what failed.
      // The event's data carries the whole record (queries, values, samples, baseline, statistics, scores) for --json-log.
      const brief = failing ? briefVerdict(record) : undefined;
      this.emit(failing ? 'warn' : 'info', 'traffic.measurement', `${this.describe()}: ${brief ?? `${record.verdict}: ${record.message}`}`, {
        ...record,
        stepIndex: p.stepIndex,
        percent,
        scores,
      });
      if (failing) throw new RollbackRequest(`${record.verdict}: ${record.message}`, brief);
      if (record.verdict === 'inconclusive-pause') {
        await this.save({ paused: true, pausedBy: 'inconclusive' });
        await this.stopIfUnanswered('inconclusive');
        // The resume that ends the hold resets the inconclusive counters in the same write (see endHold).
        await this.waitUntil(clock.now());
      }
      if (record.verdict === 'pass' && enough()) return true;
    }
  }

  /** A human resumed an inconclusive pause: the metrics get their inconclusiveLimit again. */
  private inconclusiveReset(): Partial<ShiftProgress> {
    const metrics = Object.fromEntries(Object.entries(this.progress.counters.metrics ?? {}).map(([name, c]) => [name, { ...c, inconclusive: 0 }]));
    return { counters: { ...this.progress.counters, inconclusive: 0, metrics }, pausedBy: undefined };
  }

  /** The scores this shift sets at `percent`, per meta cluster (for the decision record). */
  /** Per new cluster, the starts it should get at `percent`: the smallest share any meta cluster gives it (the most cautious). */
  private expectedAt(percent: number): Record<string, ExpectedTraffic> {
    const out: Record<string, ExpectedTraffic> = {};
    for (const meta of this.deps.metas) {
      for (const [cluster, e] of Object.entries(expectedTraffic(percent, this.original[meta], this.input.newClusters, this.input.oldClusters))) {
        const seen = out[cluster];
        if (!seen || e.share < seen.share) out[cluster] = e;
      }
    }
    return out;
  }

  private scoresAt(percent: number): ScoresInEffect {
    const out: ScoresInEffect = {};
    for (const meta of this.deps.metas) {
      const scores: Record<string, number> = {};
      for (const c of scoreChanges(percent, this.original[meta], this.input.newClusters, this.input.oldClusters)) {
        if ('score' in c.change) scores[c.name] = c.change.score;
      }
      out[meta] = scores;
    }
    return out;
  }

  /** Waits until `atMs` and while paused, reacting to control commands. */
  private async waitUntil(atMs: number): Promise<void> {
    const { clock, control, signal } = this.deps;
    const pollMs = this.deps.pollMs ?? 1_000;
    while (true) {
      const taken = await control.next();
      const command = taken?.command;
      if (command === 'abort') throw new RollbackRequest('aborted by an operator', undefined, taken);
      if (command === 'promote') throw new PromoteRequest();
      if (command === 'pause' && !this.progress.paused) {
        await this.save({ paused: true });
        this.emit('info', 'traffic.paused', `paused at ${this.describe()}; resume, promote or abort: \`ws-deployment shift resume ${this.input.deploymentId}\` continues it${taken?.by ? ` (paused by ${taken.by})` : ''}`, { ...(taken?.by ? { by: taken.by } : {}) });
        // Where no one can resume it (CI), the run stops held here rather than waiting for nobody.
        await this.stopIfUnanswered('pause', taken?.by);
      }
      if (command === 'resume' && this.progress.paused) await this.endHold(taken);
      const now = clock.now();
      if (!this.progress.paused && now >= atMs) return;
      await clock.sleep(this.progress.paused ? pollMs : Math.min(pollMs, atMs - now), signal);
    }
  }

  /** A manual gate holds like a pause until a human resumes (or promotes / aborts). */
  private async gate(name: GateName): Promise<void> {
    if (this.input.config.gates[name] !== 'manual') return;
    if (this.passedGate === name) {
      this.passedGate = undefined; // approved before this run reached it again (resumeHeld)
      return;
    }
    this.emitGate(name);
    await this.save({ paused: true, gate: name });
    await this.stopIfUnanswered(name);
    await this.waitUntil(this.deps.clock.now());
  }

  /**
   * Ends a hold (`shift resume`, or `y` at the gate's question). At a manual gate the approval — which gate,
   * where, who sent it, when — is journaled in the same write that ends the hold, before anything the gate lets
   * through: a run stopped right after it (SIGKILL) takes that step on resume instead of asking again.
   */
  private async endHold(taken: TakenCommand | undefined): Promise<void> {
    const gate = this.progress.gate;
    const approval: GateApproval | undefined = gate
      ? { gate, where: this.describe(), ...(taken?.by ? { by: taken.by } : {}), ...(taken?.sentAt ? { sentAt: taken.sentAt } : {}), at: new Date(this.deps.clock.now()).toISOString() }
      : undefined;
    await this.save({
      paused: false,
      gate: undefined,
      // Held by an inconclusive result: resumed, the metrics get their inconclusiveLimit again, in the same write.
      ...(this.progress.pausedBy === 'inconclusive' ? this.inconclusiveReset() : {}),
      ...(approval ? { approved: approval, approvals: [...(this.progress.approvals ?? []), approval] } : {}),
    });
    if (approval) this.emit('info', 'traffic.resumed', `${approval.gate} approved at ${approval.where}${byWhom(taken)}`, { approval });
    else this.emit('info', 'traffic.resumed', `resumed at ${this.describe()}${byWhom(taken)}`, { ...(taken?.by ? { by: taken.by } : {}) });
  }

  /**
   * Where no one can answer (see {@link ShiftDeps.unattended}), a hold with no answer queued would wait forever:
   * stop instead, held as journaled. A queued answer is taken by the wait that follows.
   */
  private async stopIfUnanswered(name: HoldName, by?: string): Promise<void> {
    if (!this.deps.unattended) return;
    const queued = (await this.deps.control.pending?.()) ?? [];
    if (queued.some((c) => GATE_ANSWERS.includes(c))) return;
    this.emit('warn', 'traffic.gate-unanswered', `${holdWords(name)} at ${this.describe()}: no one can answer it here and no answer is queued; the shift holds here and this run stops`, { gate: name });
    throw new GateUnanswered(name, this.describe(), by, this.progress.rollingBack !== undefined);
  }

  /** The gate's question: the terminal asks it (gate-prompter.ts), everyone else reads it. */
  private emitGate(name: GateName): void {
    this.emit('info', 'traffic.gate', `manual gate ${name} at ${this.describe()}: waiting for \`ws-deployment shift resume ${this.input.deploymentId}\` (or promote / abort)`, { gate: name });
  }

  /**
   * A run resumed where the journal says the shift was held: say so (a gate is asked again on
   * the terminal), hold until `shift resume|promote|abort`, and once approved do what the gate
   * let through — the next step (or the start) — instead of measuring the passed step again
   * and asking the same gate twice.
   */
  private async resumeHeld(): Promise<void> {
    const gate = this.progress.gate as GateName | undefined;
    if (gate && this.input.config.gates[gate] !== 'manual') {
      // The earlier run was stopped (a signal, a kill) while held at a manual gate this run's config does not
      // hold at (`--yes`, or the gate set to auto since): this run approves it, as it would have on reaching it.
      await this.endHold({ command: 'resume', by: `this run (${gate} is not manual for it: --yes or the config)` });
      await this.passApproved();
      return;
    }
    if (gate) this.emitGate(gate);
    else this.emit('info', 'traffic.paused', `paused at ${this.describe()}; resume, promote or abort`);
    await this.stopIfUnanswered(gate ?? (this.progress.pausedBy === 'inconclusive' ? 'inconclusive' : 'pause'));
    await this.waitUntil(this.deps.clock.now());
    await this.passApproved();
  }

  /** A run stopped after an approval was journaled and before the step it lets through: go on past the gate, not ask again. */
  private async passJournaledApproval(approval: GateApproval): Promise<void> {
    // traffic.resumed is journaled: the report shows the approval even when its run stopped before saying so.
    this.emit('info', 'traffic.resumed', `${approval.gate} was approved at ${approval.where}${approval.by ? ` by ${approval.by}` : ''} at ${approval.at} before the last run stopped: going on past it`, { approval });
    await this.passApproved();
  }

  /** Does what the approved gate lets through — the next step (or the start) — instead of measuring the passed step again. */
  private async passApproved(): Promise<void> {
    const gate = this.progress.approved?.gate;
    if (gate === 'beforeStart') this.passedGate = gate;
    else if (gate && this.progress.phase === 'steps' && this.progress.stepIndex + 1 < this.steps.length) await this.applyStep(this.progress.stepIndex + 1, false);
  }

  /** Full traffic at once: asked by an operator, or `firstGeneration` (the reason why). */
  private async promote(firstGeneration?: string): Promise<ShiftResult> {
    // Decided: a gate or pause it was held at no longer holds it (nor makes `status` call it held).
    if (!firstGeneration && !this.progress.promoting) await this.save({ promoting: true, paused: false, gate: undefined, pausedBy: undefined });
    await this.takeAll(firstGeneration);
    return this.finish();
  }

  /** The new clusters take all new starts, without the staff constraint. */
  private async takeAll(firstGeneration?: string): Promise<void> {
    this.emit('info', firstGeneration ? 'traffic.first-generation' : 'traffic.promote', firstGeneration ?? `promoted by an operator at ${this.describe()}`);
    await this.ops.apply((meta) => [
      ...scoreChanges(100, this.original[meta], this.input.newClusters, this.input.oldClusters),
      ...this.input.newClusters.map((n) => ({ name: n.name, change: { cordoned: false } })),
    ], this.deps.signal);
    // Also for a first generation: it never entered the staff stage, but it may have been registered behind the
    // staff constraint (registration.admissionConstraints), and everyone must reach it now.
    if (this.input.config.staffStage) {
      const constraint = `has-permission=${this.input.config.staffStage.permission}`;
      await this.ops.apply(() => this.input.newClusters.map((n) => ({ name: n.name, change: { admissionConstraint: { add: false, constraint } } })), this.deps.signal);
    }
  }

  /** 100 % reached and baked: cordon the old clusters everywhere. */
  private async finish(): Promise<ShiftResult> {
    this.concluding = true;
    await this.ops.apply(() => this.input.oldClusters.map((o) => ({ name: o.name, change: { cordoned: true } })), this.deps.signal, { checkDrift: true });
    await this.save({ phase: 'done', paused: false, gate: undefined, promoting: undefined, phaseStartedAtMs: this.deps.clock.now() });
    this.emit('info', 'traffic.done', `new clusters take all new starts${this.input.oldClusters.length > 0 ? '; old clusters cordoned' : ''}`);
    return { outcome: 'promoted', progress: this.progress };
  }

  /** The operator's `shift abort` behind `error` (where the shift stood, who sent it, when this run took it), if it is one. */
  private abortOf(error: RollbackRequest): OperatorAbort | undefined {
    const taken = error.abort;
    if (!taken) return undefined;
    return { where: this.describe(), ...(taken.by ? { by: taken.by } : {}), ...(taken.sentAt ? { sentAt: taken.sentAt } : {}), at: new Date(this.deps.clock.now()).toISOString() };
  }

  /** `aborted`: an operator's abort decided it; journaled with the rollback's start, so a resumed rollback keeps it. */
  private async rollback(reason: string, brief?: string, cause?: 'error', aborted?: OperatorAbort): Promise<ShiftResult> {
    const { rollback } = this.input.config;
    // Resumed half-way (the journal says it was under way): finish at once, as an abort during a gradual rollback does.
    const resumed = this.progress.rollingBack !== undefined;
    // A gate's or a pause's hold ends here: the gradual steps down wait only for their time (a new pause holds them).
    if (!resumed) await this.save({ rollingBack: { reason, ...(brief ? { brief } : {}), ...(cause ? { cause } : {}) }, paused: false, gate: undefined, pausedBy: undefined, ...(aborted ? { aborted } : {}) });
    // After a failing measurement its line above says what failed; an operator's abort says so here.
    this.emit('error', 'traffic.rollback', `rolling back (${resumed ? 'finishing at once' : rollback.mode}) at ${this.describe()}: ${brief ? (resumed ? brief : 'the measurement above failed') : reason}`, { reason });
    if (!resumed && rollback.mode === 'gradual' && (this.progress.phase === 'steps' || this.progress.phase === 'bake')) {
      const from = this.progress.phase === 'bake' ? 100 : (this.steps[this.progress.stepIndex] ?? 100);
      try {
        await stepBack(this.ops, this.original, this.input, from, this.deps.sink, async (until) => {
          try {
            await this.waitUntil(until);
            return true;
          } catch (error) {
            // abort (or promote) during a gradual rollback: finish it at once.
            if (error instanceof RollbackRequest || error instanceof PromoteRequest) return false;
            throw error;
          }
        }, this.deps.clock, this.deps.signal);
      } catch (error) {
        if (stopsWithoutRollback(error, this.deps.signal)) throw error;
        // A step down a meta cluster did not take: the flip below restores everything it can at once.
        this.emit('warn', 'traffic.rollback.flip', `a gradual step back failed (${toWsdError(error).message}): restoring the saved state at once`);
      }
    }
    await this.restoreEverywhere(reason);
    await this.save({ phase: 'rolled-back', reason, paused: false, gate: undefined, rollingBack: undefined, rolledBackFrom: this.describe() });
    return { outcome: 'rolled-back', reason, progress: this.progress };
  }

  /** The instant flip on every meta cluster; one that does not take it is journaled and reported (resume finishes). */
  private async restoreEverywhere(reason: string): Promise<void> {
    await restoreOrRecord(this.ops, this.original, this.input, reason, {
      metas: this.deps.metas,
      sink: this.deps.sink,
      signal: this.deps.signal,
      stops: (error) => stopsWithoutRollback(error, this.deps.signal),
      scoresOf: (meta) => lastKnownScores(meta, this.original, this.progress, this.steps, this.input, this.ops),
      record: (incomplete) => this.save({ rollingBack: { ...(this.progress.rollingBack ?? { reason }), incomplete } }),
    });
  }

  private async save(change: Partial<ShiftProgress>): Promise<void> {
    this.progress = { ...this.progress, ...change };
    await this.deps.journal.recordStep(this.progress);
  }

  private describe(): string {
    const p = this.progress;
    if (p.phase === 'steps') return `step ${p.stepIndex + 1}/${this.steps.length} (${this.steps[p.stepIndex]} %)`;
    if (p.phase === 'staff') return 'the staff stage';
    if (p.phase === 'bake') return 'the bake at 100 %';
    if (p.phase === 'watch') return "the first generation's watch";
    if (p.phase === 'start') return 'the start';
    return p.phase;
  }

  private emit(level: 'info' | 'warn' | 'error', code: string, message: string, data?: Record<string, unknown>): void {
    this.deps.sink.emit({ level, code, step: 'traffic-shift', message, data });
  }
}
