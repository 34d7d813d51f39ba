/**
 * Independent e2e cases (each in its own state dir) run a few at a time: most
 * of a sandbox deploy's wall time is spent waiting on child processes, fsyncs
 * and shift intervals, so two or three at once finish sooner on two cores
 * without changing what any one case does. Bounded, never one per input.
 */

/**
 * Calls `fn` for every item, at most `limit` at once, in order of the items.
 * On the first failure no new item starts; the ones in flight finish, then the
 * first failure is thrown (so a failing case is reported, not a cascade).
 */
export async function forEachBounded<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`forEachBounded: limit must be a positive integer, got ${limit}`);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        await fn(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
}
