/**
 * Plain, prefixed lines for CI logs and pipes: one event per line, the cluster
 * as a prefix, so parallel clusters never interleave raw tool output.
 */
import type { DeployEvent, EventInput, EventSink } from '../../core/events.js';

export interface Writable {
  write(text: string): unknown;
}

export function formatLine(event: DeployEvent): string {
  const where = [event.cluster && `[${event.cluster}]`, event.step].filter(Boolean).join(' ');
  const level = event.level === 'error' ? 'ERROR ' : event.level === 'warn' ? 'WARN ' : '';
  return `${event.time.slice(11, 19)} ${where ? `${where}: ` : ''}${level}${event.message}`;
}

export class LineRenderer implements EventSink {
  constructor(
    private readonly out: Writable,
    private readonly verbose: boolean,
  ) {}

  emit(input: EventInput): void {
    const event = { ...input, time: input.time ?? new Date().toISOString() } as DeployEvent;
    if (event.level === 'debug' && !this.verbose) return;
    this.out.write(`${formatLine(event)}\n`);
  }
}

/** `--json-log`: every event as one JSON line. */
export class JsonRenderer implements EventSink {
  constructor(
    private readonly out: Writable,
    private readonly verbose: boolean,
  ) {}

  emit(input: EventInput): void {
    if (input.level === 'debug' && !this.verbose && input.code.startsWith('tool.')) return;
    this.out.write(`${JSON.stringify({ ...input, time: input.time ?? new Date().toISOString() })}\n`);
  }
}
