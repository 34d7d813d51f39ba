/** Notifications as a pure function of journal records, and one delivery's retries and timeouts on fake time. */
import { describe, expect, it } from 'vitest';
import { displayUrl, webhookSchema } from '../../../src/notify/config.js';
import { deliver, type DeliverDeps } from '../../../src/notify/deliver.js';
import { notificationsFor, type NotificationState } from '../../../src/notify/notifications.js';
import { payloadFor } from '../../../src/notify/payloads.js';
import type { JournalRecord, Snapshot } from '../../../src/state/model.js';

const noSnapshot = (): Snapshot => {
  throw new Error('not asked for');
};
const ev = (seq: number, code: string, data: Record<string, unknown>, message = code): JournalRecord => ({ seq, time: '2026-01-01T00:00:00.000Z', type: 'event', level: 'info', code, step: 'traffic-shift', message, data });

describe('notificationsFor', () => {
  it('a manual gate says which command answers it; a rollback carries the failing decision once', () => {
    const state: NotificationState = { deploymentId: '20260101-000000-abcd' };
    const gate = notificationsFor(ev(1, 'traffic.gate', { gate: 'beforeDestroy' }, 'manual gate beforeDestroy'), state, noSnapshot);
    expect(gate.map((n) => n.kind)).toEqual(['gate-waiting']);
    expect(gate[0]?.text).toContain('ws-deployment shift resume 20260101-000000-abcd');
    // The event's own command (bare in journals written before it named the id) is not repeated: only the one with the id.
    for (const said of ['manual gate beforeIncrease at step 1/3 (10 %): waiting for `ws-deployment shift resume` (or promote / abort)', 'manual gate beforeIncrease at step 1/3 (10 %): waiting for `ws-deployment shift resume 20260101-000000-abcd` (or promote / abort)']) {
      const text = notificationsFor(ev(1, 'traffic.gate', { gate: 'beforeIncrease' }, said), state, noSnapshot)[0]?.text;
      expect(text).toBe('manual gate beforeIncrease at step 1/3 (10 %). Approve: `ws-deployment shift resume 20260101-000000-abcd` (or `ws-deployment shift promote 20260101-000000-abcd` / `ws-deployment shift abort 20260101-000000-abcd`)');
    }
    const decision = { verdict: 'fail', rule: 'limit.failures', message: 'm', percent: 10, decisions: [{ metric: 'errors', outcome: 'fail', samples: { new: 4 }, queries: [{ purpose: 'value', cluster: 'c1', side: 'new', query: 'q', values: [0.5] }] }, { metric: 'latency', outcome: 'pass' }] };
    expect(notificationsFor(ev(2, 'traffic.decision', decision), state, noSnapshot).map((n) => n.kind)).toEqual(['gate-failed']);
    const rb: JournalRecord = { seq: 3, time: 't', type: 'step.checkpoint', cluster: '*', step: 'traffic-shift', outputs: { progress: { phase: 'rolled-back', reason: 'fail: m', rolledBackFrom: 'step 1/3 (10 %)' } } };
    const out = notificationsFor(rb, state, noSnapshot);
    expect(out).toHaveLength(1);
    expect(out[0]?.data.evidence).toEqual([{ metric: 'errors', outcome: 'fail', samples: { new: 4 }, values: [{ cluster: 'c1', side: 'new', query: 'q', value: 0.5 }] }]);
    expect(notificationsFor({ ...rb, seq: 4, outputs: { progress: { phase: 'steps' } } }, state, noSnapshot)).toEqual([]);
  });
});

describe('deployment-finished', () => {
  it('a partial deployment says so, with the count of steps not run and the command that runs them', () => {
    const state: NotificationState = { deploymentId: 'd-9' };
    const snap = { id: 'd-9', state: 'partial', inputs: { project: 'p', environment: 'dev' }, deploymentSteps: [], clusters: [] } as unknown as Snapshot;
    const [partial] = notificationsFor({ seq: 1, time: 't', type: 'deployment.finished', state: 'partial', excluded: 2 }, state, () => snap);
    expect(partial).toMatchObject({ kind: 'deployment-finished', title: 'deployment d-9 partial', data: { state: 'partial', excluded: 2, command: 'ws-deployment resume d-9' } });
    expect(partial?.text).toMatch(/^2 steps not run yet/);
    expect(payloadFor('slack', partial!)).toMatchObject({ text: expect.not.stringMatching(/partial: deployment d-9 partial/) });
    const [done] = notificationsFor({ seq: 2, time: 't', type: 'deployment.finished', state: 'succeeded' }, state, () => ({ ...snap, state: 'succeeded' }));
    expect(done?.data).toEqual({ state: 'succeeded', outcome: 'succeeded' });
  });
});

describe('payloads and URLs', () => {
  it('shapes Slack and Teams bodies and never shows a URL path', () => {
    const n = { kind: 'rolled-back' as const, severity: 'failure' as const, deploymentId: 'd', time: 't', title: 'title', text: 'text', data: {} };
    expect(payloadFor('slack', n)).toMatchObject({ text: 'title: text', attachments: [{ color: '#D92D20', blocks: expect.any(Array) }] });
    expect(payloadFor('teams', n)).toMatchObject({ '@type': 'MessageCard', title: 'title', text: 'text' });
    expect(displayUrl('https://hooks.slack.com/services/T00/B00/XXXX')).toBe('https://hooks.slack.com/***');
    expect(webhookSchema.safeParse({ url: 'ftp://x' }).success).toBe(false);
  });
});

describe('deliver', () => {
  const hook = webhookSchema.parse({ url: 'http://127.0.0.1:9/hook/secret-token-123', retries: 3 });
  const fake = (answers: Array<number | Error>): DeliverDeps & { sleeps: number[] } => {
    let t = 0;
    const sleeps: number[] = [];
    return {
      sleeps,
      now: () => t,
      sleep: async (ms) => {
        sleeps.push(ms);
        t += ms;
      },
      fetch: (async () => {
        const a = answers.shift();
        if (a instanceof Error) throw a;
        return new Response('', { status: a ?? 200 });
      }) as typeof fetch,
    };
  };

  it('retries 5xx, timeouts and resets with capped exponential backoff', async () => {
    const deps = fake([500, Object.assign(new Error('t'), { name: 'TimeoutError' }), new TypeError('fetch failed', { cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) }), 200]);
    expect(await deliver(hook, {}, deps)).toMatchObject({ ok: true, attempts: 4, status: 200 });
    expect(deps.sleeps).toEqual([500, 1000, 2000]);
  });

  it('gives up after the retries, saying why without the URL; a 4xx is final', async () => {
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) });
    const down = await deliver(hook, {}, fake([refused, refused, refused, refused]));
    expect(down).toMatchObject({ ok: false, attempts: 4, error: 'ECONNREFUSED' });
    expect(await deliver(hook, {}, fake([404]))).toMatchObject({ ok: false, attempts: 1, status: 404 });
  });

  it('sends the credentials of a url with userinfo as basic auth (fetch refuses such urls)', async () => {
    const seen: Array<{ url: string; auth?: string }> = [];
    const deps: DeliverDeps = {
      now: () => 0,
      sleep: async () => {},
      fetch: (async (url: string | URL | Request, init?: RequestInit) => {
        seen.push({ url: String(url), auth: (init?.headers as Record<string, string>).authorization });
        new Request(url, init); // throws, as fetch does, for a url with credentials
        return new Response('', { status: 200 });
      }) as typeof fetch,
    };
    const basic = webhookSchema.parse({ url: 'http://hook%20user:p%40ss-word@127.0.0.1:9/hook', retries: 0 });
    expect(await deliver(basic, {}, deps)).toMatchObject({ ok: true, attempts: 1 });
    expect(seen).toEqual([{ url: 'http://127.0.0.1:9/hook', auth: `Basic ${Buffer.from('hook user:p@ss-word').toString('base64')}` }]);
  });
});
