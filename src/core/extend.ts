/**
 * A copy of `base` with `extra`'s properties on top: `{ ...base, ...extra }` for the engine's hot
 * path. V8 (Node 20) builds an object literal that spreads and then adds properties on a slow
 * runtime path, about 1.5 µs each, where `Object.assign` onto a fresh object takes about 0.1 µs;
 * a step made a dozen such copies (journal record, snapshot update, contexts, scoped events).
 * BENCHMARKS.md, "fourth window".
 */
export function extend<T extends object, U extends object>(base: T, extra: U): Omit<T, keyof U> & U {
  // `Object.assign` sets a `__proto__` key where a spread defines it: parsed data (a damaged
  // journal or snapshot) holding one keeps the spread, so it stays a plain property.
  if (Object.hasOwn(base, '__proto__') || Object.hasOwn(extra, '__proto__')) return { ...base, ...extra };
  return Object.assign({}, base, extra);
}
