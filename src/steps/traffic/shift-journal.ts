/**
 * The shift controller's {@link ShiftJournal} over the engine's journal: the
 * saved original state and the progress are step checkpoints (so `resume` and
 * `ctx.previous` hand them back after a crash), every decision record is a
 * journal record, and the last {@link KEPT_DECISIONS} decisions (in short form)
 * ride in the checkpoint too so `status` can show why the shift stands where it does.
 */
import type { MeasurementRecord } from '../../traffic/judges/measure.js';
import type { ClusterEvidence } from '../../traffic/judges/decision.js';
import type { OriginalSnapshot, ScoresInEffect, ShiftJournal, ShiftProgress } from '../../traffic/shift-ports.js';
import { CONCLUDED, type StepOutputs } from '../step.js';

const KEPT_DECISIONS = 20;

/** A decision record without the raw query values (those stay in the journal record). */
export interface DecisionSummary {
  at: string;
  stepIndex: number;
  percent: number;
  verdict: string;
  rule: string;
  message: string;
  /** fail, halt, inconclusive-pause: the limit that tripped, without the evidence. */
  limit?: string;
  /** The scores in effect during the measurement, per meta cluster and cluster. */
  scores?: ScoresInEffect;
  metrics: Array<{ metric: string; outcome: string; rule: string; message: string; dryRun: boolean; samples?: unknown; statistics?: unknown; clusters?: ClusterEvidence[] }>;
}

type DecisionInput = MeasurementRecord & { stepIndex: number; percent: number; scores?: ScoresInEffect };

interface ShiftCheckpointPorts {
  checkpoint(partial: StepOutputs): Promise<void>;
  record(code: string, message: string, data: Record<string, unknown>): Promise<void>;
  previous?: StepOutputs;
}

function summarise(record: DecisionInput): DecisionSummary {
  return {
    at: record.at,
    stepIndex: record.stepIndex,
    percent: record.percent,
    verdict: record.verdict,
    rule: record.rule,
    message: record.message,
    ...(record.limit ? { limit: record.limit } : {}),
    ...(record.scores ? { scores: record.scores } : {}),
    metrics: record.decisions.map((d) => ({
      metric: d.metric,
      outcome: d.outcome,
      rule: d.rule,
      message: d.message,
      dryRun: d.dryRun,
      samples: d.samples,
      statistics: d.statistics,
      ...(d.clusters ? { clusters: d.clusters } : {}),
    })),
  };
}

/** A ShiftJournal that also remembers the decision that made the shift fail (for the step's error). */
export class CheckpointShiftJournal implements ShiftJournal {
  private original?: OriginalSnapshot;
  private progress?: ShiftProgress;
  private decisions: DecisionSummary[];
  /** The last measurement whose verdict was fail or halt. */
  lastFailing?: DecisionSummary;

  constructor(private readonly ports: ShiftCheckpointPorts) {
    const prev = ports.previous ?? {};
    this.original = prev.original as OriginalSnapshot | undefined;
    this.progress = prev.progress as ShiftProgress | undefined;
    this.decisions = Array.isArray(prev.decisions) ? (prev.decisions as DecisionSummary[]) : [];
    this.lastFailing = prev.lastFailing as DecisionSummary | undefined;
  }

  async saveOriginalScores(snapshot: OriginalSnapshot): Promise<void> {
    this.original = snapshot;
    // Durable before the controller makes its first change: rollback depends on it.
    await this.ports.checkpoint({ original: snapshot });
    const metas = Object.keys(snapshot);
    const names = Object.keys(snapshot[metas[0] ?? ''] ?? {});
    await this.ports.record('traffic.original-saved', `saved the state of ${names.join(', ')} on ${metas.join(', ')} before the first change`, { original: snapshot });
  }

  async recordDecision(record: DecisionInput): Promise<void> {
    const summary = summarise(record);
    await this.ports.record('traffic.decision', `${record.verdict}: ${record.message}`, { ...record });
    this.decisions = [...this.decisions, summary].slice(-KEPT_DECISIONS);
    const partial: StepOutputs = { decisions: this.decisions };
    if (record.verdict === 'fail' || record.verdict === 'halt') {
      this.lastFailing = summary;
      partial.lastFailing = summary;
    }
    await this.ports.checkpoint(partial);
  }

  async recordStep(progress: ShiftProgress): Promise<void> {
    this.progress = progress;
    const concluded =
      progress.phase === 'rolled-back'
        ? { [CONCLUDED]: `its traffic shift rolled back: ${progress.reason ?? 'no reason recorded'}` }
        : progress.phase === 'failed'
          ? { [CONCLUDED]: `its first generation ${progress.aborted ? 'was aborted by an operator' : 'failed its gates'}: ${progress.reason ?? 'no reason recorded'}` }
          : {};
    await this.ports.checkpoint({ progress, ...concluded });
  }

  async load(): Promise<{ original?: OriginalSnapshot; progress?: ShiftProgress }> {
    return { original: this.original, progress: this.progress };
  }

  recent(): DecisionSummary[] {
    return [...this.decisions];
  }
}
