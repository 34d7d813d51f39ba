/** A notification as the body each receiver understands: generic JSON, Slack incoming webhook, Teams connector card. */
import type { WebhookConfig } from './config.js';
import type { Notification } from './notifications.js';

const COLOURS: Record<string, string> = { 'rolled-back': 'D92D20', 'gate-failed': 'D92D20', 'deployment-finished': '2E7D32', 'gate-waiting': 'F79009' };

export function payloadFor(format: WebhookConfig['format'], n: Notification): unknown {
  switch (format) {
    case 'slack':
      return {
        text: `${n.title}: ${n.text}`,
        blocks: [
          { type: 'header', text: { type: 'plain_text', text: n.title.slice(0, 150) } },
          { type: 'section', text: { type: 'mrkdwn', text: n.text.slice(0, 2900) } },
          { type: 'context', elements: [{ type: 'mrkdwn', text: `${n.kind} · ${n.time}` }] },
        ],
      };
    case 'teams':
      return {
        '@type': 'MessageCard',
        '@context': 'https://schema.org/extensions',
        summary: n.title,
        themeColor: COLOURS[n.kind] ?? '1F6FEB',
        title: n.title,
        text: n.text,
        sections: [{ facts: [{ name: 'kind', value: n.kind }, { name: 'deployment', value: n.deploymentId }, { name: 'time', value: n.time }] }],
      };
    default:
      return { kind: n.kind, deploymentId: n.deploymentId, time: n.time, title: n.title, text: n.text, data: n.data };
  }
}
