/**
 * Module hooks for `node --import`: appends every module the process loads (URL and
 * source length) to the file named by WSD_MODULE_LOG, one JSON line each. Lets a test
 * see which bundle chunks a command compiles at start, without timing anything.
 */
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

// Loaded twice: by --import on the main thread (registers), then as the hooks module on the hooks thread.
if (isMainThread) {
  if (!process.env.WSD_MODULE_LOG) throw new Error('set WSD_MODULE_LOG to the file the module log goes to');
  register(import.meta.url, { data: { log: process.env.WSD_MODULE_LOG } });
}

let log;
/** Runs on the hooks thread. */
export function initialize(data) {
  log = data?.log;
}

export async function load(url, context, next) {
  const result = await next(url, context);
  if (log) appendFileSync(log, `${JSON.stringify({ url, bytes: result.source ? result.source.length : 0 })}\n`);
  return result;
}
