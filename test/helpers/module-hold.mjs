/**
 * Module hooks for `node --import`: holds the process at a module load for good, to signal it at a
 * point chosen by what it loads, never by a sleep. The first module whose URL matches the regular
 * expression WSD_HOLD_MODULE is never delivered (the import stays pending, the event loop goes on),
 * and its URL is written to the file named by WSD_HOLD_MARK once the load is held. A held import
 * keeps nothing alive (Node would end the process, exit 13, as a top-level await that never settles),
 * so a timer keeps the process alive as slow I/O would: it ends only by a signal, or by exiting.
 */
import { writeFileSync } from 'node:fs';
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

// Loaded twice: by --import on the main thread (registers), then as the hooks module on the hooks thread.
if (isMainThread) {
  const { WSD_HOLD_MODULE: pattern, WSD_HOLD_MARK: mark } = process.env;
  if (!pattern || !mark) throw new Error('set WSD_HOLD_MODULE (a regular expression of module URLs) and WSD_HOLD_MARK (a file)');
  register(import.meta.url, { data: { pattern, mark } });
  setInterval(() => {}, 2 ** 30);
}

let hold;
/** Runs on the hooks thread. */
export function initialize(data) {
  hold = { pattern: new RegExp(data.pattern), mark: data.mark, held: false };
}

export async function load(url, context, next) {
  if (hold && !hold.held && hold.pattern.test(url)) {
    hold.held = true;
    writeFileSync(hold.mark, url);
    return new Promise(() => {});
  }
  return next(url, context);
}
