import { describe, expect, it } from 'vitest';
import { checkGraph, runGraph, type NodeOutcome, type WorkNode } from '../../../src/engine/work-graph.js';

const node = (id: string, deps: string[] = [], kind = 'k'): WorkNode => ({ id, kind, deps });
const tick = () => new Promise((r) => setTimeout(r, 1));

describe('work graph', () => {
  it('names the cycle path', () => {
    expect(() => checkGraph([node('a', ['c']), node('b', ['a']), node('c', ['b'])])).toThrow(/dependency cycle: a → c → b → a/);
    expect(() => checkGraph([node('a', ['x'])])).toThrow(/unknown node x/);
  });

  it('runs dependencies first and respects per-kind concurrency', async () => {
    const order: string[] = [];
    let running = 0;
    let peak = 0;
    const nodes = [node('a1'), node('a2', ['a1']), node('b1'), node('b2', ['b1']), node('c1'), node('c2', ['c1'])];
    const results = await runGraph(nodes, {
      concurrency: { k: 2 },
      execute: async (n) => {
        running++;
        peak = Math.max(peak, running);
        await tick();
        order.push(n.id);
        running--;
        return 'succeeded';
      },
    });
    expect(peak).toBe(2);
    expect(order.indexOf('a1')).toBeLessThan(order.indexOf('a2'));
    expect(order.indexOf('c1')).toBeLessThan(order.indexOf('c2'));
    expect([...results.values()].every((r) => r === 'succeeded')).toBe(true);
  });

  it('a failure blocks only its dependents; other branches go on', async () => {
    const nodes = [node('a1'), node('a2', ['a1']), node('a3', ['a2']), node('b1'), node('b2', ['b1'])];
    const results = await runGraph(nodes, { execute: async (n) => (n.id === 'a1' ? 'failed' : 'succeeded') });
    expect(Object.fromEntries(results)).toEqual({ a1: 'failed', a2: 'blocked', a3: 'blocked', b1: 'succeeded', b2: 'succeeded' });
  });

  it('fail-fast stops scheduling but lets in-flight work end', async () => {
    let bFinished = false;
    const nodes = [node('a1'), node('b1'), node('b2', ['b1']), node('c1', [], 'late')];
    const results = await runGraph(nodes, {
      failFast: true,
      concurrency: { late: 0 },
      execute: async (n): Promise<NodeOutcome> => {
        if (n.id === 'a1') return 'failed';
        await new Promise((r) => setTimeout(r, 20));
        bFinished = true;
        return 'succeeded';
      },
    });
    expect(bFinished).toBe(true);
    expect(results.get('b1')).toBe('succeeded');
    expect(results.get('b2')).toBe('not-started');
  });

  it('an execute that throws counts as failed', async () => {
    const results = await runGraph([node('a'), node('b', ['a'])], { execute: async () => { throw new Error('boom'); } });
    expect(results.get('a')).toBe('failed');
    expect(results.get('b')).toBe('blocked');
  });

  it('stops scheduling on abort', async () => {
    const controller = new AbortController();
    const results = await runGraph([node('a'), node('b', ['a'])], {
      signal: controller.signal,
      execute: async () => {
        controller.abort();
        return 'interrupted';
      },
    });
    expect(results.get('a')).toBe('interrupted');
    expect(results.get('b')).toBe('blocked');
  });
});

/** Runs `nodes` one at a time (bound 1 on kind k), recording the start order; `outcomes` overrides 'succeeded'. */
async function serial(nodes: WorkNode[], outcomes: Record<string, NodeOutcome> = {}, options: { failFast?: boolean; signal?: AbortSignal } = {}) {
  const started: string[] = [];
  const results = await runGraph(nodes, {
    ...options,
    concurrency: { k: 1 },
    execute: async (n) => {
      started.push(n.id);
      await tick();
      return outcomes[n.id] ?? 'succeeded';
    },
  });
  return { started, results: Object.fromEntries(results) };
}

describe('work graph rules', () => {
  it('names the node with the unknown dependency and carries the cycle path in the error details', () => {
    expect(() => checkGraph([node('a'), node('b', ['a', 'zz'])])).toThrow('work node b depends on unknown node zz');
    let details: unknown;
    try {
      checkGraph([node('x'), node('a', ['b']), node('b', ['a'])]);
    } catch (e) {
      details = (e as { details: unknown }).details;
      expect((e as Error).message).toBe('dependency cycle: a → b → a');
    }
    expect(details).toEqual({ cycle: ['a', 'b', 'a'] });
    expect(() => checkGraph([node('s', ['s'])])).toThrow('dependency cycle: s → s');
  });

  it('accepts a diamond (a node reached twice is no cycle) and runs its join only after both branches', async () => {
    const nodes = [node('top'), node('left', ['top']), node('right', ['top']), node('join', ['left', 'right'])];
    expect(() => checkGraph(nodes)).not.toThrow();
    const { started } = await serial(nodes);
    expect(started).toEqual(['top', 'left', 'right', 'join']);
  });

  it('starts ready nodes in input order, also ones that became ready later', async () => {
    // c2 becomes ready after c1; a later-listed root (d1) is still behind it in the input, so c2 goes first.
    const { started } = await serial([node('b1'), node('c1'), node('c2', ['c1']), node('d1'), node('e1')]);
    expect(started).toEqual(['b1', 'c1', 'c2', 'd1', 'e1']);
    const second = await serial([node('a1'), node('b1'), node('a2', ['a1']), node('b2', ['b1'])]);
    expect(second.started).toEqual(['a1', 'b1', 'a2', 'b2']);
  });

  it('a skipped node unblocks its dependents like a succeeded one', async () => {
    const { results } = await serial([node('a'), node('b', ['a'])], { a: 'skipped' });
    expect(results).toEqual({ a: 'skipped', b: 'succeeded' });
  });

  it('without fail-fast, a failure leaves the other branches running to the end', async () => {
    const { results, started } = await serial([node('a'), node('a2', ['a']), node('b'), node('b2', ['b'])], { a: 'failed' });
    expect(results).toEqual({ a: 'failed', a2: 'blocked', b: 'succeeded', b2: 'succeeded' });
    expect(started).toEqual(['a', 'b', 'b2']);
  });

  it('with fail-fast, nothing starts after the first failure', async () => {
    const { results, started } = await serial([node('a'), node('b'), node('c')], { a: 'failed' }, { failFast: true });
    expect(started).toEqual(['a']);
    expect(results).toEqual({ a: 'failed', b: 'not-started', c: 'not-started' });
  });

  it('an interrupted node stops scheduling even without fail-fast', async () => {
    const { results, started } = await serial([node('a'), node('b'), node('c', ['a'])], { a: 'interrupted' });
    expect(started).toEqual(['a']);
    expect(results).toEqual({ a: 'interrupted', b: 'not-started', c: 'blocked' });
  });

  it('blocks every transitive dependent of a failure, once', async () => {
    const { results } = await serial([node('a'), node('b', ['a']), node('c', ['a', 'b']), node('d', ['c'])], { a: 'failed' });
    expect(results).toEqual({ a: 'failed', b: 'blocked', c: 'blocked', d: 'blocked' });
  });

  it('starts nothing when aborted before it begins, and resolves at once', async () => {
    const controller = new AbortController();
    controller.abort();
    const { results, started } = await serial([node('a'), node('b')], {}, { signal: controller.signal });
    expect(started).toEqual([]);
    expect(results).toEqual({ a: 'not-started', b: 'not-started' });
  });

  it('resolves an empty graph with no results', async () => {
    expect((await runGraph([], { execute: async () => 'succeeded' })).size).toBe(0);
  });

  it('bounds each kind separately and leaves unlisted kinds unbounded', async () => {
    const peak: Record<string, number> = {};
    const running: Record<string, number> = {};
    const nodes = [node('a1', [], 'a'), node('a2', [], 'a'), node('a3', [], 'a'), node('f1', [], 'free'), node('f2', [], 'free'), node('f3', [], 'free')];
    await runGraph(nodes, {
      concurrency: { a: 1 },
      execute: async (n) => {
        running[n.kind] = (running[n.kind] ?? 0) + 1;
        peak[n.kind] = Math.max(peak[n.kind] ?? 0, running[n.kind]!);
        await tick();
        running[n.kind]!--;
        return 'succeeded';
      },
    });
    expect(peak).toEqual({ a: 1, free: 3 });
  });

  it('a kind bounded at 2 runs its third node only after one of the first two ends', async () => {
    const events: string[] = [];
    await runGraph([node('x1'), node('x2'), node('x3')], {
      concurrency: { k: 2 },
      execute: async (n) => {
        events.push(`start ${n.id}`);
        await tick();
        events.push(`end ${n.id}`);
        return 'succeeded';
      },
    });
    expect(events.slice(0, 3)).toEqual(['start x1', 'start x2', 'end x1']);
    expect(events.indexOf('start x3')).toBeGreaterThan(events.indexOf('end x1'));
  });
});

describe('work graph rules, continued', () => {
  it('graph errors are internal errors (a bug in the plan, not the user’s config)', () => {
    for (const nodes of [[node('a', ['zz'])], [node('a', ['b']), node('b', ['a'])]]) {
      let error: { code?: string; source?: string } | undefined;
      try {
        checkGraph(nodes);
      } catch (e) {
        error = e as { code?: string; source?: string };
      }
      expect([error?.code, error?.source]).toEqual(['Internal', 'internal']);
    }
  });

  it('names only the cycle itself, not the path that led to it', () => {
    expect(() => checkGraph([node('x', ['a']), node('a', ['b']), node('b', ['a'])])).toThrow(/^dependency cycle: a → b → a$/);
  });

  it('a node with two dependencies starts only once both have finished, even with room to run', async () => {
    let releaseSlow!: () => void;
    const slow = new Promise<void>((resolve) => (releaseSlow = resolve));
    const events: string[] = [];
    const done = runGraph([node('fast'), node('slow'), node('join', ['fast', 'slow'])], {
      execute: async (n) => {
        events.push(`start ${n.id}`);
        if (n.id === 'slow') await slow;
        events.push(`end ${n.id}`);
        return 'succeeded';
      },
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(events).toEqual(['start fast', 'end fast', 'start slow']);
    releaseSlow();
    await done;
    expect(events.slice(3)).toEqual(['end slow', 'start join', 'end join']);
  });
});
