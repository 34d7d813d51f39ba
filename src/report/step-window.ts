/**
 * When each step ran, relative to the deployment's start, so the summary and
 * `status` show truthfully which steps of a cluster overlapped (the releases
 * install together). From the journal's step times only.
 */
import type { StepRecordState } from '../state/model.js';

/** Offset from `origin` in seconds, e.g. `+12.3s` (`+1234s` past ten minutes: minutes would hide overlaps of short steps). */
function offset(at: string, origin: string): string {
  const s = (Date.parse(at) - Date.parse(origin)) / 1000;
  return `+${s < 600 ? s.toFixed(1) : Math.round(s)}s`;
}

/** `+1.2s→+3.4s` for a finished step, `+1.2s→` for one still running (or cut off), '' for one that never started. */
export function stepWindow(step: StepRecordState, origin: string): string {
  if (!step.startedAt) return '';
  return `${offset(step.startedAt, origin)}→${step.endedAt && step.state !== 'running' ? offset(step.endedAt, origin) : ''}`;
}

/** The other steps (of the same cluster) whose run overlapped this one's; a running step reaches to `now`. */
export function overlappingSteps(step: StepRecordState, siblings: readonly StepRecordState[], now: string): string[] {
  const span = (s: StepRecordState): [number, number] | undefined => {
    if (!s.startedAt) return undefined;
    const end = s.state === 'running' || !s.endedAt ? now : s.endedAt;
    return [Date.parse(s.startedAt), Date.parse(end)];
  };
  const mine = span(step);
  if (!mine) return [];
  return siblings.filter((o) => {
    if (o.name === step.name) return false;
    const other = span(o);
    return other !== undefined && other[0] < mine[1] && mine[0] < other[1];
  }).map((o) => o.name);
}
