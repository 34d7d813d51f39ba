import { describe, expect, it } from 'vitest';
import { extend } from '../../../src/core/extend.js';

describe('extend', () => {
  it('copies the base and puts the extra properties on top, in the order a spread gives', () => {
    const base = { type: 'step.started', cluster: 'c', seq: 1 };
    const out = extend(base, { seq: 2, time: 't' });
    expect(out).toEqual({ type: 'step.started', cluster: 'c', seq: 2, time: 't' });
    expect(Object.keys(out)).toEqual(Object.keys({ ...base, seq: 2, time: 't' }));
    expect(JSON.stringify(out)).toBe(JSON.stringify({ ...base, seq: 2, time: 't' }));
  });

  it('never changes the base or the extra, and returns a new object', () => {
    const base = Object.freeze({ state: 'pending', attempts: 0 });
    const extra = Object.freeze({ state: 'running', attempts: 1 });
    const out = extend(base, extra);
    expect(out).not.toBe(base);
    expect(out).not.toBe(extra);
    expect(base).toEqual({ state: 'pending', attempts: 0 });
    expect(Object.isFrozen(out)).toBe(false);
  });

  it('keeps an explicit undefined as a spread does (a cleared field stays cleared)', () => {
    const out = extend({ error: { code: 'x', message: 'y' }, state: 'failed' }, { error: undefined, state: 'running' });
    expect(out).toEqual({ ...{ error: { code: 'x', message: 'y' }, state: 'failed' }, error: undefined, state: 'running' });
    expect('error' in out).toBe(true);
    expect(out.error).toBeUndefined();
  });
});

describe('extend on parsed data', () => {
  it('keeps a `__proto__` key of parsed JSON a plain property, as a spread does, and never changes the prototype', () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "state": "pending"}') as Record<string, unknown>;
    const out = extend(parsed, { state: 'running' }) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(out.polluted).toBeUndefined();
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect(out.state).toBe('running');
    expect(JSON.stringify(out)).toBe(JSON.stringify({ ...parsed, state: 'running' }));
  });
});
