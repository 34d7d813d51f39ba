/**
 * A journal damaged in the middle (a line that is no JSON record, not the last one a crash
 * may cut): the journal is the truth, so nothing guesses past that line. Every reader that
 * meets one says the same thing: which deployment, which file and line, and what to do.
 */
import { dirname } from 'node:path';
import { WsdError } from '../core/errors.js';
import type { DeploymentSummary, JournalDamage } from './store.js';

/** What to do about journal `path` damaged at `line`: repair it, or take the deployment out of the dir. */
export function journalDamageFix(path: string, line: number): string {
  return (
    `restore ${path} from a backup of the state dir, or repair line ${line} by hand (one JSON record per line); ` +
    `if the deployment is over, move its folder ${dirname(path)} out of the state dir (its clusters stay as they are: check them with \`ws-deployment clusters list\`)`
  );
}

/**
 * What to do about a deployment folder whose journal cannot be read at all (missing, emptied, not a
 * file, or the folder itself not one of the state dir): its clusters may exist, so never "no deployment".
 */
export function journalLostFix(path: string, folder: string): string {
  return (
    `restore ${path} from a backup of the state dir (the journal is the truth: snapshot.json and the other files are only caches of it); ` +
    `if the deployment is over, move ${folder} out of the state dir (its clusters stay as they are: check them with \`ws-deployment clusters list\`)`
  );
}

/** How a damaged journal is said: where it is and what is wrong with it. */
export function damageWords(damage: Pick<JournalDamage, 'file' | 'line' | 'problem'>): string {
  return damage.problem ? `${damage.file} ${damage.problem}` : `journal ${damage.file} line ${damage.line} is not valid JSON (the journal was edited or damaged)`;
}

/** The error for deployment `id`, whose journal `path` is damaged at `line` (or, with `problem`, cannot be read at all). */
export function journalDamagedError(id: string, path: string, line: number, fix = journalDamageFix(path, line), problem?: string): WsdError {
  return new WsdError('StateCorrupt', `deployment ${id}: ${damageWords({ file: path, line, problem })}; ${fix}`, {
    // The parts, for readers that say them apart (`plan`: the fix instead of a `resume` that refuses the same way).
    details: { deploymentId: id, file: path, line, fix, ...(problem ? { problem } : {}) },
  });
}

/** The same error for a listed damaged deployment. */
export function damagedListingError(summary: DeploymentSummary & { damaged: JournalDamage }): WsdError {
  return journalDamagedError(summary.id, summary.damaged.file, summary.damaged.line, summary.damaged.fix, summary.damaged.problem);
}

/**
 * True when damaged deployment `d` may belong to (project, environment): it does by its intact
 * records, or the damage hides which environment it belongs to.
 */
export function mayBelongTo(d: DeploymentSummary, key: { project: string; environment: string }): boolean {
  return d.project === '' || (d.project === key.project && d.environment === key.environment);
}
