/**
 * The file store's queue of shift commands (`shift pause|resume|promote|abort`, a gate answered at the prompt):
 * one file per command in `<state-dir>/<id>/control/`, named by its send time in ms, taken oldest first.
 *
 * A command file names the deployment it was sent to. The folder alone does not: a file copied into another
 * deployment's folder (a state dir put together from backups, a folder copied to start over), or one left from
 * an earlier deployment of a reused id, would otherwise steer a shift nobody sent it to — an abort rolling back a
 * healthy one. A file naming another deployment is never taken nor shown as pending; the operator is warned once,
 * with the file and what to do. Files written before the id was recorded carry none: they are taken when sent
 * after the deployment began (a sender of the older version steering a running deployment of this one) and
 * refused when older than the deployment itself, which no command meant for it can be.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { WsdError } from '../core/errors.js';
import type { ControlCommand } from '../steps/step.js';
import { isPermissionError, permissionError } from './deployment-dir-check.js';
import type { PendingControl } from './store.js';

/** What one command file holds, as `sendControl` writes it. */
interface ControlFileBody {
  /** The deployment it was sent to; absent in files written before it was recorded. */
  deployment?: string;
  command: ControlCommand;
  by?: string;
}

/** The name and content of a new command file for deployment `id`: names sort by time, the random tail keeps two senders in one millisecond apart. */
export function controlFile(id: string, command: ControlCommand, by?: string, now = Date.now()): { name: string; text: string } {
  const body: ControlFileBody = { deployment: id, command, ...(by ? { by } : {}) };
  return { name: `${now.toString().padStart(15, '0')}-${randomBytes(3).toString('hex')}.json`, text: JSON.stringify(body) };
}

/** A command file read for deployment `id`: the command it queues, or why it is not this deployment's (the warning). */
export type ReadControl = { pending: PendingControl } | { foreign: string };

/**
 * Command file `name` (content `text`, in folder `dir`) read for deployment `id`. `startedAt` gives the deployment's
 * start (asked only for a file without an id; undefined when unknown, and such a file is then taken as before).
 * Throws on a file that is no command file (half-written, not JSON): callers skip those as they always did.
 */
export function readControl(dir: string, name: string, text: string, id: string, startedAt: () => string | undefined): ReadControl {
  const { deployment, command, by } = JSON.parse(text) as { deployment?: unknown; command: ControlCommand; by?: unknown };
  const sentAt = new Date(Number(name.slice(0, 15))).toISOString();
  const path = join(dir, name);
  const fix = `if "${command}" is meant for deployment ${id}, send it again with \`ws-deployment shift ${command} ${id}\`; then remove the file (\`rm ${path}\`)`;
  if (deployment !== undefined && deployment !== id) {
    return { foreign: `${path} queues "${command}" for deployment ${String(deployment)}, not for ${id} (copied into its folder, or left from an earlier deployment): not taken; ${fix}` };
  }
  if (deployment === undefined) {
    const started = startedAt();
    if (started !== undefined && sentAt < started) {
      return { foreign: `${path} queues "${command}" sent at ${sentAt}, before deployment ${id} began (${started}), and names no deployment: it is no command for this one (copied or left from an earlier deployment), not taken; ${fix}` };
    }
  }
  return { pending: { command, sentAt, ...(typeof by === 'string' ? { by } : {}) } };
}

/**
 * The folder of deployment `id`'s queued shift commands, undefined when none was ever queued. One that is
 * no folder of the state dir (a file, a symlink) is said with the fix, not read through or past.
 */
export function controlDir(root: string, id: string): string | undefined {
  const dir = join(root, id, 'control');
  let entry;
  try {
    entry = lstatSync(dir);
  } catch (error) {
    if (isPermissionError(error)) throw permissionError(dir, 'inspect', error);
    return undefined;
  }
  if (entry.isDirectory()) return dir;
  throw new WsdError(
    'StateCorrupt',
    `${dir} is ${entry.isSymbolicLink() ? 'a symlink' : 'a file'}, not the folder of the shift commands queued for deployment ${id}: move it out of the state dir, then send the commands again (\`ws-deployment shift pause|resume|promote|abort ${id}\`)`,
  );
}

/** The command file names in control folder `dir`, oldest first; one this user may not list is said with the fix, never as an internal error. */
export function listControl(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if (isPermissionError(error)) throw permissionError(dir, 'list the shift commands queued in', error);
    const code = (error as NodeJS.ErrnoException).code;
    throw new WsdError('StateIo', `cannot list ${dir} (${code ?? (error as Error).message}): check the state dir`, { cause: error });
  }
  return names.filter((n) => n.endsWith('.json')).sort();
}

/** The text of command file `path`, or undefined when it is gone (taken meanwhile by a concurrent reader). */
export function readControlText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
