/**
 * Node prints process warnings (library deprecations such as DEP0123 when a
 * TLS bridge is dialled by IP address) as raw lines on stderr. With
 * `--json-log` that breaks the NDJSON stream, and in any mode the user cannot
 * act on them. While a command runs they become `debug` events instead:
 * visible with -v, in the run's format.
 */
import type { EventSink } from '../core/events.js';

/** Routes process warnings to `sink`; the returned function restores Node's printing. */
export function routeProcessWarnings(sink: EventSink): () => void {
  const previous = process.listeners('warning');
  process.removeAllListeners('warning');
  const onWarning = (warning: Error & { code?: string }): void => {
    sink.emit({ level: 'debug', code: 'process.warning', message: `${warning.name}${warning.code ? ` ${warning.code}` : ''}: ${warning.message}` });
  };
  process.on('warning', onWarning);
  return () => {
    process.off('warning', onWarning);
    for (const listener of previous) process.on('warning', listener);
  };
}
