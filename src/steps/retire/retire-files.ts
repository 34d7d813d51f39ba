/** Where a standalone `retire --cluster NAME` keeps its progress (also what tells others the cluster is being retired), and how it is read. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WsdError } from '../../core/errors.js';
import type { EventSink } from '../../core/events.js';
import type { RetireProgress } from './retire-cluster.js';

export function progressFile(root: string, name: string): string {
  return join(root, 'retire', `${name}.json`);
}

/** The saved progress of a retirement; damaged content is refused with the fix, never a SyntaxError. */
export function readProgress(file: string, name: string): RetireProgress | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    parsed = undefined;
  }
  if (parsed === null) return undefined;
  const progress = parsed as Partial<RetireProgress> | undefined;
  if (typeof progress !== 'object' || !Array.isArray(progress.cordoned) || !Array.isArray(progress.deregistered)) {
    throw new WsdError('StateCorrupt', `the retirement progress of ${name} in ${file} is damaged; delete that file and run again: every step of the retirement is checked again (cordon, deregister and destroy are safe to repeat)`);
  }
  return progress as RetireProgress;
}

/**
 * Why saved `progress` cannot be the retirement of the `name` registered now (per meta cluster: the names it lists),
 * in words; undefined when it can. Deregistered from a meta cluster that lists it again, or destroyed (which
 * comes after every deregister) while one lists it: the cluster it was about is gone, this is another one.
 */
export function staleProgress(progress: RetireProgress, name: string, registeredOn: ReadonlyMap<string, ReadonlySet<string>>): string | undefined {
  const listing = [...registeredOn].filter(([, names]) => names.has(name)).map(([meta]) => meta);
  if (listing.length === 0) return undefined;
  if (progress.done) return `says the retirement of ${name} is done, but ${listing.join(', ')} lists it now`;
  const back = listing.filter((meta) => progress.deregistered.includes(meta));
  if (back.length > 0) return `says ${name} was deregistered from ${back.join(', ')}, which lists it now`;
  if (progress.destroyed) return `says ${name} was destroyed, but ${listing.join(', ')} lists it now`;
  return undefined;
}

/**
 * Which of clusters `names` a standalone retirement's progress in state dir `root` says are retired or being retired.
 * The progress file is a cache of that retirement, not the truth: progress the meta clusters' Lists contradict
 * (`staleProgress`: a name reused since, or a file copied in) is warned about (`retire.stale-progress`, the file and
 * why) and not counted, the rule `retire --cluster` applies before acting on it.
 */
export function retiredByProgress(root: string, names: readonly string[], registeredOn: ReadonlyMap<string, ReadonlySet<string>>, sink: EventSink): string[] {
  return names.filter((name) => {
    const file = progressFile(root, name);
    if (!existsSync(file)) return false;
    const progress = readProgress(file, name);
    if (!progress) return false;
    const stale = staleProgress(progress, name, registeredOn);
    if (!stale) return true;
    sink.emit({ level: 'warn', code: 'retire.stale-progress', cluster: name, message: `${file} ${stale}: it is not the progress of this ${name}'s retirement, so it is not taken as one (delete the file to be rid of this warning)` });
    return false;
  });
}
