/**
 * What to notify about, as a pure function of journal records: a renderer of
 * the journal like the summary and the report. `NotificationState` carries the
 * little that spans records (the deployment id, the last failing decision, for
 * the rollback's evidence).
 */
import { retirementProgress } from '../report/retirement-progress.js';
import { DEPLOYMENT_SCOPE } from '../steps/step.js';
import { partialNote, type JournalRecord, type Snapshot } from '../state/model.js';
import { deploymentOutcome, type DeploymentOutcome, type Severity } from '../report/outcome.js';
import { retryShiftCommand, shiftRetryable } from '../state/resumable.js';
import { heldGateLine } from '../report/shift-gates.js';
import { arr, isObject, num, str } from '../report/journal-reading.js';
import type { NotificationKind } from './config.js';

export interface Notification {
  kind: NotificationKind;
  deploymentId: string;
  time: string;
  title: string;
  /**
   * The title in a few words, where a receiver's header cannot take the whole one (Slack's, 150 characters): `deployment
   * X: first generation aborted` for one whose title names who aborted it and when. The whole title then opens the text.
   */
  headline?: string;
  text: string;
  /** Machine-readable details (evidence, command to run, state). */
  data: Record<string, unknown>;
  /** What the receiver colours it by (a failed deployment is never green). */
  severity: Severity;
}

export interface NotificationState {
  deploymentId: string;
  lastFailing?: Record<string, unknown>;
}

/** The failing metrics of a decision, with the evidence the record carries. */
function evidenceOf(decision: Record<string, unknown> | undefined): Array<Record<string, unknown>> {
  return arr(decision?.decisions)
    .filter(isObject)
    .filter((d) => d.outcome === 'fail' || d.outcome === 'halt' || d.outcome === 'error')
    .map((d) => {
      const values = arr(d.queries).filter(isObject).filter((q) => q.purpose === undefined || q.purpose === 'value').map((q) => ({ cluster: str(q.cluster), side: str(q.side), query: str(q.query), value: num(arr(q.values)[0]) }));
      const { queries: _q, warnings: _w, ...rest } = d;
      return { ...rest, ...(values.length ? { values } : {}) };
    });
}

/**
 * `snapshot` is the deployment after `record`: how a deployment ended depends on more than its last record (a
 * rollback, a promotion, a gate may be records of an earlier run that this one resumed).
 */
export function notificationsFor(record: JournalRecord, state: NotificationState, snapshot: () => Snapshot): Notification[] {
  const id = state.deploymentId;
  const base = { deploymentId: id, time: record.time };
  switch (record.type) {
    case 'deployment.created':
      state.deploymentId = record.id;
      return [{ ...base, deploymentId: record.id, kind: 'deployment-started', severity: 'info', title: `deployment ${record.id} started`, text: `${record.inputs.project}/${record.inputs.environment}: clusters ${record.clusters.map((c) => c.shortName).join(', ')}`, data: { clusterId: record.clusterId, clusters: record.clusters.map((c) => c.name) } }];
    case 'deployment.resumed':
      return [{ ...base, kind: 'deployment-started', severity: 'info', title: `deployment ${id} resumed`, text: `resumed by process ${record.pid}`, data: { resumed: true } }];
    case 'deployment.finished': {
      const snap = snapshot();
      const told = deploymentOutcome(snap);
      // A partial run says how many steps it left; where `resume` is what comes next, the command that runs it.
      const partial = record.state === 'partial' ? { excluded: record.excluded ?? 0 } : undefined;
      // A rolled-back shift that can start again: the command is the retry its `next` offers (a plain `resume` refuses it).
      const resumes = partial || told.outcome === 'interrupted' || told.next?.includes(`\`ws-deployment resume ${id}\``);
      const command = resumes ? `ws-deployment resume ${id}` : shiftRetryable(snap) ? retryShiftCommand(id) : undefined;
      // A shift held at a gate (or paused) that this run leaves: the commands that answer it, as `status` says them.
      const held = heldGateLine(snap);
      const retirement = retirementProgress(snap);
      const data = { state: record.state, outcome: told.outcome, ...(retirement ? { retirement } : {}), ...(partial ?? {}), ...(command ? { command } : {}), ...(told.next ? { next: told.next } : {}), ...(held ? { held } : {}), ...(record.error ? { error: record.error } : {}) };
      return [{ ...base, kind: 'deployment-finished', severity: told.severity, title: `deployment ${id} ${told.words}`, headline: `deployment ${id}: ${told.outcome.replaceAll('-', ' ')}`, text: finishedText(record, snap, told), data }];
    }
    case 'step.succeeded':
      if (record.cluster === DEPLOYMENT_SCOPE && record.step === 'retire-old-clusters') {
        const retired = arr(record.outputs.retired).filter(isObject).map((r) => str(r.name) ?? '?');
        return [{ ...base, kind: 'retirement-done', severity: 'success', title: `deployment ${id}: retirement done`, text: retired.length ? `retired ${retired.join(', ')}` : 'nothing to retire', data: { retired: record.outputs.retired ?? [] } }];
      }
      return [];
    case 'step.checkpoint': {
      const p = record.outputs.progress;
      if (record.step !== 'traffic-shift' || !isObject(p) || p.phase !== 'rolled-back') return [];
      // An operator's abort decided it (who, when): an earlier failing measurement is not its evidence.
      const aborted = isObject(p.aborted) && typeof p.aborted.at === 'string' ? p.aborted : undefined;
      const failing = aborted ? undefined : state.lastFailing;
      const evidence = evidenceOf(failing);
      return [{ ...base, kind: 'rolled-back', severity: 'failure', title: `deployment ${id}: traffic shift rolled back`, text: `rolled back${p.rolledBackFrom ? ` from ${String(p.rolledBackFrom)}` : ''}: ${str(p.reason) ?? 'no reason recorded'}`, data: { reason: p.reason, from: p.rolledBackFrom, evidence, ...(aborted ? { aborted } : {}), ...(failing ? { decision: { at: failing.at, verdict: failing.verdict, rule: failing.rule, message: failing.message, percent: failing.percent } } : {}) } }];
    }
    case 'event':
      return eventNotifications(record, state, base);
    default:
      return [];
  }
}

/**
 * What follows the finished title (Slack shows `title: text`): never the title again, but what it does not say: what
 * ran, what is left, what failed and what to do next.
 */
function finishedText(record: Extract<JournalRecord, { type: 'deployment.finished' }>, snap: Snapshot, told: DeploymentOutcome): string {
  const id = snap.id;
  if (record.state === 'partial') return partialNote({ id }, record.excluded ?? 0);
  const held = heldGateLine(snap);
  // The interruption's error is the title and the next command: the command alone, and a gate it stopped at with what answers it.
  if (record.state === 'interrupted') return [`continue it with \`ws-deployment resume ${id}\``, ...(held ? [held] : [])].join('\n');
  if (record.state === 'succeeded') return `${snap.inputs.project}/${snap.inputs.environment}: every step succeeded on ${snap.clusters.map((c) => c.shortName).join(', ') || 'no clusters'}`;
  const retirement = retirementProgress(snap)?.line;
  const lines = [record.error?.message ?? record.state, ...(retirement ? [retirement] : []), ...(told.next ? [`Next: ${told.next}`] : []), ...(held ? [held] : [])];
  return lines.join('\n');
}

function eventNotifications(record: Extract<JournalRecord, { type: 'event' }>, state: NotificationState, base: { deploymentId: string; time: string }): Notification[] {
  const id = state.deploymentId;
  switch (record.code) {
    case 'traffic.decision': {
      const data = record.data ?? {};
      if (data.verdict !== 'fail' && data.verdict !== 'halt') return [];
      state.lastFailing = data;
      return [{ ...base, kind: 'gate-failed', severity: 'failure', title: `deployment ${id}: gate failed`, text: str(data.message) ?? record.message, data: { verdict: data.verdict, rule: data.rule, percent: data.percent, evidence: evidenceOf(data) } }];
    }
    case 'traffic.step':
    case 'traffic.done':
      return [{ ...base, kind: 'step-promoted', severity: record.code === 'traffic.done' ? 'success' : 'info', title: `deployment ${id}: ${record.code === 'traffic.done' ? 'promoted' : 'shift step'}`, text: record.message, data: { ...(num(record.data?.percent) !== undefined ? { percent: record.data?.percent } : {}) } }];
    case 'traffic.gate': {
      const command = `ws-deployment shift resume ${id}`;
      // The gate and where it holds, without the event's own command (journals before 2026-12 wrote it without the id).
      const asked = record.message.replace(/: waiting for `ws-deployment [^`]*`.*$/s, '');
      return [{ ...base, kind: 'gate-waiting', severity: 'attention', title: `deployment ${id}: waiting at a manual gate`, text: `${asked}. Approve: \`${command}\` (or \`ws-deployment shift promote ${id}\` / \`ws-deployment shift abort ${id}\`)`, data: { gate: record.data?.gate, command, promote: `ws-deployment shift promote ${id}`, abort: `ws-deployment shift abort ${id}` } }];
    }
    case 'retire.gate': {
      // The retirement's beforeDestroy gate waits as the shift's gates do (`status` says so with these commands).
      const what = str(record.data?.what);
      const command = `ws-deployment shift resume ${id}`;
      const abort = `ws-deployment shift abort ${id}`;
      return [{ ...base, kind: 'gate-waiting', severity: 'attention', title: `deployment ${id}: waiting at the manual gate beforeDestroy`, text: `${what ? `about to ${what}. ` : ''}Approve: \`${command}\`; refuse (nothing is changed): \`${abort}\``, data: { gate: 'beforeDestroy', ...(what ? { what } : {}), command, abort } }];
    }
    default:
      return [];
  }
}
