/**
 * Webhooks on a real sandbox rollback: a good receiver (generic JSON and
 * Slack), one that hangs, one that answers 500 and one that resets. The
 * rollback sends exactly one "rolled-back" notification with the failing
 * metric's evidence; the broken receivers neither block nor fail the
 * deployment (its exit code is the rollback's); every delivery is journaled;
 * `status` says deliveries failed; the tokens in the URLs appear nowhere.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../helpers/require-binary.js';
import { runCli } from '../helpers/cli.js';
import { useGeneration1 } from '../helpers/shift-workspace.js';
import { startReceiver, type Receiver } from '../helpers/webhook-receiver.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');
const TOKEN = 'T0KEN-b4c7e9f1a2d3-SECRET';

interface Note {
  kind: string;
  title: string;
  text: string;
  data: { evidence?: Array<{ metric: string; outcome: string; values?: Array<{ cluster: string; value: number }>; samples?: unknown }>; command?: string };
}

describe.skipIf(!hasTerraform)('webhook notifications', () => {
  let good: Receiver;
  let hang: Receiver;
  let error500: Receiver;
  let reset: Receiver;
  // The first generation runs without webhooks: the test is about the second one.
  const ws = useGeneration1(220, async (w) => {
    [good, hang, error500, reset] = await Promise.all([startReceiver('ok'), startReceiver('hang'), startReceiver('error500'), startReceiver('reset')]);
    w.addWebhooks([
      { url: `${good.url}/services/${TOKEN}` },
      { url: `${good.url}/slack/${TOKEN}?x=1`, format: 'slack', events: ['rolled-back'] },
      { url: `${hang.url}/hook/${TOKEN}`, timeout: '1s', retries: 1 },
      { url: `${error500.url}/hook/${TOKEN}`, retries: 2 },
      { url: `${reset.url}/hook/${TOKEN}`, retries: 1 },
    ]);
  });
  const common = ws.common;

  afterAll(async () => {
    await Promise.all([good, hang, error500, reset].map((r) => r?.close()));
  });

  it('a rollback sends exactly one rolled-back webhook with the evidence; broken receivers change nothing', async () => {
    const run = await runCli(['deploy', ...common, '--cluster-id', '221', '--inject-fault', 'eu221:0.9']);
    expect(run.code).toBe(1); // the rollback's exit code, not the webhooks'
    expect(run.stdout).toMatch(/traffic-shift\s+failed/);

    const json = good.received.filter((r) => r.path.startsWith('/services/')).map((r) => r.body as Note);
    const kinds = json.map((n) => n.kind);
    expect(kinds.filter((k) => k === 'rolled-back')).toHaveLength(1);
    expect(kinds).toEqual(expect.arrayContaining(['deployment-started', 'gate-failed', 'rolled-back', 'deployment-finished']));
    const rolledBack = json.find((n) => n.kind === 'rolled-back')!;
    expect(rolledBack.text).toMatch(/start-failure-ratio on \S*eu221\S* is [\d.]+, above the maximum 0\.1/);
    const evidence = rolledBack.data.evidence ?? [];
    expect(evidence.map((e) => [e.metric, e.outcome])).toEqual([['start-failure-ratio', 'fail']]);
    expect(evidence[0]?.values?.find((v) => v.cluster === 'gp-dev-ws-eu221-eu-west1')?.value).toBeGreaterThan(0.1);
    expect(evidence[0]?.samples).toMatchObject({ new: expect.any(Number), old: expect.any(Number) });

    const slack = good.received.filter((r) => r.path.startsWith('/slack/')).map((r) => r.body as { text: string; attachments: Array<{ color: string; blocks: unknown[] }> });
    expect(slack).toHaveLength(1);
    expect(slack[0]?.text).toMatch(/rolled back/);
    expect(slack[0]?.attachments[0]?.blocks.length).toBeGreaterThan(0);
    expect(slack[0]?.attachments[0]?.color).toBe('#D92D20'); // a rollback is red

    // Retries happened against the broken receivers.
    expect(error500.hits).toBeGreaterThanOrEqual(3);
    expect(hang.hits).toBeGreaterThanOrEqual(2);
    expect(reset.hits).toBeGreaterThanOrEqual(2);

    const id = (JSON.parse((await runCli(['status', ...common, '--output', 'json'])).stdout) as { id: string }).id;
    const records = readFileSync(join(ws.stateDir, id, 'journal.ndjson'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { seq: number; type: string; code?: string; message?: string });
    const delivered = records.filter((r) => r.code === 'notify.delivered');
    const failed = records.filter((r) => r.code === 'notify.failed');
    expect(delivered.length).toBe(json.length + slack.length);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.map((r) => r.message).join('\n')).toMatch(/no answer within 1000 ms/);
    expect(failed.map((r) => r.message).join('\n')).toMatch(/HTTP 500/);
    // Background delivery: while the hung receiver held the deployment-started notification (2 attempts
    // of 1 s), the steps went on: the first step started before that failure was journaled.
    const firstStep = records.find((r) => r.type === 'step.started');
    const firstHung = failed.find((r) => /no answer within/.test(r.message ?? ''));
    expect(firstHung!.seq).toBeGreaterThan(firstStep!.seq);

    const status = await runCli(['status', ...common]);
    expect(status.stdout).toMatch(/notifications: \d+ of \d+ deliveries failed/);
    const statusJson = JSON.parse((await runCli(['status', ...common, '--output', 'json'])).stdout) as { notifications: { failed: number; delivered: number } };
    expect(statusJson.notifications.failed).toBe(failed.length);

    // The token is nowhere: not in output, journal, snapshot or step logs.
    expect(`${run.stdout}${run.stderr}${status.stdout}`).not.toContain(TOKEN);
    const grep = (() => {
      try {
        return execFileSync('grep', ['-rl', TOKEN, ws.stateDir], { encoding: 'utf8' });
      } catch {
        return '';
      }
    })();
    expect(grep).toBe('');
  }, 240_000);
});
