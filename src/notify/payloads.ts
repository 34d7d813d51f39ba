/** A notification as the body each receiver understands: generic JSON, Slack incoming webhook, Teams connector card. */
import type { WebhookConfig } from './config.js';
import type { Notification } from './notifications.js';
import type { Severity } from '../report/outcome.js';

/**
 * The colour of each severity (hex, no `#`): red only for what broke, amber where someone must act (a partial run, a
 * gate, an interruption), green only for what succeeded. Never by kind alone: `deployment-finished` is every outcome.
 */
export const SEVERITY_COLOURS: Record<Severity, string> = { failure: 'D92D20', attention: 'F79009', success: '2E7D32', info: '1F6FEB' };

export function payloadFor(format: WebhookConfig['format'], n: Notification): unknown {
  const colour = SEVERITY_COLOURS[n.severity];
  switch (format) {
    case 'slack':
      // Block Kit has no colour of its own: the blocks go in an attachment, whose `color` is the bar beside them.
      return {
        text: `${n.title}: ${n.text}`,
        attachments: [
          {
            color: `#${colour}`,
            blocks: [
              { type: 'header', text: { type: 'plain_text', text: n.title.slice(0, 150) } },
              { type: 'section', text: { type: 'mrkdwn', text: n.text.slice(0, 2900) } },
              { type: 'context', elements: [{ type: 'mrkdwn', text: `${n.kind} · ${n.severity} · ${n.time}` }] },
            ],
          },
        ],
      };
    case 'teams':
      return {
        '@type': 'MessageCard',
        '@context': 'https://schema.org/extensions',
        summary: n.title,
        themeColor: colour,
        title: n.title,
        text: n.text,
        sections: [{ facts: [{ name: 'kind', value: n.kind }, { name: 'severity', value: n.severity }, { name: 'deployment', value: n.deploymentId }, { name: 'time', value: n.time }] }],
      };
    default:
      return { kind: n.kind, severity: n.severity, deploymentId: n.deploymentId, time: n.time, title: n.title, text: n.text, data: n.data };
  }
}
