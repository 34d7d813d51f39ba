/**
 * Slack and Teams bodies within the receivers' documented limits (notify/fit.ts), for every kind of notification and
 * any title and text, the longest real names included: a header of at most 150 characters that is the title or its
 * head cut between words (never mid-word), sections of at most 3000 that together are the whole text, at most 50
 * blocks, a Teams card of at most 28 KB.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NOTIFICATION_KINDS } from '../../../src/notify/config.js';
import { SLACK, TEAMS } from '../../../src/notify/fit.js';
import { notificationsFor, type Notification } from '../../../src/notify/notifications.js';
import { payloadFor } from '../../../src/notify/payloads.js';
import { CONCLUDED } from '../../../src/steps/step.js';
import type { Snapshot } from '../../../src/state/model.js';

interface Block {
  type: string;
  text?: { type: string; text: string };
  fields?: Array<{ text: string }>;
  elements?: Array<{ text: string }>;
}
interface SlackBody {
  text: string;
  attachments: Array<{ blocks: Block[] }>;
}

function slack(n: Notification): { body: SlackBody; header: string; sections: string[] } {
  const body = payloadFor('slack', n) as SlackBody;
  const blocks = body.attachments[0]!.blocks;
  return { body, header: blocks[0]!.text!.text, sections: blocks.filter((b) => b.type === 'section').map((b) => b.text!.text) };
}

/** Every limit Block Kit and Teams document, checked on `n`'s bodies. */
function expectWithinLimits(n: Notification): void {
  const { body, header, sections } = slack(n);
  const blocks = body.attachments[0]!.blocks;
  expect(blocks.length).toBeLessThanOrEqual(SLACK.blocks);
  expect(header.length).toBeGreaterThan(0);
  expect(header.length).toBeLessThanOrEqual(SLACK.header);
  for (const s of sections) {
    expect(s.length).toBeGreaterThan(0);
    expect(s.length).toBeLessThanOrEqual(SLACK.section);
  }
  for (const b of blocks) {
    expect((b.fields ?? []).length).toBeLessThanOrEqual(SLACK.fields);
    for (const f of b.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(SLACK.field);
    for (const e of b.elements ?? []) expect(e.text.length).toBeLessThanOrEqual(SLACK.section);
  }
  expect(body.text.length).toBeLessThanOrEqual(SLACK.text);
  // The header is the title, or the head of the headline (else the title) cut between words, with `…`.
  if (header !== n.title) {
    const source = n.headline ?? n.title;
    if (header !== source) {
      expect(header.endsWith('…')).toBe(true);
      const kept = header.slice(0, -1);
      expect(source.startsWith(kept)).toBe(true);
      expect(`${kept.at(-1)}${source[kept.length]}`).not.toMatch(/\w\w/);
    }
    // Nothing of the title is lost: it opens the text.
    expect(sections.join('').startsWith(n.title)).toBe(true);
  }
  const whole = header === n.title ? n.text : `${n.title}\n${n.text}`;
  if (whole.length <= (SLACK.blocks - 2) * (SLACK.section - 100)) expect(sections.join('')).toBe(whole);
  expect(Buffer.byteLength(JSON.stringify(payloadFor('teams', n)), 'utf8')).toBeLessThanOrEqual(TEAMS.bytes);
}

// The longest real names: a Linux user (32) on a host (HOST_NAME_MAX, 64), a deployment id, a region.
const USER = 'u'.repeat(32);
const HOST = `${'h'.repeat(20)}.${'europe-southwest1'.padEnd(20, 'x')}.${'z'.repeat(21)}`;
const BY = `${USER}@${HOST} (shift abort)`;
const ID = '20261203-202600-979a';

function abortedFirstGeneration(): Snapshot {
  const progress = { phase: 'failed', aborted: { where: "the first generation's watch", by: BY, sentAt: '2026-12-03T20:26:01.709Z', at: '2026-12-03T20:26:01.799Z' } };
  return {
    id: ID,
    state: 'failed',
    inputs: { project: 'p'.repeat(30), environment: 'production-europe-southwest1' },
    deploymentSteps: [{ name: 'traffic-shift', state: 'failed', checkpoint: { [CONCLUDED]: 'its first generation was aborted by an operator: x', progress } }],
    clusters: [],
  } as unknown as Snapshot;
}

describe('Slack and Teams limits', () => {
  it("a first generation's abort by the longest real operator name: the header says what happened in full words, the title is whole below", () => {
    const [n] = notificationsFor({ seq: 9, time: 't', type: 'deployment.finished', state: 'failed', error: { code: 'GateFailed', message: `first generation's watch aborted by ${BY}` } }, { deploymentId: ID }, abortedFirstGeneration);
    expect(n?.title.length).toBeGreaterThan(SLACK.header);
    expect(slack(n!).header).toBe(`deployment ${ID}: first generation aborted`);
    expect(slack(n!).sections[0]).toContain(`aborted by ${BY} at 2026-12-03T20:26:01.799Z`);
    expect(payloadFor('teams', n!)).toMatchObject({ title: n!.title });
    expectWithinLimits(n!);
  });

  it('every kind, any title and text: within every documented limit, cut only between words, nothing lost', () => {
    const word = fc.stringMatching(/^[a-z0-9@().%:;,-]{1,20}$/);
    const words = (max: number) => fc.array(word, { minLength: 1, maxLength: max }).map((w) => w.join(' '));
    const text = fc.array(fc.oneof(words(40), fc.constant(''), fc.string({ maxLength: 3500 })), { maxLength: 40 }).map((lines) => lines.join('\n'));
    fc.assert(
      fc.property(fc.constantFrom(...NOTIFICATION_KINDS), fc.constantFrom('info', 'success', 'attention', 'failure' as const), words(60), fc.option(words(12), { nil: undefined }), text, (kind, severity, title, headline, body) => {
        expectWithinLimits({ kind, severity, deploymentId: ID, time: '2026-12-03T20:26:01.799Z', title: `deployment ${ID} ${title}`, ...(headline ? { headline: `deployment ${ID}: ${headline}` } : {}), text: body, data: {} });
      }),
      { numRuns: 300 },
    );
  });
});
