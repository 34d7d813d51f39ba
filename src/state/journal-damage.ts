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

/** The error for deployment `id`, whose journal `path` is damaged at `line`. */
export function journalDamagedError(id: string, path: string, line: number, fix = journalDamageFix(path, line)): WsdError {
  return new WsdError('StateCorrupt', `deployment ${id}: journal ${path} line ${line} is not valid JSON (the journal was edited or damaged); ${fix}`, {
    details: { deploymentId: id, file: path, line },
  });
}

/** The same error for a listed damaged deployment. */
export function damagedListingError(summary: DeploymentSummary & { damaged: JournalDamage }): WsdError {
  return journalDamagedError(summary.id, summary.damaged.file, summary.damaged.line, summary.damaged.fix);
}

/**
 * True when damaged deployment `d` may belong to (project, environment): it does by its intact
 * records, or the damage hides which environment it belongs to.
 */
export function mayBelongTo(d: DeploymentSummary, key: { project: string; environment: string }): boolean {
  return d.project === '' || (d.project === key.project && d.environment === key.environment);
}
