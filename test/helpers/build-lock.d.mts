/** See build-lock.mjs. */
export function takeLock(lock: string): void;
