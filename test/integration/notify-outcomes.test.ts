/**
 * What a webhook says about how a deployment ended, for every outcome the journal can record: the
 * Notifier delivers to a real HTTP receiver, and each body is checked against the receiver's documented
 * schema (Teams MessageCard, Slack incoming webhook with Block Kit in a coloured attachment, the generic
 * JSON). The colour follows the exit code the run gave: green only for a success, red for exit 1, amber
 * for what needs a human but did not break (partial, held at a gate, refused, interrupted).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Notifier } from '../../src/notify/notifier.js';
import { defaultDeliverDeps } from '../../src/notify/deliver.js';
import { webhookSchema } from '../../src/notify/config.js';
import { applyRecord, type JournalInput, type JournalRecord, type Snapshot } from '../../src/state/model.js';
import type { DeploymentJournal } from '../../src/state/store.js';
import { exitCodeOf } from '../../src/cli/commands/shared.js';
import type { StepName } from '../../src/steps/step.js';
import { startReceiver, type Receiver } from '../helpers/webhook-receiver.js';

const ID = '20260101-000000-abcd';
type Input = JournalInput;

const created: Input = {
  type: 'deployment.created',
  id: ID,
  inputs: { configFile: 'c.yaml', configHash: 'h', project: 'p', environment: 'dev' },
  clusterId: 7,
  clusters: [{ index: 0, name: 'gp-dev-ws-eu07', shortName: 'eu07', id: 7, region: 'eu', prefix: 'gp', governedBy: 'm', type: 'sandbox' }],
  steps: [['create-cluster', 'install-gitpod']],
  deploymentSteps: ['traffic-shift', 'retire-old-clusters'],
};
const ok = (cluster: string, step: StepName): Input[] => [
  { type: 'step.started', cluster, step, attempt: 1 },
  { type: 'step.succeeded', cluster, step, outputs: {}, durationMs: 5 },
] as Input[];
const failed = (cluster: string, step: StepName, code = 'StepFailed', outputs?: Record<string, unknown>): Input[] => [
  { type: 'step.started', cluster, step, attempt: 1 },
  ...(outputs ? [{ type: 'step.checkpoint', cluster, step, outputs }] : []),
  { type: 'step.failed', cluster, step, error: { code, message: `${step} broke` } },
] as Input[];
const finished = (state: Snapshot['state'], code?: string, excluded?: number): Input => ({ type: 'deployment.finished', state, ...(code ? { error: { code, message: `it ended: ${code}` } } : {}), ...(excluded ? { excluded } : {}) });
const installed = [...ok('gp-dev-ws-eu07', 'create-cluster'), ...ok('gp-dev-ws-eu07', 'install-gitpod')];

/** What a failure that `resume` retries ends with (the command bare: the CLI completes it). */
const RESUME_NEXT = new RegExp(`^fix the cause, then \`ws-deployment resume ${ID}\`$`);

/** Each outcome as the journal of one or two runs (a resumed run sees only its own records). */
/**
 * `command`: what `data.command` carries, where one command is what comes next: `resume` (it continues the
 * deployment) or `retry-shift` (`resume ID --retry-shift`, which starts a rolled-back shift again).
 */
const OUTCOMES: Record<string, { runs: Input[][]; outcome: string; title: RegExp; next?: RegExp; command?: 'resume' | 'retry-shift' }> = {
  succeeded: { runs: [[created, ...installed, ...ok('*', 'traffic-shift'), ...ok('*', 'retire-old-clusters'), finished('succeeded')]], outcome: 'succeeded', title: /succeeded$/ },
  partial: {
    runs: [[created, ...ok('gp-dev-ws-eu07', 'create-cluster'), { type: 'step.excluded', cluster: 'gp-dev-ws-eu07', step: 'install-gitpod', by: '--skip' } as Input, finished('partial', undefined, 1)]],
    outcome: 'partial',
    title: /partial$/,
    command: 'resume',
  },
  interrupted: { runs: [[created, ...ok('gp-dev-ws-eu07', 'create-cluster'), { type: 'step.started', cluster: 'gp-dev-ws-eu07', step: 'install-gitpod', attempt: 1 } as Input, { type: 'step.interrupted', cluster: 'gp-dev-ws-eu07', step: 'install-gitpod' } as Input, finished('interrupted', 'Interrupted')]], outcome: 'interrupted', title: /interrupted$/, command: 'resume' },
  failed: { runs: [[created, ...ok('gp-dev-ws-eu07', 'create-cluster'), ...failed('gp-dev-ws-eu07', 'install-gitpod'), finished('failed', 'DeploymentFailed')]], outcome: 'failed', title: /failed$/, next: RESUME_NEXT, command: 'resume' },
  refused: { runs: [[created, ...ok('gp-dev-ws-eu07', 'create-cluster'), ...failed('gp-dev-ws-eu07', 'install-gitpod', 'PreCheckRefused'), finished('failed', 'PreCheckRefused')]], outcome: 'refused', title: /refused$/, next: RESUME_NEXT, command: 'resume' },
  'rolled back': {
    runs: [[created, ...installed, ...failed('*', 'traffic-shift', 'ShiftRolledBack', { concluded: 'its traffic shift rolled back: fail', progress: { phase: 'rolled-back', reason: 'fail' } }), finished('failed', 'DeploymentFailed')]],
    outcome: 'rolled-back',
    title: /rolled back$/,
    // Concluded: a plain `resume` refuses it; its shift can be retried (or a new generation deployed).
    next: /^fix the cause .*then start its traffic shift again from the first step with `ws-deployment resume \S+ --retry-shift`; or deploy a new generation/,
    command: 'retry-shift',
  },
  // No old clusters: nothing was rolled back, the failing clusters keep every new start, and the title says so.
  'first generation failed its gates': {
    runs: [[created, ...installed, ...failed('*', 'traffic-shift', 'GateFailed', { concluded: 'its first generation failed its gates: fail; the first generation has no previous one to fall back to, so its clusters were left as they are (they take all new starts): fix them or deploy a new generation', progress: { phase: 'failed', reason: 'fail' } }), finished('failed', 'DeploymentFailed')]],
    outcome: 'first-generation-failed',
    title: /first generation failed its gates; nothing to roll back to, so its clusters still take every new workspace start$/,
    next: /^nothing resumes this deployment \(its first generation failed its gates\): .*deploy a new generation/,
  },
  'held at a gate (CI)': {
    runs: [[created, ...installed, ...failed('*', 'traffic-shift', 'PreCheckRefused', { progress: { phase: 'steps', stepIndex: 1, paused: true, gate: 'beforePromotion' } }), finished('failed', 'PreCheckRefused')]],
    outcome: 'held',
    title: /held at the manual gate beforePromotion$/,
  },
  // The shift promoted in a first run that was interrupted; the resumed run fails at the retirement.
  'retirement failed after a promotion, in a resumed run': {
    runs: [
      [created, ...installed, ...ok('*', 'traffic-shift'), finished('interrupted', 'Interrupted')],
      [{ type: 'deployment.resumed', pid: 1 } as Input, ...failed('*', 'retire-old-clusters'), finished('failed', 'DeploymentFailed')],
    ],
    outcome: 'retire-failed',
    title: /failed after promotion/,
    next: RESUME_NEXT,
    command: 'resume',
  },
};

/** The journal's counterpart: records applied as the store applies them; the notifier observes only `run`'s records. */
function journalOf(): { journal: DeploymentJournal; append(r: Input): JournalRecord } {
  let snap: Snapshot | undefined;
  let seq = 0;
  const append = (r: Input): JournalRecord => {
    const record = { ...r, seq: ++seq, time: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString() } as JournalRecord;
    snap = applyRecord(snap, record);
    return record;
  };
  const journal = { id: ID, dir: '/nonexistent', snapshot: () => snap as Snapshot, append: async (r: Input) => append(r) } as DeploymentJournal;
  return { journal, append };
}

const HEX = /^[0-9A-F]{6}$/i;
const severityForExit = (code: number, state: string): string => (code === 1 ? 'failure' : code === 0 && state === 'succeeded' ? 'success' : 'attention');

interface Finished {
  teams: Record<string, unknown>;
  slack: Record<string, unknown>;
  json: Record<string, unknown>;
}

describe('deployment-finished webhooks for every outcome', () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver('ok');
  });
  afterAll(async () => receiver.close());

  async function deliverRuns(name: string, runs: Input[][]): Promise<{ snap: Snapshot; bodies: Finished }> {
    const { journal, append } = journalOf();
    const hooks = (['teams', 'slack', 'json'] as const).map((format) => webhookSchema.parse({ url: `${receiver.url}/${format}/${encodeURIComponent(name)}`, format, events: ['deployment-finished'], retries: 0 }));
    for (const run of runs) {
      const notifier = new Notifier({ webhooks: hooks }, { emit: () => {} }, defaultDeliverDeps);
      for (const r of run) notifier.observe(append(r), journal);
      await notifier.drain(30_000);
    }
    // The last run's: a resumed deployment ends once more.
    const body = (format: string) => receiver.received.filter((r) => r.path === `/${format}/${encodeURIComponent(name)}`).at(-1)?.body as Record<string, unknown>;
    return { snap: journal.snapshot(), bodies: { teams: body('teams'), slack: body('slack'), json: body('json') } };
  }

  for (const [name, { runs, outcome, title, next, command }] of Object.entries(OUTCOMES)) {
    it(`${name}: the text says what follows the title, never the title again, and names the next step`, async () => {
      const { bodies } = await deliverRuns(`${name} (text)`, runs);
      const json = bodies.json as { title: string; text: string; data: { next?: string; command?: string } };
      const restated = new RegExp(`(^|[^-\\w])deployment ${ID}\\b`);
      for (const [text, heading] of [
        [json.text, json.title],
        [String(bodies.teams.text), String(bodies.teams.title)],
        [(bodies.slack.attachments as Array<{ blocks: Array<{ type: string; text?: { text: string } }> }>)[0]!.blocks.find((b) => b.type === 'section')!.text!.text, json.title],
      ] as const) {
        expect(text).not.toContain(heading);
        expect(text).not.toMatch(restated);
      }
      expect(String(bodies.slack.text)).toBe(`${json.title}: ${json.text}`);
      if (next) {
        expect(json.data.next).toMatch(next);
        expect(json.text.split('\n').at(-1)).toBe(`Next: ${json.data.next}`);
      } else expect(json.data.next).toBeUndefined();
      const expected = command === 'resume' ? `ws-deployment resume ${ID}` : command === 'retry-shift' ? `ws-deployment resume ${ID} --retry-shift` : undefined;
      expect(json.data.command).toBe(expected);
      if (expected) expect(json.text).toContain(`\`${expected}\``);
    });

    it(`${name}: each format names the outcome and is coloured by it`, async () => {
      const { snap, bodies } = await deliverRuns(name, runs);
      const severity = severityForExit(exitCodeOf(snap), snap.state);

      // Generic JSON: the outcome and severity as fields.
      expect(bodies.json).toMatchObject({ kind: 'deployment-finished', severity, deploymentId: ID, data: { state: snap.state, outcome } });
      expect(bodies.json.title).toMatch(title);

      // Teams MessageCard: @type/@context, a summary, themeColor a hex colour, facts of name/value strings.
      const card = bodies.teams;
      expect(card).toMatchObject({ '@type': 'MessageCard', '@context': 'https://schema.org/extensions' });
      expect(typeof card.summary).toBe('string');
      expect(card.themeColor).toMatch(HEX);
      for (const f of (card.sections as Array<{ facts: Array<{ name: unknown; value: unknown }> }>)[0]!.facts) expect([typeof f.name, typeof f.value]).toEqual(['string', 'string']);
      expect(card.title).toMatch(title);

      // Slack: a fallback `text`; an attachment whose color is good/warning/danger or #hex, holding valid blocks.
      const slack = bodies.slack as { text: string; attachments: Array<{ color: string; blocks: Array<{ type: string; text?: { type: string; text: string }; elements?: unknown[] }> }> };
      expect(typeof slack.text).toBe('string');
      expect(slack.attachments).toHaveLength(1);
      const { color, blocks } = slack.attachments[0]!;
      expect(color).toMatch(/^(good|warning|danger|#[0-9A-F]{6})$/i);
      const header = blocks.find((b) => b.type === 'header')!;
      expect(header.text?.type).toBe('plain_text');
      expect(header.text!.text.length).toBeLessThanOrEqual(150);
      expect(header.text!.text).toMatch(title);
      for (const b of blocks.filter((x) => x.type === 'section')) expect(b.text!.text.length).toBeLessThanOrEqual(3000);
      for (const b of blocks.filter((x) => x.type === 'context')) expect(b.elements!.length).toBeLessThanOrEqual(10);

      // One colour per severity, the same in both cards; green only for a success, red only for a failure.
      expect(color.slice(1).toUpperCase()).toBe(String(card.themeColor).toUpperCase());
      const green = '2E7D32';
      const red = 'D92D20';
      expect(String(card.themeColor).toUpperCase() === green).toBe(severity === 'success');
      expect(String(card.themeColor).toUpperCase() === red).toBe(severity === 'failure');
      // A title never says succeeded for anything else.
      expect(/succeeded/.test(String(card.title))).toBe(snap.state === 'succeeded');
    });
  }
});
