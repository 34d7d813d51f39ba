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
