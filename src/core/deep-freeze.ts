/** Freezing values that are shared between callers (cached parses, memoized merges). */

/**
 * Freezes `value` and everything inside it, so a value shared by many callers cannot be
 * changed by one of them (in strict-mode code a write throws instead of leaking). Stops
 * at parts already frozen: those were frozen whole by an earlier call.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
