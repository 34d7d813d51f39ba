/** The `notifications:` config section: webhooks and what they are sent for. */
import * as z from 'zod';
import { positiveDurationSchema } from '../traffic/duration-schema.js';

export const NOTIFICATION_KINDS = ['deployment-started', 'deployment-finished', 'step-promoted', 'gate-failed', 'rolled-back', 'gate-waiting', 'retirement-done'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export const webhookSchema = z.strictObject({
  /** The receiver; a secret in its path or query (Slack, Teams) is redacted wherever it is shown. */
  url: z.url({ protocol: /^https?$/, error: 'a webhook url must be an http:// or https:// URL' }).describe('the webhook URL (secrets in it are redacted everywhere)'),
  format: z.enum(['json', 'slack', 'teams']).default('json').describe('payload shape: generic JSON, Slack incoming webhook, Teams connector card'),
  events: z.array(z.enum(NOTIFICATION_KINDS)).min(1).optional().describe('what to send (default: everything)'),
  timeout: positiveDurationSchema('every delivery would abort at once; write e.g. 5s').prefault('5s').describe('per attempt'),
  retries: z.number().int().min(0).max(10).default(3).describe('attempts after the first, with capped exponential backoff'),
});

export const notificationsSchema = z.strictObject({
  webhooks: z.array(webhookSchema).default([]),
});

export type WebhookConfig = z.output<typeof webhookSchema>;
export type NotificationsConfig = z.output<typeof notificationsSchema>;

/** `https://hooks.slack.com/***`: scheme and host only, so a token in the path or query never shows. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return u.pathname === '/' && !u.search ? `${u.protocol}//${u.host}/` : `${u.protocol}//${u.host}/***`;
  } catch {
    return '***';
  }
}
