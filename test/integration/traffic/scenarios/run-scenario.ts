/**
 * Runs one labelled scenario through the REAL CLI: generation 1 (`deploy
 * --cluster-id 100`), then generation 2 (`--cluster-id 101`) whose shift the
 * analysis gates on the real Prometheus. The driver follows generation 2's
 * journal (as `status --watch` does) and moves the exporter's traffic with the
 * shift: at p % the new cluster takes p % of the starts; a scenario's change
 * applies when the shift reaches its stage. So load can only delay what the
 * judges see, never reorder it.
 *
 * Outcome (from the journal, checked against the exit code):
 * `traffic.done` → promote; `traffic.rollback` → roll back; a decision with verdict
 * `inconclusive-pause` → pause-for-human (then the run is interrupted);
 * `traffic.first-generation-failed` → fail-first-generation.
 * Time to detect, two figures, both from the moment the driver applied the bad change (`badAtMs`)
 * and in shift intervals:
 * - wall-clock (`detectIntervals`): to the `at` of the first journaled `fail`/`halt` decision, i.e.
 *   when that measurement actually ran: includes how late a loaded machine ran it;
 * - scheduled (`detectScheduledIntervals`): to the time the controller's schedule set for that same
 *   measurement (its stage's `phaseStartedAtMs` + stage delay + k × tick, stage-schedule.ts, read from
 *   the journal's progress checkpoint before the decision). How many measurements the evidence needed,
 *   independent of how late each one ran. Load makes the driver apply the change later, which shortens it;
 *   it grows only when a measurement outlasts a whole interval (the controller skips the slots that passed).
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJournal } from '../../../../src/state/file-store.js';
import type { JournalRecord } from '../../../../src/state/model.js';
import { startCli, type CliResult } from '../../../helpers/cli.js';
import type { Traffic } from '../scenario-exporter.js';
import { INTERVAL_MS, type Label, type Scenario, type Stage } from './catalog.js';
import { configText } from './configs.js';

export type Outcome = Label | 'timeout' | 'error';

export interface ScenarioResult {
  id: string;
  name: string;
  kind: string;
  config: string;
  label: Label;
  outcome: Outcome;
  /** Rule of the first failing (or pausing) decision. */
  rule?: string;
  /** Intervals from the bad change to the journaled rollback decision (wall clock: when it ran). */
  detectIntervals?: number;
  /** Intervals from the bad change to the time the schedule set for that decision (load-independent). */
  detectScheduledIntervals?: number;
  /** Seconds from the scenario's start to its outcome, and of generation 1's deploy. */
  seconds: number;
  gen1Seconds?: number;
  measurements: number;
  /** Generation 2's decisions in order, `percent:verdict:metric rules` (why a detection took the intervals it took). */
  decisions?: string[];
  detail?: string;
}

/** What the driver changes on the exporter (it runs in its own process: exporter-process.ts). */
export interface TrafficControl {
  set(scenario: string, cluster: string, traffic: Partial<Traffic>): void;
  setScenarioVisible(scenario: string, visible: boolean): void;
}

export interface RunOptions {
  exporter: TrafficControl;
  /**
   * A state dir holding a deployed generation 1 (`--cluster-id 100`) without a first-generation
   * watch: copied (state dirs are relocatable) instead of deploying generation 1 again, which was
   * most of the suite's cost. Scenarios that watch generation 1 still deploy it themselves.
   */
  gen1Template?: () => Promise<string>;
  prometheusUrl: string;
  /** A URL where nothing listens (the "prometheus unreachable" scenarios). */
  deadUrl: string;
  /** When the old cluster's traffic began (the baseline before the shift needs history). */
  oldSinceMs: number;
  timeoutMs?: number;
}

const OLD = 'eu100';
const NEW = 'eu101';
/** The Mann-Whitney baseline at 100 % reads 24 s before the shift (configs.ts): have that much history and a margin. */
const HISTORY_MS = 28_000;
/** Configs whose generation 1 is watched (firstGenerationWatch): never copied from the template. */
const WATCHED: readonly string[] = ['ratio-watch', 'p95-watch'];

type EventRecord = Extract<JournalRecord, { type: 'event' }>;
type CheckpointRecord = Extract<JournalRecord, { type: 'step.checkpoint' }>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runScenario(s: Scenario, o: RunOptions): Promise<ScenarioResult> {
  const dir = mkdtempSync(join(tmpdir(), `wsd-prom-${s.id}-`));
  const config = join(dir, 'deploy.yaml');
  const stateDir = join(dir, 'state');
  writeFileSync(config, configText(s.config, s.id, s.prometheusDown ? o.deadUrl : o.prometheusUrl));
  const common = ['--config', config, '--state-dir', stateDir];
  const base: Pick<ScenarioResult, 'id' | 'name' | 'kind' | 'config' | 'label' | 'measurements' | 'gen1Seconds'> = { id: s.id, name: s.name, kind: s.kind, config: s.config, label: s.label, measurements: 0 };
  const started = Date.now();
  try {
    if (o.gen1Template && !WATCHED.includes(s.config)) {
      cpSync(await o.gen1Template(), stateDir, { recursive: true });
      base.gen1Seconds = 0;
    } else {
      // Generation 1: judged by itself only with firstGenerationWatch.
      const gen1 = await startCli(['deploy', ...common, '--cluster-id', '100']).done;
      const gen1Failed = /first generation failed its gates/.test(gen1.stdout + gen1.stderr);
      if (s.firstGenerationBad || gen1.code !== 0) {
        const outcome: Outcome = gen1.code === 1 && gen1Failed ? 'fail-first-generation' : gen1.code === 0 ? 'promote' : 'error';
        const gen1Dir = existsSync(stateDir) ? readdirSync(stateDir).find((d) => /^\d{8}-/.test(d)) : undefined;
        const gen1Records = gen1Dir ? readJournal(join(stateDir, gen1Dir, 'journal.ndjson')) : [];
        const failing = events(gen1Records, 'traffic.decision').map((e) => e.data as { verdict: string; decisions?: Array<{ outcome: string; rule: string }> }).find((d) => d.verdict === 'fail');
        const rule = failing?.decisions?.find((d) => d.outcome === 'fail')?.rule;
        return { ...base, outcome, rule, seconds: (Date.now() - started) / 1000, detail: outcome === 'error' ? tail(gen1) : undefined };
      }
      base.gen1Seconds = Math.round((Date.now() - started) / 100) / 10;
    }
    const gen1Id = readdirSync(stateDir).find((d) => /^\d{8}-/.test(d));

    // Generation 2's cluster exists (it reports, with no starts: it is cordoned) unless it never reports.
    o.exporter.set(s.id, NEW, { ...s.new, rate: 0 });
    await sleep(Math.max(0, o.oldSinceMs + HISTORY_MS - Date.now()));
    const run = startCli(['deploy', ...common, '--cluster-id', '101']);
    let exited: CliResult | undefined;
    void run.done.then((r) => (exited = r));
    const seen = new Set<Stage>();
    let badAtMs: number | undefined;
    let paused = false;
    const deadline = Date.now() + (o.timeoutMs ?? 300_000);
    let records: JournalRecord[] = [];
    const journalPath = () => {
      const id = existsSync(stateDir) ? readdirSync(stateDir).find((d) => /^\d{8}-/.test(d) && d !== gen1Id) : undefined;
      return id ? join(stateDir, id, 'journal.ndjson') : undefined;
    };
    while (Date.now() < deadline) {
      const path = journalPath();
      records = path && existsSync(path) ? readJournal(path) : [];
      const stage = currentStage(records);
      if (stage && !seen.has(stage)) {
        // Stages only move forward: a stage seen late still applies every earlier change first.
        for (const st of ['step1', 'step2', 'bake'] as const) {
          if (seen.has(st)) continue;
          seen.add(st);
          const percent = st === 'step1' ? 50 : 100;
          o.exporter.set(s.id, OLD, { rate: (s.rate * (100 - percent)) / 100 });
          o.exporter.set(s.id, NEW, { rate: (s.rate * percent) / 100 });
          for (const c of s.changes ?? []) {
            if (c.at !== st) continue;
            if (c.old) o.exporter.set(s.id, OLD, c.old);
            if (c.new) o.exporter.set(s.id, NEW, c.new);
            if (c.scrapeBroken) o.exporter.setScenarioVisible(s.id, false);
            if (c.bad) badAtMs = Date.now();
          }
          if (st === stage) break;
        }
      }
      const decisions = events(records, 'traffic.decision');
      if (decisions.some((d) => (d.data as { verdict?: string }).verdict === 'inconclusive-pause') && !paused) {
        paused = true;
        run.child.kill('SIGINT');
      }
      if (exited) break;
      await sleep(250);
    }
    if (!exited) {
      run.child.kill('SIGKILL');
      await run.done;
    }
    const result = exited as CliResult | undefined;
    const path = journalPath();
    records = path && existsSync(path) ? readJournal(path) : records;
    const decisions = events(records, 'traffic.decision').map((e) => e.data as { at: string; percent: number; verdict: string; rule: string; decisions?: Array<{ outcome: string; rule: string }> });
    const deciding = decisions.find((d) => d.verdict === 'fail' || d.verdict === 'halt' || d.verdict === 'inconclusive-pause');
    const firstBadRule = deciding?.decisions?.find((d) => d.outcome === 'fail' || d.outcome === 'error' || d.outcome === 'inconclusive')?.rule ?? deciding?.rule;
    const has = (code: string) => events(records, code).length > 0;
    let outcome: Outcome = 'timeout';
    if (paused) outcome = 'pause-for-human';
    else if (has('traffic.done') && result?.code === 0) outcome = 'promote';
    else if (has('traffic.rollback') && result?.code === 1) outcome = 'roll back';
    else if (result) outcome = 'error';
    const rolledBack = decisions.find((d) => d.verdict === 'fail' || d.verdict === 'halt');
    const detectIntervals = outcome === 'roll back' && rolledBack && badAtMs !== undefined ? (Date.parse(rolledBack.at) - badAtMs) / INTERVAL_MS : undefined;
    const scheduledAt = rolledBack ? scheduledAtMs(records, rolledBack) : undefined;
    const detectScheduled = outcome === 'roll back' && scheduledAt !== undefined && badAtMs !== undefined ? (scheduledAt - badAtMs) / INTERVAL_MS : undefined;
    const round2 = (x: number | undefined) => (x === undefined ? undefined : Math.round(x * 100) / 100);
    return {
      ...base,
      outcome,
      rule: firstBadRule,
      detectIntervals: round2(detectIntervals),
      detectScheduledIntervals: round2(detectScheduled),
      seconds: Math.round((Date.now() - started) / 100) / 10,
      measurements: decisions.length,
      decisions: decisions.map((d) => `${d.percent}:${d.verdict}:${(d.decisions ?? []).map((m) => m.rule).join('+') || d.rule}`),
      detail: outcome === 'error' || outcome === 'timeout' ? (result ? tail(result) : 'no exit before the timeout') : undefined,
    };
  } finally {
    o.exporter.setScenarioVisible(s.id, false);
    // `WSD_SCENARIO_JOURNALS=DIR` keeps each scenario's journals (decision records) for diagnosis.
    const keep = process.env.WSD_SCENARIO_JOURNALS;
    if (keep && existsSync(stateDir)) cpSync(stateDir, join(keep, `${s.id}-${Date.now()}`), { recursive: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * When the controller's schedule set the measurement journaled as `decision`: the progress checkpoint
 * before it holds its stage's start and the measurements the stage had, the `traffic.clusters` event the
 * tick and the first step's initialDelay (shift-controller.ts `measureUntil`, stage-schedule.ts).
 */
function scheduledAtMs(records: readonly JournalRecord[], decision: { at: string }): number | undefined {
  const clusters = events(records, 'traffic.clusters')[0]?.data as { measureEveryMs?: number; intervalMs?: number; initialDelayMs?: number } | undefined;
  const tick = clusters?.measureEveryMs ?? clusters?.intervalMs ?? INTERVAL_MS;
  let progress: { phase?: string; stepIndex?: number; phaseStartedAtMs?: number; measurementsInStep?: number } | undefined;
  for (const r of records) {
    if (r.type === 'event' && r.code === 'traffic.decision' && (r.data as { at?: string }).at === decision.at) break;
    if (r.type === 'step.checkpoint') progress = ((r as CheckpointRecord).outputs?.progress as typeof progress) ?? progress;
  }
  if (progress?.phaseStartedAtMs === undefined || progress.measurementsInStep === undefined) return undefined;
  const delay = (progress.phase === 'steps' && progress.stepIndex === 0) || progress.phase === 'watch' ? (clusters?.initialDelayMs ?? 0) : 0;
  return progress.phaseStartedAtMs + delay + (progress.measurementsInStep + 1) * tick;
}

/** The shift stage generation 2's journal says it is in (its latest progress checkpoint). */
function currentStage(records: readonly JournalRecord[]): Stage | undefined {
  let stage: Stage | undefined;
  for (const r of records) {
    if (r.type !== 'step.checkpoint') continue;
    const progress = (r as CheckpointRecord).outputs?.progress as { phase?: string; stepIndex?: number } | undefined;
    if (!progress) continue;
    if (progress.phase === 'steps') stage = progress.stepIndex === 0 ? 'step1' : 'step2';
    if (progress.phase === 'bake') stage = 'bake';
  }
  return stage;
}

function events(records: readonly JournalRecord[], code: string): EventRecord[] {
  return records.filter((r): r is EventRecord => r.type === 'event' && r.code === code);
}

function tail(r: CliResult): string {
  return `exit ${r.code}: ${(r.stdout + r.stderr).split('\n').filter(Boolean).slice(-6).join(' | ')}`;
}

export type { Traffic };
