/** How the notifications of a deployment fared, from its journal's `notify.*` records (for `status`). */
import type { JournalRecord } from '../state/model.js';

interface NotificationStatus {
  delivered: number;
  failed: number;
  lastFailure?: string;
}

export function notificationStatus(records: readonly JournalRecord[]): NotificationStatus | undefined {
  const notes = records.filter((r) => r.type === 'event' && (r.code === 'notify.delivered' || r.code === 'notify.failed'));
  if (notes.length === 0) return undefined;
  const failed = notes.filter((r) => r.type === 'event' && r.code === 'notify.failed');
  const last = failed.at(-1);
  return { delivered: notes.length - failed.length, failed: failed.length, ...(last?.type === 'event' ? { lastFailure: last.message } : {}) };
}

export function renderNotificationStatus(s: NotificationStatus): string {
  if (s.failed === 0) return `notifications: ${s.delivered} delivered\n`;
  return `notifications: ${s.failed} of ${s.delivered + s.failed} deliveries failed (last: ${s.lastFailure ?? '?'}); the deployment went on without them\n`;
}
