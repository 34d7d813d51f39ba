/**
 * The client against the reference bridge after a connection reset or a bridge down a while:
 * - a call that must not be repeated (Register, Deregister, a constraint change), lost with a dead
 *   connection and settled "not done" by List, is sent once more — what the error told the operator to
 *   do — and only once; a copy still in transit that lands first makes the second Register an
 *   ALREADY_EXISTS for our name and url, which counts as registered;
 * - a bridge that is back is reached at the next retry, not refused for the length of grpc-js's
 *   reconnect backoff (1 s and more) by a channel that saw it down, nor by a client opened after.
 * The faults are the bridge's, fired by the test (no timers): `applyLate` takes the call, cuts every
 * connection and holds the call unapplied, as a request that died with its connection.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { referenceFixture } from './support/reference.js';
import { registerInput, rejection } from './support/sim.js';

const ref = referenceFixture();
afterEach(() => ref.cleanup());

describe('a call lost with its connection, which List shows not done, is sent once more', () => {
  it('Register: goes through on the second send, and the operator is told why it was sent twice', async () => {
    const b = await ref.bridge();
    const sink = new MemorySink();
    const c = await ref.client(b, sink);
    b.applyLate('Register');
    await expect(c.register(registerInput('eu1'))).resolves.toEqual({});
    expect(b.rows().map((r) => r.name)).toEqual(['eu1']);
    expect(b.calls).toMatchObject({ Register: 2, List: 1 });
    expect(sink.events.find((e) => e.code === 'registry.retry' && e.data?.['resent'])?.message).toMatch(
      /was lost during register of eu1 .*; List on meta-eu right after does not show eu1 registered at dns:\/\/\/ws-eu1\.example\.com:8080, so the bridge had not done it: sending it once more$/,
    );
    // The first one, still held, lands late: refused as a duplicate, nothing changes.
    expect(b.releaseLate()).toBe(1);
    expect(b.rows().map((r) => r.name)).toEqual(['eu1']);
  });

  it('Register: the first one lands before the second (ALREADY_EXISTS for our name and url) = registered', async () => {
    const b = await ref.bridge();
    const c = await ref.client(b);
    b.applyLate('Register');
    const list = c.list.bind(c);
    // The held Register lands right after the settling List, before the second send.
    c.list = async () => {
      const rows = await list();
      b.releaseLate();
      return rows;
    };
    await expect(c.register(registerInput('eu1'))).resolves.toMatchObject({ answerLost: expect.stringContaining('was lost during register of eu1') });
    expect(b.rows().map((r) => r.name)).toEqual(['eu1']);
  });

  it('Register: once only — lost again, the error says so and nothing is sent a third time', async () => {
    const b = await ref.bridge();
    const c = await ref.client(b);
    b.applyLate('Register');
    const list = c.list.bind(c);
    c.list = async () => {
      const rows = await list();
      b.applyLate('Register');
      return rows;
    };
    const error = await rejection(c.register(registerInput('eu1')));
    expect(error).toMatchObject({ code: 'RegistryUnavailable', transient: true, details: { applied: false } });
    expect(error.message).toContain('so the bridge had not done it');
    expect(b.calls).toMatchObject({ Register: 2, List: 2 });
  });

  it('Register refused on the second send: the refusal is what the operator hears', async () => {
    const b = await ref.bridge();
    const c = await ref.client(b);
    b.applyLate('Register');
    const error = await rejection(c.register(registerInput('eu1', { tls: { ...registerInput('eu1').tls, key: '' } })));
    expect(error).toMatchObject({ code: 'RegistryRefused' });
    expect(error.message).toContain('could not reach ws-manager of eu1');
  });

  it('Deregister and a constraint change: sent once more, done once', async () => {
    const b = await ref.bridge();
    const c = await ref.client(b);
    await c.register(registerInput('eu1'));
    await c.register(registerInput('eu2'));
    b.applyLate('Update');
    await expect(c.update('eu1', { admissionConstraint: { add: true, constraint: { type: 'has-feature-preview' } } })).resolves.toEqual({});
    b.applyLate('Deregister');
    await expect(c.deregister({ name: 'eu2', force: false })).resolves.toEqual({});
    expect(b.rows()).toMatchObject([{ name: 'eu1', constraints: [{ kind: 'has-feature-preview' }] }]);
    expect(b.calls).toMatchObject({ Update: 2, Deregister: 2 });
  });

  it('a constraint add whose first copy lands too: the cluster ends with it once, and the operator is told', async () => {
    const b = await ref.bridge();
    const sink = new MemorySink();
    const c = await ref.client(b, sink);
    await c.register(registerInput('eu1', { admissionConstraints: [{ type: 'has-feature-preview' }] }));
    b.applyLate('Update');
    const list = c.list.bind(c);
    let lists = 0;
    // The held add lands right after the List that settles it "not done", before the second send.
    c.list = async () => {
      const rows = await list();
      if (++lists === 1) expect(b.releaseLate()).toBe(1);
      return rows;
    };
    const staff = { type: 'has-permission', permission: 'new-workspace-cluster' } as const;
    await expect(c.update('eu1', { admissionConstraint: { add: true, constraint: staff } })).resolves.toEqual({});
    // What the operator asked for: the staff constraint once, and the constraint it had before kept.
    expect(b.rows()[0]?.constraints).toEqual([{ kind: 'has-feature-preview' }, { kind: 'has-permission', permission: 'new-workspace-cluster' }]);
    expect(sink.events.find((e) => e.code === 'registry.duplicate-removed')?.message).toBe(
      'eu1 on meta-eu lists has-permission=new-workspace-cluster 2 times: the first add landed after all, besides the second; removing it and adding it once',
    );
  });

  it('a constraint add sent twice whose first copy never lands: once, nothing more sent', async () => {
    const b = await ref.bridge();
    const sink = new MemorySink();
    const c = await ref.client(b, sink);
    await c.register(registerInput('eu1'));
    b.applyLate('Update');
    await c.update('eu1', { admissionConstraint: { add: true, constraint: { type: 'has-feature-preview' } } });
    expect(b.rows()[0]?.constraints).toEqual([{ kind: 'has-feature-preview' }]);
    expect(b.calls).toMatchObject({ Update: 2, List: 2 });
    expect(sink.events.some((e) => e.code === 'registry.duplicate-removed')).toBe(false);
  });

  it('score, cordon and Deregister sent twice: a first copy landing late sets what the second did', async () => {
    const b = await ref.bridge();
    const c = await ref.client(b);
    await c.register(registerInput('eu1'));
    await c.register(registerInput('eu2'));
    b.applyLate('Update');
    await c.update('eu1', { score: 30 });
    b.applyLate('Update');
    await c.update('eu1', { cordoned: true });
    b.applyLate('Deregister');
    await c.deregister({ name: 'eu2', force: false });
    expect(b.releaseLate()).toBe(3);
    expect(b.rows()).toMatchObject([{ name: 'eu1', score: 30, state: 'CORDONED' }]);
  });

  it('not past a deadline: the bridge may still be at it, so that is left to the operator', async () => {
    const b = await ref.bridge();
    const c = await ref.client(b, new MemorySink(), { deadlineMs: 300 });
    await c.register(registerInput('eu1'));
    b.hang('Deregister');
    await expect(c.deregister({ name: 'eu1', force: false })).rejects.toMatchObject({ message: expect.stringContaining('may still be at it') });
    expect(b.calls.Deregister).toBe(1);
  });
});

describe('a bridge that is back', () => {
  it('is reached at the next retry, by the client that saw it down and by one opened after', async () => {
    const b = await ref.bridge();
    const c = await ref.client(b);
    await c.list();
    await b.down();
    // The failed connect starts grpc-js's reconnect backoff (1 s or more); FAST retries are over within ms.
    await rejection(c.list());
    await b.up();
    await expect(c.list()).resolves.toEqual([]);
    await b.down();
    await rejection(c.list());
    await b.up();
    const fresh = await ref.client(b);
    await expect(fresh.register(registerInput('eu1'))).resolves.toEqual({});
  });
});
