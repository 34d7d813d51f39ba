/**
 * What `deploy` would do at its start about the environment's earlier runs, read without taking the lock, for
 * `plan` to say before anyone runs it: refused because a run holds the environment's lock, refused because an
 * earlier deployment did not finish (the very check `deploy` makes: {@link unfinishedRefusal}), or starts.
 */
import type { LoadedConfig } from '../config/load.js';
import { dirname } from 'node:path';
import { describeHolder } from '../state/file-lock.js';
import { damageWords } from '../state/journal-damage.js';
import type { LockHolder } from '../state/store.js';
import { shellQuote } from '../core/next-command.js';
import { lockKey, unfinishedRefusal, type EngineDeps, type EngineOptions } from './deployment.js';

export interface StartRefusal {
  /** The error `deploy` would stop with (exit code 3). */
  code: 'LockHeld' | 'ResumeRefused';
  /** `deploy`'s own message. */
  message: string;
  /** The deployment in the way (absent for a damaged journal that hides it). */
  deploymentId?: string;
  /** How it stands, in the words `status` uses (`failed`, `held at the manual gate beforePromotion`, `interrupted: its process is gone`, `partial: …`); absent when a damaged journal hides it. */
  state?: string;
  /** What to run instead, in order of preference. */
  commands: string[];
  /**
   * The deployment in the way has a damaged journal: where, what is wrong and the fix, as `status` says them. No
   * command continues it (`resume` refuses it with the same words), so the fix comes first.
   */
  damaged?: { file: string; line: number; problem?: string; fix: string };
}

export async function startRefusal(loaded: LoadedConfig, options: Pick<EngineOptions, 'allowUnfinished'>, deps: Pick<EngineDeps, 'store'>): Promise<StartRefusal | undefined> {
  const key = lockKey(loaded);
  // `deploy` takes the lock first: a live holder refuses it before anything else is looked at.
  const holder = await deps.store.lockHolder?.(key);
  if (holder) {
    return {
      code: 'LockHeld',
      message: `environment ${key.environment} of project ${key.project} is locked by ${describeHolder(holder)}; deploy would be refused until it finishes`,
      deploymentId: holder.deploymentId,
      state: 'running',
      commands: [`ws-deployment status --watch ${holder.deploymentId}`],
    };
  }
  // A lock copied along with this state dir while its run lives in the original: deploy is refused with that.
  const copied = await deps.store.copiedLockRefusal?.(key);
  if (copied) {
    const from = String(copied.details.copiedFrom);
    const by = copied.details.holder as LockHolder;
    return { code: 'LockHeld', message: copied.message, deploymentId: by.deploymentId, state: `running in ${dirname(from)}`, commands: [`ws-deployment status --state-dir ${shellQuote(dirname(from))} ${by.deploymentId}`] };
  }
  const refusal = await unfinishedRefusal(loaded, options, deps);
  if (!refusal) return undefined;
  const id = typeof refusal.details.deploymentId === 'string' ? refusal.details.deploymentId : undefined;
  const { file, line, problem, fix } = refusal.details;
  if (typeof file === 'string' && typeof fix === 'string') {
    const damaged = { file, line: typeof line === 'number' ? line : 0, ...(typeof problem === 'string' ? { problem } : {}), fix };
    // How it stands is past the damage: what `status` says of it is the damage itself; `resume ID` would refuse.
    return { code: 'ResumeRefused', message: refusal.message, ...(id ? { deploymentId: id } : {}), state: damageWords(damaged), commands: ['ws-deployment deploy --allow-unfinished'], damaged };
  }
  return {
    code: 'ResumeRefused',
    message: refusal.message,
    ...(id ? { deploymentId: id } : {}),
    // A damaged journal names the deployment but not how it stands (that is past the damage).
    ...(id && typeof refusal.details.words === 'string' ? { state: refusal.details.words } : {}),
    // Held at a gate: its answers first, or an unattended resume stops there again.
    commands: [...(Array.isArray(refusal.details.answers) ? (refusal.details.answers as string[]) : []), ...(id ? [`ws-deployment resume ${id}`] : []), 'ws-deployment deploy --allow-unfinished'],
  };
}
