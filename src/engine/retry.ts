/**
 * Bounded retries with capped exponential backoff, for errors classified as
 * transient only, never after the abort signal fired. Each retry is an event.
 */
import { isWsdError, type WsdError } from '../core/errors.js';
import { sleep } from '../core/sleep.js';
import type { RetryPolicy } from '../steps/step.js';

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, initialDelayMs: 5_000, maxDelayMs: 60_000 };

/** Delay before attempt `attempt + 1` (attempt counts from 1): initial × 2^(attempt-1), capped. */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
}


function isTransient(error: unknown): boolean {
  return isWsdError(error) && error.transient;
}

interface RetryHooks {
  signal?: AbortSignal;
  /** Called before each attempt (1-based). */
  onAttempt?(attempt: number): void | Promise<void>;
  /** Called when a transient failure will be retried after `delayMs`. */
  onRetry?(attempt: number, error: WsdError, delayMs: number): void;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Runs `fn` until it succeeds, fails permanently, runs out of attempts, or is aborted. */
export async function withRetry<T>(policy: RetryPolicy, fn: (attempt: number) => Promise<T>, hooks: RetryHooks = {}): Promise<T> {
  const wait = hooks.sleep ?? sleep;
  for (let attempt = 1; ; attempt++) {
    await hooks.onAttempt?.(attempt);
    try {
      return await fn(attempt);
    } catch (error) {
      if (hooks.signal?.aborted || !isTransient(error) || attempt >= policy.attempts) throw error;
      const delay = backoffDelay(policy, attempt);
      hooks.onRetry?.(attempt, error as WsdError, delay);
      await wait(delay, hooks.signal);
    }
  }
}
