import { describe, expect, it } from 'vitest';
import { WsdError } from '../../../src/core/errors.js';
import { backoffDelay, withRetry } from '../../../src/engine/retry.js';

const policy = { attempts: 4, initialDelayMs: 100, maxDelayMs: 250 };

describe('retry', () => {
  it('backs off exponentially with a cap', () => {
    expect([1, 2, 3, 4].map((a) => backoffDelay(policy, a))).toEqual([100, 200, 250, 250]);
  });

  it('retries transient errors and reports each retry', async () => {
    const delays: number[] = [];
    let calls = 0;
    const value = await withRetry(
      policy,
      async () => {
        calls++;
        if (calls < 3) throw new WsdError('ToolFailed', 'rate limited', { transient: true });
        return 'ok';
      },
      { sleep: async (ms) => void delays.push(ms), onRetry: () => undefined },
    );
    expect(value).toBe('ok');
    expect(calls).toBe(3);
    expect(delays).toEqual([100, 200]);
  });

  it('never retries a permanent error', async () => {
    let calls = 0;
    await expect(
      withRetry(policy, async () => {
        calls++;
        throw new WsdError('ToolFailed', 'syntax error');
      }, { sleep: async () => undefined }),
    ).rejects.toThrow('syntax error');
    expect(calls).toBe(1);
  });

  it('gives up after the attempt limit', async () => {
    let calls = 0;
    await expect(
      withRetry(policy, async () => {
        calls++;
        throw new WsdError('ToolFailed', 'quota', { transient: true });
      }, { sleep: async () => undefined }),
    ).rejects.toThrow('quota');
    expect(calls).toBe(4);
  });

  it('does not retry after abort', async () => {
    const controller = new AbortController();
    let calls = 0;
    await expect(
      withRetry(policy, async () => {
        calls++;
        controller.abort();
        throw new WsdError('ToolFailed', 'blip', { transient: true });
      }, { signal: controller.signal, sleep: async () => undefined }),
    ).rejects.toThrow('blip');
    expect(calls).toBe(1);
  });
});
