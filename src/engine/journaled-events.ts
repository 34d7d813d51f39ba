/**
 * Shift events the views need after the fact (a step's percent, a manual gate
 * waiting, an operator's pause/promote/abort, the rollback) are sink events of
 * the controller; this sink also appends them to the journal, so `report`,
 * `status --watch`, webhooks and traces, which read the journal alone, see them.
 * Appends run one after another in emit order; `flush()` waits for them before
 * the step's own end record is written.
 */
import type { EventSink } from '../core/events.js';
import type { Redactor } from '../core/redact.js';
import type { DeploymentJournal } from '../state/store.js';

/** Event codes that become journal records. */
const JOURNALED_EVENT_CODES: ReadonlySet<string> = new Set([
  'traffic.staff',
  'traffic.step',
  'traffic.bake',
  'traffic.gate',
  'traffic.paused',
  'traffic.resumed',
  'traffic.promote',
  'traffic.first-generation',
  'traffic.done',
  'traffic.rollback',
  // A meta cluster the rollback did not reach: the trace and the report say so where the run stopped.
  'traffic.rollback.incomplete',
  'retire.gate',
  'step.retry',
  // A step's sub-phase (core/progress.ts), throttled at the source to one a second per step.
  'step.progress',
]);

interface JournalingSink {
  sink: EventSink;
  /** Resolves when every journaled event so far is durable. */
  flush(): Promise<void>;
}

export function journalingSink(inner: EventSink, journal: DeploymentJournal, redactor: Redactor, codes: ReadonlySet<string> = JOURNALED_EVENT_CODES): JournalingSink {
  let chain: Promise<void> = Promise.resolve();
  return {
    sink: {
      emit(event) {
        inner.emit(event);
        if (!codes.has(event.code)) return;
        const record = {
          type: 'event' as const,
          level: event.level,
          code: event.code,
          ...(event.cluster ? { cluster: event.cluster } : {}),
          ...(event.step ? { step: event.step } : {}),
          message: redactor.redact(event.message),
          ...(event.data ? { data: redactor.redactValue(event.data) } : {}),
        };
        chain = chain.then(
          () => journal.append(record).then(() => undefined),
          () => undefined,
        ).catch((error: unknown) => {
          // A sink must not throw; the journal's own failure surfaces on the step's next append.
          inner.emit({ level: 'warn', code: 'journal.event-lost', message: `could not journal ${event.code}: ${error instanceof Error ? error.message : String(error)}` });
        });
      },
    },
    flush: () => chain,
  };
}
