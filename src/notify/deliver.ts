/**
 * One webhook delivery: POST with a timeout per attempt and capped exponential
 * backoff between attempts. Never throws: the outcome is data the notifier
 * journals. 4xx other than 408/429 is final (the receiver refused the body).
 */
import { displayUrl, type WebhookConfig } from './config.js';

interface DeliveryOutcome {
  ok: boolean;
  attempts: number;
  status?: number;
  error?: string;
  durationMs: number;
}

export interface DeliverDeps {
  sleep(ms: number): Promise<void>;
  now(): number;
  fetch: typeof fetch;
}

export const defaultDeliverDeps: DeliverDeps = {
  sleep: (ms) => new Promise((r) => setTimeout(r, ms).unref?.()),
  now: () => Date.now(),
  fetch: (...args) => fetch(...args),
};

const INITIAL_DELAY_MS = 500;
const MAX_DELAY_MS = 10_000;

export async function deliver(hook: WebhookConfig, body: unknown, deps: DeliverDeps = defaultDeliverDeps): Promise<DeliveryOutcome> {
  const started = deps.now();
  let last: Pick<DeliveryOutcome, 'status' | 'error'> = {};
  const total = hook.retries + 1;
  const { url, authorization } = splitCredentials(hook.url);
  for (let attempt = 1; attempt <= total; attempt++) {
    try {
      const res = await deps.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'ws-deployment', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(hook.timeout),
        redirect: 'error',
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return { ok: true, attempts: attempt, status: res.status, durationMs: deps.now() - started };
      last = { status: res.status, error: `HTTP ${res.status}` };
      if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) return { ok: false, attempts: attempt, ...last, durationMs: deps.now() - started };
    } catch (error) {
      last = { error: describe(error, hook) };
    }
    if (attempt < total) await deps.sleep(Math.min(MAX_DELAY_MS, INITIAL_DELAY_MS * 2 ** (attempt - 1)));
  }
  return { ok: false, attempts: total, ...last, durationMs: deps.now() - started };
}

/**
 * `https://user:pass@host/…` as the URL without its userinfo plus a Basic authorization header:
 * fetch refuses a URL with credentials, so such a webhook would never be delivered.
 */
function splitCredentials(raw: string): { url: string; authorization?: string } {
  const u = new URL(raw);
  if (!u.username && !u.password) return { url: raw };
  const authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
  u.username = '';
  u.password = '';
  return { url: u.href, authorization };
}

/** A fetch error in words, without the URL (it may hold a token). */
function describe(error: unknown, hook: WebhookConfig): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return `no answer within ${hook.timeout} ms`;
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
  const code = cause && 'code' in cause ? String((cause as { code: unknown }).code) : undefined;
  const text = code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
  return text.split(hook.url).join(displayUrl(hook.url));
}
