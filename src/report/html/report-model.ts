/** Everything the HTML report shows, built from a deployment's journal records alone. */
import { applyRecord, excludedPending, partialNote, type JournalRecord, type Snapshot } from '../../state/model.js';
import { buildGates, type DecisionRow, type GateSeries } from '../gate-series.js';
import { buildRegistries, type RegistryRow } from '../registry-final.js';
import { buildShiftHistory, type ShiftHistory } from '../shift-history.js';
import { overBecause, supersededLine } from '../summary.js';
import { deploymentOutcome } from '../outcome.js';
import { buildTimeline, cutOff, type TimelineBar } from '../timeline.js';
import { processGone } from '../../state/liveness.js';
import { heldGateLine } from '../shift-gates.js';
import { retirementProgress } from '../retirement-progress.js';
import { waitingGateLine } from '../watch/watch-view.js';

export interface ReportModel {
  snapshot: Snapshot;
  bars: TimelineBar[];
  shift?: ShiftHistory;
  gates: GateSeries[];
  decisions: DecisionRow[];
  registries: RegistryRow[];
  /** Deliveries of notifications, as journaled. */
  notifications: Array<{ time: string; message: string; level: string }>;
  span: { t0: number; t1: number };
  /** When the report was made (for running deployments). */
  generatedAt: string;
  /**
   * A partial deployment: how many steps are left and what runs them. Part of the model, not worded at
   * render time, so the CLI completes its `resume` command with the state flags like every other one.
   */
  partial?: { excluded: number; message: string };
  /** A failed deployment's next step, as the summary says it (report/outcome.ts); worded here for the same reason as `partial`. */
  next?: string;
  /** Set when a newer deployment of the environment superseded this unfinished one: why nothing resumes it, what is left. */
  superseded?: string;
  /** A shift held at a manual gate (or paused) that no process runs: where, and the commands that answer it, as `status` says it. */
  held?: string;
  /** A retirement that stopped part-way: which old clusters were destroyed, which are still registered or exist, as `status` says it. */
  retirement?: string;
  /** A running deployment waiting at a manual gate: which, and the command that answers it, as `status` says it. */
  waiting?: string;
}

/**
 * `processGone`: the journal says running but no process runs it (killed): shown as interrupted, its
 * running steps cut off at the last record rather than stretched to the time the report is made; `copied`
 * says why when the lock was copied along with the state dir from one where the run lives on.
 */
export function buildReportModel(records: readonly JournalRecord[], now: Date = new Date(), options: { processGone?: boolean; copied?: string; supersededBy?: string } = {}): ReportModel {
  let replayed: Snapshot | undefined;
  for (const r of records) replayed = applyRecord(replayed, r);
  if (!replayed) throw new Error('the journal has no deployment.created record');
  const gone = options.processGone === true && replayed.state === 'running';
  // `copied`: this state dir is a copy and the run lives on in the original: as `status` says it, resume once it is over.
  const live = gone ? processGone(replayed, options.copied) : replayed;
  // As `status` says it: a newer promoted deployment made this one over (the reader's fact, never journaled).
  const snapshot = options.supersededBy && live.state !== 'succeeded' ? { ...live, supersededBy: options.supersededBy } : live;
  const superseded = supersededLine(snapshot);
  const held = heldGateLine(snapshot);
  const retirement = retirementProgress(snapshot)?.line;
  const waiting = waitingGateLine(records, snapshot);
  const { next } = deploymentOutcome(snapshot);
  const shift = buildShiftHistory(records);
  const { gates, decisions } = buildGates(records, shift?.gates);
  const t0 = Date.parse(snapshot.createdAt);
  const last = Date.parse(records.at(-1)?.time ?? snapshot.updatedAt);
  const t1 = Math.max(t0 + 1000, snapshot.state === 'running' ? Math.max(last, now.getTime()) : last);
  const over = overBecause(snapshot);
  const timeline = buildTimeline(records);
  if (gone) cutOff(timeline, new Date(last).toISOString());
  const bars = timeline.map((b): TimelineBar => (over && (b.state === 'pending' || b.state === 'excluded') ? { ...b, state: 'not run', detail: over } : b));
  return {
    snapshot,
    bars,
    shift,
    gates,
    decisions,
    registries: buildRegistries(records, shift),
    notifications: records.flatMap((r) => (r.type === 'event' && r.code.startsWith('notify.') ? [{ time: r.time, message: r.message, level: r.level }] : [])),
    span: { t0, t1 },
    generatedAt: now.toISOString(),
    ...(snapshot.state === 'partial' && !over ? { partial: partialOf(snapshot) } : {}),
    ...(superseded ? { superseded } : {}),
    ...(next ? { next } : {}),
    ...(held ? { held } : {}),
    ...(retirement ? { retirement } : {}),
    ...(waiting ? { waiting } : {}),
  };
}

function partialOf(snapshot: Snapshot): { excluded: number; message: string } {
  const excluded = excludedPending(snapshot).length;
  return { excluded, message: partialNote(snapshot, excluded) };
}
