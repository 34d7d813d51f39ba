/** A notification as the body each receiver understands: generic JSON, Slack incoming webhook, Teams connector card. */
import type { WebhookConfig } from './config.js';
import type { Notification } from './notifications.js';
import type { Severity } from '../report/outcome.js';
import { chunks, fitLine, jsonBytes, SLACK, TEAMS } from './fit.js';

/**
 * The colour of each severity (hex, no `#`): red only for what broke, amber where someone must act (a partial run, a
 * gate, an interruption), green only for what succeeded. Never by kind alone: `deployment-finished` is every outcome.
 */
const SEVERITY_COLOURS: Record<Severity, string> = { failure: 'D92D20', attention: 'F79009', success: '2E7D32', info: '1F6FEB' };

export function payloadFor(format: WebhookConfig['format'], n: Notification): unknown {
  const colour = SEVERITY_COLOURS[n.severity];
  switch (format) {
    case 'slack': {
      // Within Block Kit's limits (notify/fit.ts). A title too long for the header is said there in a few words (its
      // headline, else cut at a clause or a word), and whole in the section below it;
      // a text longer than one section goes on in the next ones, split between lines or words: nothing is lost.
      const header = n.title.length <= SLACK.header ? n.title : fitLine(n.headline ?? n.title, SLACK.header);
      const body = header === n.title ? n.text : `${n.title}\n${n.text}`;
      const sections = body ? chunks(body, SLACK.section, SLACK.blocks - 2) : [];
      // Block Kit has no colour of its own: the blocks go in an attachment, whose `color` is the bar beside them.
      return {
        text: fitLine(`${n.title}: ${n.text}`, SLACK.text),
        attachments: [
          {
            color: `#${colour}`,
            blocks: [
              { type: 'header', text: { type: 'plain_text', text: header } },
              ...sections.map((text) => ({ type: 'section', text: { type: 'mrkdwn', text } })),
              { type: 'context', elements: [{ type: 'mrkdwn', text: `${n.kind} · ${n.severity} · ${n.time}` }] },
            ],
          },
        ],
      };
    }
    case 'teams':
      return teamsCard(n, colour);
    default:
      return { kind: n.kind, severity: n.severity, deploymentId: n.deploymentId, time: n.time, title: n.title, text: n.text, data: n.data };
  }
}

/** A Teams connector card within its 28 KB: the text (the longest part, evidence included) cut to what is left. */
function teamsCard(n: Notification, colour: string): unknown {
  const card = (text: string, title: string) => ({
    '@type': 'MessageCard',
    '@context': 'https://schema.org/extensions',
    summary: title,
    themeColor: colour,
    title,
    text,
    sections: [{ facts: [{ name: 'kind', value: n.kind }, { name: 'severity', value: n.severity }, { name: 'deployment', value: n.deploymentId }, { name: 'time', value: n.time }] }],
  });
  // No field of its own has a documented limit; a title longer than any notification's is cut like Slack's header.
  const title = fitLine(n.title, 1000);
  let text = n.text;
  // Bytes, not characters: each round takes off at least the excess, so it ends.
  for (let over = jsonBytes(card(text, title)) - TEAMS.bytes; over > 0; over = jsonBytes(card(text, title)) - TEAMS.bytes) {
    text = fitLine(text, Math.max(0, text.length - over - 1));
  }
  return card(text, title);
}
