/**
 * The state every registry (meta cluster) is left in, as the journal tells it:
 * the state saved before the shift, then what the shift's outcome and the
 * retirement did to it. Without a shift: what registration recorded.
 */
import { DEPLOYMENT_SCOPE } from '../steps/step.js';
import type { JournalRecord } from '../state/model.js';
import { checkpoints, isObject, arr, str } from './journal-reading.js';
import type { ShiftHistory } from './shift-history.js';

export interface RegistryRow {
  meta: string;
  cluster: string;
  state: string;
  score?: number;
  constraints: string[];
  note: string;
}

/** Phases of a shift under way: the old clusters' scores are the stage's, not the saved ones. */
const IN_PROGRESS = new Set(['staff', 'steps', 'bake']);

/**
 * A new cluster's constraints after the shift's last phase, as the shift controller changes them: the staff stage adds
 * the staff constraint, leaving it (the first step, a promotion, a first generation taking every start) removes every
 * copy, and a rollback puts back what the cluster was registered with. Unknown staff constraint (no staff stage, or a
 * journal from before it was recorded): as saved.
 */
function newConstraints(saved: readonly string[], last: string | undefined, staff: string | undefined): string[] {
  if (!staff) return [...saved];
  if (last === 'staff') return saved.includes(staff) ? [...saved] : [...saved, staff];
  if (last === 'steps' || last === 'bake' || last === 'done' || last === 'failed') return saved.filter((c) => c !== staff);
  return [...saved];
}

export function buildRegistries(records: readonly JournalRecord[], shift: ShiftHistory | undefined): RegistryRow[] {
  const rows: RegistryRow[] = [];
  const retire = checkpoints(records, DEPLOYMENT_SCOPE, 'retire-old-clusters').map((c) => c.outputs.progress).filter(isObject).at(-1) ?? {};
  const finalScore = (meta: string, name: string): number | undefined => shift?.scores.find((s) => s.meta === meta && s.cluster === name)?.points.at(-1)?.score;
  if (shift?.original) {
    const last = shift.stages.at(-1)?.phase;
    for (const [meta, clusters] of Object.entries(shift.original)) {
      for (const [name, c] of Object.entries(clusters)) {
        const isNew = shift.newClusters.some((n) => n.name === name);
        const retired = isObject(retire[name]) ? retire[name] : undefined;
        const deregistered = retired && arr(retired.deregistered).includes(meta);
        let state = c.state as string;
        let note = 'unchanged';
        if (deregistered) {
          state = 'DEREGISTERED';
          note = retired.destroyed ? 'retired: deregistered, destroyed' : 'retired: deregistered';
        } else if (last === 'rolled-back') {
          state = isNew ? 'CORDONED' : c.state;
          note = isNew ? 'rolled back: cordoned, score 0' : 'restored as saved before the shift';
        } else if (last === 'done') {
          state = isNew ? 'AVAILABLE' : 'CORDONED';
          note = isNew ? 'promoted: takes all new starts' : retired ? 'cordoned for retirement' : 'cordoned';
        } else if (isNew && last && last !== 'start') {
          state = 'AVAILABLE';
          note = `shift in progress (${shift.stages.at(-1)?.label ?? last})`;
        }
        const score = deregistered ? undefined : last === 'rolled-back' ? (isNew ? 0 : c.score) : (finalScore(meta, name) ?? c.score);
        // The old clusters' scores move from the first step on.
        if (!isNew && note === 'unchanged' && IN_PROGRESS.has(last ?? '')) note = `shift in progress (${shift.stages.at(-1)?.label ?? last})`;
        const constraints = isNew ? newConstraints(c.admissionConstraints ?? [], last, shift.staffConstraint) : (c.admissionConstraints ?? []);
        rows.push({ meta, cluster: name, state, ...(score !== undefined ? { score } : {}), constraints, note });
      }
    }
    return rows;
  }
  for (const r of records) {
    if (r.type !== 'step.succeeded' || r.step !== 'register-cluster') continue;
    for (const o of arr(r.outputs.outcomes)) {
      if (!isObject(o)) continue;
      const detail = str(o.detail) ?? '';
      rows.push({ meta: str(o.meta) ?? '?', cluster: r.cluster, state: /cordoned/.test(detail) ? 'CORDONED' : 'AVAILABLE', constraints: [], note: `${str(o.outcome) ?? 'registered'} (no traffic shift ran)` });
    }
  }
  return rows;
}
