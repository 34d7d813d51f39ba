/**
 * All output of the core is events through one sink. The CLI picks a renderer
 * (TTY progress, prefixed CI lines, NDJSON); the core never prints.
 */

import { extend } from './extend.js';

type EventLevel = 'debug' | 'info' | 'warn' | 'error';

/** One thing that happened. `code` is a stable dotted identifier such as `step.start`. */
export interface DeployEvent {
  time: string;
  level: EventLevel;
  code: string;
  cluster?: string;
  step?: string;
  message: string;
  data?: Record<string, unknown>;
}

/** An event before the sink stamps its time. */
export type EventInput = Omit<DeployEvent, 'time'> & { time?: string };

/** Receives every event. Implementations must not throw. */
export interface EventSink {
  emit(event: EventInput): void;
}

/** Stamps time and forwards to several sinks (renderer + journal + step log). */
export class FanoutSink implements EventSink {
  private readonly sinks: EventSink[];

  constructor(...sinks: EventSink[]) {
    this.sinks = sinks;
  }

  add(sink: EventSink): void {
    this.sinks.push(sink);
  }

  emit(event: EventInput): void {
    const stamped = extend(event, { time: event.time ?? new Date().toISOString() });
    for (const sink of this.sinks) sink.emit(stamped);
  }
}

/** Keeps events in memory: for tests and for building reports. */
export class MemorySink implements EventSink {
  readonly events: DeployEvent[] = [];

  emit(event: EventInput): void {
    this.events.push(extend(event, { time: event.time ?? new Date().toISOString() }));
  }

  codes(): string[] {
    return this.events.map((e) => e.code);
  }
}

/** Discards everything. */
export const nullSink: EventSink = { emit: () => undefined };

/** Returns a sink that adds `cluster`/`step` to every event it forwards. */
export function scopedSink(sink: EventSink, scope: { cluster?: string; step?: string }): EventSink {
  return { emit: (event) => sink.emit(extend(scope, event)) };
}
