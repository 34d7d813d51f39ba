/**
 * The two safety checks of a retirement (src/steps/retire/retire-guards.ts):
 * the beforeDestroy gate only a human opens, and the refusal to retire the last
 * clusters of a meta cluster that take new starts.
 */
import { describe, expect, it } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { WsdError } from '../../../src/core/errors.js';
import type { ControlCommand } from '../../../src/steps/step.js';
import { assertOthersTakeTraffic, dropShiftCommands, waitForApproval } from '../../../src/steps/retire/retire-guards.js';
import type { ConnectedRegistry } from '../../../src/traffic/registry-adapter.js';
import type { Clock, RegistryCluster } from '../../../src/traffic/shift-ports.js';

/** A gate context that answers the given control commands in order (undefined: nothing sent yet). */
function gate(commands: Array<ControlCommand | undefined>) {
  const sink = new MemorySink();
  const records: Array<{ code: string; message: string; data: Record<string, unknown> }> = [];
  /** Checkpoints and records in the order they were journaled. */
  const journal: string[] = [];
  const checkpoints: Array<Record<string, unknown>> = [];
  const sleeps: Array<{ ms: number; signal?: AbortSignal }> = [];
  const signal = new AbortController().signal;
  let polls = 0;
  const ctx = {
    deploymentId: '20261204-101500-a1b2',
    sink,
    signal,
    takeControl: async () => {
      polls++;
      const command = commands.shift();
      return command ? { command, sentAt: '2026-01-01T00:00:00.000Z', by: 'alice@box (shift resume)' } : undefined;
    },
    record: async (code: string, message: string, data: Record<string, unknown>) => {
      records.push({ code, message, data });
      journal.push(code);
    },
    checkpoint: async (partial: Record<string, unknown>) => {
      checkpoints.push(partial);
      journal.push('checkpoint');
    },
  };
  const clock: Clock = {
    now: () => 0,
    sleep: async (ms, s) => {
      sleeps.push({ ms, signal: s });
      // Every scripted answer was given long ago: a gate still asking is a bug, not a wait.
      if (sleeps.length > commands.length + 20) throw new Error('the gate kept polling after its answer');
    },
  };
  return { ctx, clock, sink, records, checkpoints, journal, sleeps, signal, polls: () => polls };
}

describe('the beforeDestroy gate', () => {
  it('announces what it is about to do and how to answer, before asking', async () => {
    const g = gate(['resume']);
    await waitForApproval(g.ctx, 'destroy cluster eu70', g.clock);
    expect(g.sink.events[0]).toMatchObject({ level: 'info', code: 'retire.gate' });
    expect(g.sink.events[0]!.message).toBe(
      'manual gate beforeDestroy: about to destroy cluster eu70; approve with `ws-deployment shift resume 20261204-101500-a1b2`, refuse with `ws-deployment shift abort 20261204-101500-a1b2` (or re-run with --yes)',
    );
  });

  it.each(['resume', 'promote'] as const)('is approved by %s, checkpointed (who, when) before anything else, and shown', async (command) => {
    const g = gate([command]);
    await waitForApproval(g.ctx, 'retire', g.clock);
    const approved = { command, by: 'alice@box (shift resume)', sentAt: '2026-01-01T00:00:00.000Z', at: '1970-01-01T00:00:00.000Z' };
    // The checkpoint is what a resumed run reads: it comes first, so a run killed after any later write retires without asking.
    expect(g.journal).toEqual(['checkpoint', 'retire.approved']);
    expect(g.checkpoints).toEqual([{ approved, awaiting: null }]);
    expect(g.records).toEqual([{ code: 'retire.approved', message: `beforeDestroy approved (${command}) by alice@box (shift resume)`, data: approved }]);
    expect(g.sink.events[1]).toMatchObject({ level: 'info', code: 'retire.approved', message: `manual gate beforeDestroy approved (${command}) by alice@box (shift resume): retiring` });
    expect(g.sleeps).toEqual([]);
  });

  it('refuses on abort, saying nothing was changed, and journals no approval', async () => {
    const g = gate(['abort']);
    const error = await waitForApproval(g.ctx, 'retire', g.clock).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WsdError);
    expect((error as WsdError).code).toBe('GateFailed');
    expect((error as WsdError).message).toBe(
      'retirement refused by an operator at the beforeDestroy gate; nothing was changed — the old clusters still take the share the shift left them (none after a promotion: they are cordoned)',
    );
    expect(g.records).toEqual([]);
    expect(g.checkpoints).toEqual([]);
    expect(g.sink.codes()).toEqual(['retire.gate']);
  });

  it('keeps waiting, one poll interval at a time, while no answer or another command comes', async () => {
    const g = gate([undefined, 'pause', undefined, 'resume']);
    await waitForApproval(g.ctx, 'retire', g.clock, 250);
    expect(g.polls()).toBe(4);
    expect(g.sleeps).toEqual([
      { ms: 250, signal: g.signal },
      { ms: 250, signal: g.signal },
      { ms: 250, signal: g.signal },
    ]);
    expect(g.records.map((r) => r.code)).toEqual(['retire.approved']);
  });

  it('does not take a promote sent to the shift (queued before the gate was reached) as its answer: dropped, journaled, then asked', async () => {
    const g = gate(['promote', 'pause']);
    await dropShiftCommands(g.ctx);
    expect(g.records.map((r) => [r.code, r.data.command])).toEqual([
      ['retire.stale-command', 'promote'],
      ['retire.stale-command', 'pause'],
    ]);
    expect(g.records[0]!.message).toBe('"promote" sent 2026-01-01T00:00:00.000Z by alice@box (shift resume) was for the traffic shift, which finished before taking it: not applied, and not an answer to the beforeDestroy gate');
    expect(g.sink.events.map((e) => e.level)).toEqual(['warn', 'warn']);
    // The gate now asks: nothing approves it until an answer comes.
    const h = gate([undefined, 'resume']);
    await waitForApproval(h.ctx, 'retire', h.clock, 250);
    expect(h.polls()).toBe(2);
  });

  it('polls once a second by default', async () => {
    const g = gate([undefined, 'resume']);
    await waitForApproval(g.ctx, 'retire', g.clock);
    expect(g.sleeps.map((s) => s.ms)).toEqual([1_000]);
  });
});

function cluster(name: string, over: Partial<RegistryCluster> = {}): RegistryCluster {
  return { name, state: 'AVAILABLE', score: 50, maxScore: 100, static: false, admissionConstraints: [], ...over };
}

/** A registry that lists the given clusters per meta and remembers the signals it was given. */
function registry(byMeta: Record<string, RegistryCluster[]>) {
  const signals: Array<AbortSignal | undefined> = [];
  const reg = {
    metas: Object.keys(byMeta),
    list: async (meta: string, signal?: AbortSignal) => {
      signals.push(signal);
      return byMeta[meta]!;
    },
  } as unknown as ConnectedRegistry;
  return { reg, signals };
}

async function refusal(byMeta: Record<string, RegistryCluster[]>, retiring: string[]): Promise<WsdError | undefined> {
  return assertOthersTakeTraffic(registry(byMeta).reg, retiring).then(
    () => undefined,
    (e: unknown) => e as WsdError,
  );
}

describe('retiring never leaves a meta cluster without a cluster that takes new starts', () => {
  it('allows it when another available cluster with a positive score remains', async () => {
    expect(await refusal({ eu: [cluster('old1'), cluster('new1', { score: 1 })] }, ['old1'])).toBeUndefined();
  });

  it('refuses when the only other cluster is cordoned, naming the clusters, the meta and the fix', async () => {
    const error = await refusal({ eu: [cluster('old1'), cluster('old2'), cluster('new1', { state: 'CORDONED' })] }, ['old1', 'old2']);
    expect(error).toBeInstanceOf(WsdError);
    expect(error!.code).toBe('PreCheckRefused');
    expect(error!.message).toBe(
      'retiring old1, old2 would leave meta cluster eu with no cluster that takes new starts (the others are cordoned or at score 0); shift traffic to the new clusters first (the traffic-shift step)',
    );
  });

  it('refuses when the other cluster is at score 0', async () => {
    expect((await refusal({ eu: [cluster('old1'), cluster('new1', { score: 0 })] }, ['old1']))?.code).toBe('PreCheckRefused');
  });

  it('counts the effective score, min(score, maxScore): maxScore 0 takes no starts', async () => {
    expect((await refusal({ eu: [cluster('old1'), cluster('new1', { score: 80, maxScore: 0 })] }, ['old1']))?.code).toBe('PreCheckRefused');
    expect(await refusal({ eu: [cluster('old1'), cluster('new1', { score: 80, maxScore: 1 })] }, ['old1'])).toBeUndefined();
  });

  it('refuses when every cluster of the meta is being retired', async () => {
    expect((await refusal({ eu: [cluster('old1'), cluster('old2')] }, ['old1', 'old2']))?.code).toBe('PreCheckRefused');
  });

  it('ignores a meta cluster where none of the retiring clusters is registered', async () => {
    expect(await refusal({ us: [cluster('x', { state: 'CORDONED' })], eu: [cluster('old1'), cluster('new1')] }, ['old1'])).toBeUndefined();
    expect(await refusal({ us: [] }, ['old1'])).toBeUndefined();
  });

  it('checks every meta cluster: a later one without a taker is refused and named', async () => {
    const error = await refusal({ eu: [cluster('old1'), cluster('new1')], us: [cluster('old1'), cluster('new2', { state: 'CORDONED' })] }, ['old1']);
    expect(error?.message).toMatch(/^retiring old1 would leave meta cluster us with/);
  });

  it('passes the caller’s abort signal to every registry call', async () => {
    const { reg, signals } = registry({ eu: [cluster('a')], us: [cluster('b')] });
    const signal = new AbortController().signal;
    await assertOthersTakeTraffic(reg, [], signal);
    expect(signals).toEqual([signal, signal]);
  });
});
