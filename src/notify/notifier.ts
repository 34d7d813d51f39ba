/**
 * Sends notifications for journal records as they are appended, in the
 * background: a webhook that hangs or fails never blocks a step or fails the
 * deployment. Each delivery (or failure) becomes a `notify.*` event record in
 * the journal; `drain()` waits, bounded, for deliveries still in flight.
 */
import type { EventSink } from '../core/events.js';
import type { JournalRecord } from '../state/model.js';
import type { DeploymentJournal } from '../state/store.js';
import { displayUrl, type NotificationsConfig } from './config.js';
import { deliver, defaultDeliverDeps, type DeliverDeps } from './deliver.js';
import { notificationsFor, type NotificationState } from './notifications.js';
import { payloadFor } from './payloads.js';
import { bareCommands, type NextCommands } from '../core/next-command.js';

export class Notifier {
  private readonly state: NotificationState = { deploymentId: '' };
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly config: NotificationsConfig,
    private readonly sink: EventSink,
    private readonly deps: DeliverDeps = defaultDeliverDeps,
    /** Completes the commands a notification suggests with how this run reached its state (core/next-command.ts). */
    private readonly next: NextCommands = bareCommands,
  ) {}

  /** Called after each durable append. Returns at once. */
  observe(record: JournalRecord, journal: DeploymentJournal): void {
    if (record.type === 'event' && record.code.startsWith('notify.')) return;
    this.state.deploymentId ||= journal.id;
    for (const n of this.next.value(notificationsFor(record, this.state, () => journal.snapshot()))) {
      this.config.webhooks.forEach((hook, index) => {
        if (hook.events && !hook.events.includes(n.kind)) return;
        const target = displayUrl(hook.url);
        const job = deliver(hook, payloadFor(hook.format, n), this.deps)
          .then(async (outcome) => {
            const data = { kind: n.kind, webhook: index, target, format: hook.format, ...outcome };
            const message = outcome.ok ? `${n.kind} delivered to ${target} (attempt ${outcome.attempts})` : `${n.kind} not delivered to ${target} after ${outcome.attempts} attempts: ${outcome.error ?? 'failed'}`;
            if (!outcome.ok) this.sink.emit({ level: 'warn', code: 'notify.failed', message, data });
            await journal.append({ type: 'event', level: outcome.ok ? 'info' : 'warn', code: outcome.ok ? 'notify.delivered' : 'notify.failed', message, data });
          })
          .catch((error: unknown) => this.sink.emit({ level: 'warn', code: 'notify.unrecorded', message: `could not journal a notification delivery: ${error instanceof Error ? error.message : String(error)}` }));
        this.pending.add(job);
        void job.finally(() => this.pending.delete(job));
      });
    }
  }

  /** Waits for deliveries in flight, at most `maxMs`; those still running then are left behind (and said so). */
  async drain(maxMs: number): Promise<void> {
    if (this.pending.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), maxMs)));
    const all = Promise.allSettled([...this.pending]).then(() => 'done' as const);
    const result = await Promise.race([all, timeout]);
    clearTimeout(timer);
    if (result === 'timeout') this.sink.emit({ level: 'warn', code: 'notify.abandoned', message: `${this.pending.size} notification deliveries still running after ${Math.round(maxMs / 1000)} s; not waiting for them` });
  }
}
