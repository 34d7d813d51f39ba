/**
 * Registry calls across a stop of the job (Ctrl-Z, then `fg`) longer than their deadline, against the reference
 * bridge: the deadline grpc-js gets is wall-clock, so it runs out during the stop, and the DEADLINE_EXCEEDED on `fg`
 * is not the bridge's doing. The call is sent again with a fresh deadline, not counted as unanswered (a Deregister or
 * a constraint add after List, as a lost answer; Register takes that path too, but its deadline of at least 60 s is
 * too long a stop for a test), and the waiting lines say nothing of a hung bridge. The stop is simulated in this
 * process (test/helpers/job-stop.ts) while the bridge holds the call; the bridge runs in this process too, so it is
 * stopped with the job and its late answer comes after the deadline ran out, as a real bridge's does (read on `fg`
 * after the deadline timer). Without a stop, a hung bridge fails as before (reference-hang, reference-faults).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { stopJobFor } from '../../helpers/job-stop.js';
import { until } from '../../helpers/processes.js';
import { referenceFixture } from './support/reference.js';
import { registerInput, rejection } from './support/sim.js';

const ref = referenceFixture();
afterEach(() => ref.cleanup());

/** Deadline of the calls; the stop is well longer, the bridge's slow answers well shorter (a loaded 2-core machine). */
const DEADLINE_MS = 3_000;
const STOP_MS = 5_000;
const SLOW_MS = 800;

/**
 * Seconds each waiting line says its attempt has waited: about the deadline at most (a second more for a late timer
 * on a loaded machine), where counting the stop would say the stop's length.
 */
function waitedFigures(sink: MemorySink): number[] {
  return sink.events.filter((e) => e.code === 'registry.waiting').map((e) => Number(/: ([0-9.]+) s into attempt/.exec(e.message)?.[1]));
}

describe('a registry call whose deadline ran out while the job was stopped', () => {
  it('List answered slowly: sent again on `fg` and answered, not counted as unanswered, no hung-bridge words', { timeout: 60_000 }, async () => {
    const b = await ref.bridge();
    b.slow('List', SLOW_MS);
    const sink = new MemorySink();
    // One unanswered attempt is all it gets: counting the stopped one would fail the call.
    const c = await ref.client(b, sink, { deadlineMs: DEADLINE_MS, progressMs: 500, retry: { attempts: 3, initialDelayMs: 5, maxDelayMs: 10, unanswered: 1 } });
    const listed = c.list();
    await until('the bridge took the List', () => b.calls.List === 1);
    stopJobFor(STOP_MS);
    await expect(listed).resolves.toEqual([]);
    expect(b.calls.List).toBe(2);
    const resent = sink.events.filter((e) => e.code === 'registry.resend-after-stop');
    expect(resent.map((e) => e.message)).toEqual([
      expect.stringMatching(/^list on meta-eu: its 3\.0 s deadline ran out while the job was stopped \([0-9.]+ s\); sending it again, still attempt 1 of 3$/),
    ]);
    expect(resent[0]?.level).toBe('info');
    expect(sink.events.filter((e) => e.code === 'registry.retry')).toEqual([]);
    expect(sink.events.map((e) => e.message).join('\n')).not.toMatch(/hung|overloaded|never answered/);
    for (const waited of waitedFigures(sink)) expect(waited).toBeLessThanOrEqual(DEADLINE_MS / 1000 + 1);
  });

  it('List on a bridge that stays hung: the stopped attempt is not one of the two unanswered ones', { timeout: 60_000 }, async () => {
    const b = await ref.bridge();
    b.hang('List');
    const sink = new MemorySink();
    const c = await ref.client(b, sink, { deadlineMs: DEADLINE_MS, progressMs: 500, retry: { attempts: 5, initialDelayMs: 5, maxDelayMs: 10 } });
    const listed = rejection(c.list());
    await until('the bridge took the List', () => b.calls.List === 1);
    stopJobFor(STOP_MS);
    const error = await listed;
    expect(error.message).toMatch(/took list 2 times and never answered \(3\.0 s each, ([0-9.]+) s in all\): the bridge is hung or overloaded/);
    // In all: running time, about two deadlines (the stopped attempt ran briefly before the stop), not the stop too.
    expect(Number(/, ([0-9.]+) s in all/.exec(error.message)?.[1])).toBeLessThan(3 * (DEADLINE_MS / 1000));
    expect(b.calls.List).toBe(3);
    expect(sink.events.filter((e) => e.code === 'registry.retry').map((e) => e.message)).toEqual([
      expect.stringMatching(/^list on meta-eu: no answer within 3\.0 s \(gives up after 2 unanswered\); attempt 2 of 5 in 5 ms/),
    ]);
    const waiting = sink.events.filter((e) => e.code === 'registry.waiting').map((e) => e.message);
    expect(waiting.some((m) => / s in all, not counting [0-9.]+ s the job was stopped$/.test(m))).toBe(true);
    for (const waited of waitedFigures(sink)) expect(waited).toBeLessThanOrEqual(DEADLINE_MS / 1000 + 1);
  });

  it('Deregister the bridge had not done: List first, then sent once more and done, once', { timeout: 60_000 }, async () => {
    const b = await ref.bridge();
    const sink = new MemorySink();
    const c = await ref.client(b, sink, { deadlineMs: DEADLINE_MS });
    await c.register(registerInput('eu1'));
    // The stopped one is held unapplied; the one sent again is answered.
    b.hang('Deregister');
    const deregistered = c.deregister({ name: 'eu1', force: false });
    await until('the bridge took the Deregister', () => b.calls.Deregister === 1);
    b.hang('Deregister', false);
    stopJobFor(STOP_MS);
    await expect(deregistered).resolves.toEqual({});
    expect(b.rows()).toEqual([]);
    expect(b.calls.Deregister).toBe(2);
    expect(b.calls.List).toBe(1);
    expect(sink.events.filter((e) => e.code === 'registry.retry').map((e) => e.message)).toEqual([
      expect.stringMatching(
        /^deregister of eu1 on meta-eu ran out its 3\.0 s deadline while the job was stopped \([0-9.]+ s\), so its answer, if any, came too late; List on meta-eu right after still lists eu1, so the bridge had not done it: sending it once more$/,
      ),
    ]);
  });

  it('a constraint add the bridge had not done: List first, then sent once more; the cluster has it once', { timeout: 60_000 }, async () => {
    const b = await ref.bridge();
    const c = await ref.client(b, new MemorySink(), { deadlineMs: DEADLINE_MS });
    await c.register(registerInput('eu1'));
    b.hang('Update');
    const added = c.update('eu1', { admissionConstraint: { add: true, constraint: { type: 'has-feature-preview' } } });
    await until('the bridge took the Update', () => b.calls.Update === 1);
    b.hang('Update', false);
    stopJobFor(STOP_MS);
    await expect(added).resolves.toEqual({});
    expect(b.rows()[0]?.constraints).toEqual([{ kind: 'has-feature-preview' }]);
    expect(b.calls.Update).toBe(2);
  });

  it('Deregister the bridge did, its answer late: List shows it done, so it is not sent twice', { timeout: 60_000 }, async () => {
    const b = await ref.bridge();
    const sink = new MemorySink();
    const c = await ref.client(b, sink, { deadlineMs: DEADLINE_MS });
    await c.register(registerInput('eu1'));
    b.slow('Deregister', SLOW_MS);
    const deregistered = c.deregister({ name: 'eu1', force: false });
    await until('the bridge took the Deregister', () => b.calls.Deregister === 1);
    stopJobFor(STOP_MS);
    await expect(deregistered).resolves.toEqual({ answerLost: expect.stringMatching(/^deregister of eu1 on meta-eu ran out its 3\.0 s deadline while the job was stopped/) });
    expect(b.rows()).toEqual([]);
    expect(b.calls.Deregister).toBe(1);
    expect(sink.events.find((e) => e.code === 'registry.answer-lost')?.message).toMatch(/while the job was stopped .*; List on meta-eu no longer lists eu1, so it went through$/);
  });
});
