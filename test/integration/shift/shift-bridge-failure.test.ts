/**
 * A shift whose meta cluster fails for a reason other than a metric gate, against
 * two reference bridges (test/helpers/reference-bridge, written from the documented
 * semantics, behind their TCP relays) through the real registry client: a forward
 * update one bridge does not take rolls the shift back on every meta cluster that
 * answers; one that stays down is reported with its last known scores, and a resume
 * once it is back finishes the rollback without walking forward again. Faults are
 * set off by the shift's own events, so nothing depends on timing; deadlines are short.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import type { EventInput } from '../../../src/core/events.js';
import { RegistryClient } from '../../../src/registry/client.js';
import { realClock } from '../../../src/traffic/clock.js';
import { trafficShiftSchema, type TrafficShiftInput } from '../../../src/traffic/config.js';
import { connectRegistry, type ConnectedRegistry } from '../../../src/traffic/registry-adapter.js';
import { runShift, type ShiftResult } from '../../../src/traffic/shift-controller.js';
import { RollbackIncomplete } from '../../../src/traffic/shift-stops.js';
import type { RegistryChange, RegistryPort } from '../../../src/traffic/shift-ports.js';
import { ReferenceBridge } from '../../helpers/reference-bridge/reference-bridge.js';
import { FakeMetricProvider } from '../../unit/traffic/fake-metric-provider.js';
import { MemoryJournal, QueueControl } from '../../unit/traffic/fake-shift-ports.js';

const NEW = { name: 'eu18', cluster: 'gp-prod-ws-eu18-eu-west1', region: 'europe-west1' };
const OLD = { name: 'eu17', cluster: 'gp-prod-ws-eu17-eu-west1', region: 'europe-west1' };
/** Per call; a hung bridge costs two of them per update. */
const DEADLINE_MS = 600;

const CONFIG = trafficShiftSchema.parse({
  steps: [20, 50, 100],
  interval: '1s',
  analysis: {
    provider: { type: 'simulator' },
    metrics: [{ name: 'start-failure-rate', query: 'fail_rate{c="{{shortName}}"}', threshold: { max: 0.05 } }],
  },
} as TrafficShiftInput);

/** A sink that lets a test act on the shift's own events (a fault set off at a step, not after a delay). */
class HookSink extends MemorySink {
  readonly hooks: Array<(e: EventInput) => void> = [];
  override emit(event: EventInput): void {
    super.emit(event);
    for (const hook of this.hooks) hook(event);
  }
}

/** The real port, with every update it was asked for (what a resume changed). */
function recording(port: RegistryPort) {
  const updates: Array<{ meta: string; name: string; change: RegistryChange }> = [];
  const wrapped: RegistryPort = {
    list: (meta, signal) => port.list(meta, signal),
    update: (meta, name, change, signal) => {
      updates.push({ meta, name, change });
      return port.update(meta, name, change, signal);
    },
  };
  return { port: wrapped, updates };
}

describe('a shift whose bridge fails mid-shift (reference bridges)', () => {
  const bridges: ReferenceBridge[] = [];
  const open: ConnectedRegistry[] = [];
  afterEach(async () => {
    for (const r of open.splice(0)) await r.close();
    await Promise.all(bridges.splice(0).map((b) => b.stop()));
  });

  async function setup() {
    const eu = new ReferenceBridge();
    const us = new ReferenceBridge();
    for (const b of [eu, us]) {
      await b.start();
      bridges.push(b);
      const c = await RegistryClient.connect({ address: b.address, meta: 'setup' });
      const tls = { ca: 'Y2E=', crt: 'Y3J0', key: 'a2V5' };
      await c.register({ name: 'eu17', url: 'dns:///ws-eu17.example.test:8080', tls, hints: { preferability: 'Prefer', cordoned: false, govern: true }, admissionConstraints: [], region: 'europe' });
      await c.register({ name: 'eu18', url: 'dns:///ws-eu18.example.test:8080', tls, hints: { preferability: 'None', cordoned: true, govern: true }, admissionConstraints: [], region: 'europe' });
      c.close();
    }
    const journal = new MemoryJournal();
    const provider = new FakeMetricProvider().set('fail_rate{c="eu18"}', [0.01]).set('fail_rate{c="eu17"}', [0.01]);
    const rows = (b: ReferenceBridge) => b.rows().map((r) => ({ name: r.name, state: r.state, score: r.score }));
    // A rollback restores the old clusters as saved and leaves the new one cordoned at score 0.
    const restored = (b: ReferenceBridge) => rows(b).map((r) => (r.name === NEW.name ? { ...r, state: 'CORDONED', score: 0 } : r));
    return { eu, us, journal, provider, rows, before: { eu: restored(eu), us: restored(us) } };
  }

  async function shift(s: Awaited<ReturnType<typeof setup>>, sink: MemorySink): Promise<{ result: ShiftResult | Error; updates: ReturnType<typeof recording>['updates'] }> {
    const registry = await connectRegistry(
      [
        { name: 'meta-eu', bridge: { address: s.eu.address } },
        { name: 'meta-us', bridge: { address: s.us.address } },
      ],
      { sink, deadlineMs: DEADLINE_MS },
    );
    open.push(registry);
    const { port, updates } = recording(registry);
    const result = await runShift(
      { registry: port, metas: registry.metas, provider: s.provider, clock: realClock, journal: s.journal, control: new QueueControl(), sink, pollMs: 50 },
      { deploymentId: 'd1', config: CONFIG, newClusters: [NEW], oldClusters: [OLD] },
    ).catch((e: Error) => e);
    return { result, updates };
  }

  it('a bridge that hangs at a step: the shift rolls back on both meta clusters, one hung update costs two deadlines (not six), with waiting lines', async () => {
    const s = await setup();
    const sink = new HookSink();
    let atHang = 0;
    let atRollback = 0;
    sink.hooks.push((e) => {
      // After step 1 is set everywhere, meta-us takes updates and never answers; it answers again once the rollback began.
      if (e.code === 'traffic.step' && e.data?.percent === 20) {
        s.us.hang('Update');
        atHang = s.us.calls.Update;
      }
      if (e.code === 'traffic.rollback') {
        atRollback = s.us.calls.Update;
        s.us.hang('Update', false);
      }
    });
    const { result } = await shift(s, sink);

    expect(result).toMatchObject({ outcome: 'rolled-back' });
    const reason = (result as ShiftResult).reason ?? '';
    expect(reason).toMatch(/^meta cluster meta-us failed: the cluster registry of meta-us \(ws-manager-bridge at 127\.0\.0\.1:\d+\) took update of eu1[78] \(score \d+\) 2 times and never answered/);
    // Quoted inside the reason, the client's message ends with the bridge, not with a "then retry" of its own.
    expect(reason).toMatch(/the bridge is hung or overloaded; check its pod in meta-us \(logs, restart it\)$/);
    // meta-eu had taken step 2 (the split): both lists are back as saved.
    expect({ eu: s.rows(s.eu), us: s.rows(s.us) }).toEqual(s.before);
    expect(s.journal.progress).toMatchObject({ phase: 'rolled-back', rollingBack: undefined });
    // Two clusters' score updates, each given up after two unanswered calls: the shift did not retry them on top.
    expect(atRollback - atHang).toBe(4);
    expect(sink.events.filter((e) => e.code === 'traffic.registry.retry')).toEqual([]);
    const waiting = sink.events.filter((e) => e.code === 'registry.waiting').map((e) => e.message);
    expect(waiting.some((m) => /^still waiting for the cluster registry of meta-us .* to answer update of eu1[78] \(score \d+\)/.test(m))).toBe(true);
    expect(sink.events.find((e) => e.code === 'traffic.rollback')?.message).toMatch(/^rolling back \(instant\) at step 1\/3 \(20 %\): meta cluster meta-us failed: /);
  });

  it('a bridge hung altogether at a step: the List before the step is its only wait (two deadlines, not four), with waiting lines; rolled back on both', async () => {
    const s = await setup();
    const sink = new HookSink();
    const at = { hang: { List: 0, Update: 0 }, rollback: { List: 0, Update: 0 } };
    sink.hooks.push((e) => {
      // After step 1 is set everywhere, meta-us takes every call and answers none, until the rollback began.
      if (e.code === 'traffic.step' && e.data?.percent === 20) {
        s.us.hang('List');
        s.us.hang('Update');
        at.hang = { List: s.us.calls.List, Update: s.us.calls.Update };
      }
      if (e.code === 'traffic.rollback') {
        at.rollback = { List: s.us.calls.List, Update: s.us.calls.Update };
        s.us.hang('List', false);
        s.us.hang('Update', false);
      }
    });
    const { result } = await shift(s, sink);

    expect(result).toMatchObject({ outcome: 'rolled-back' });
    expect((result as ShiftResult).reason).toMatch(
      /^meta cluster meta-us failed: the cluster registry of meta-us \(ws-manager-bridge at 127\.0\.0\.1:\d+\) took list 2 times and never answered \(0\.6 s each, [0-9.]+ s in all\): the bridge is hung or overloaded; check its pod in meta-us \(logs, restart it\)$/,
    );
    // The drift check's List waited its two deadlines; no update was then sent to wait two more each.
    expect({ List: at.rollback.List - at.hang.List, Update: at.rollback.Update - at.hang.Update }).toEqual({ List: 2, Update: 0 });
    const waiting = sink.events.filter((e) => e.code === 'registry.waiting').map((e) => e.message);
    expect(waiting.some((m) => /^still waiting for the cluster registry of meta-us .* to answer list: /.test(m))).toBe(true);
    expect({ eu: s.rows(s.eu), us: s.rows(s.us) }).toEqual(s.before);
    expect(s.journal.progress).toMatchObject({ phase: 'rolled-back', rollingBack: undefined });
  });

  it('a bridge that goes down and stays down: rolled back where it answers, reported with its last known scores; resume finishes the rollback once it is back', async () => {
    const s = await setup();
    const sink = new HookSink();
    sink.hooks.push((e) => {
      if (e.code === 'traffic.step' && e.data?.percent === 20) void s.us.down();
    });
    const { result } = await shift(s, sink);

    expect(result).toBeInstanceOf(RollbackIncomplete);
    const stop = result as RollbackIncomplete;
    expect(stop).toMatchObject({ code: 'RegistryError', transient: true, rolledBack: ['meta-eu'] });
    expect(stop.incomplete.map((i) => i.meta)).toEqual(['meta-us']);
    expect(stop.message).toMatch(/^traffic shift rollback incomplete on meta-us \(.*; last known scores there: (eu1[78] \d+, eu1[78] \d+)\)\. Rolled back on meta-eu\. Why it rolled back: meta cluster meta-us failed: .*\. Once the bridge answers, resume finishes the rollback there \(it does not retry the step\)$/);
    // Rolled back where it answers; the last known scores are what meta-us really holds (state is kept while it is down).
    expect(s.rows(s.eu)).toEqual(s.before.eu);
    const held = Object.fromEntries(s.rows(s.us).map((r) => [r.name, r.score]));
    expect(stop.incomplete[0]?.scores).toEqual(held);
    expect(held).not.toEqual(Object.fromEntries(s.before.us.map((r) => [r.name, r.score])));
    // Journaled as a rollback under way, with where it stands.
    expect(s.journal.progress?.phase).toBe('steps');
    expect(s.journal.progress?.rollingBack).toMatchObject({ cause: 'error', incomplete: [{ meta: 'meta-us', scores: held }] });
    expect(sink.codes()).toContain('traffic.rollback.incomplete');

    await s.us.up();
    const resumed = await shift(s, new HookSink());
    expect(resumed.result).toMatchObject({ outcome: 'rolled-back', reason: stop.reason });
    expect({ eu: s.rows(s.eu), us: s.rows(s.us) }).toEqual(s.before);
    // Only the rollback's changes: the journaled step was not set again.
    const restoring = (u: { name: string; change: RegistryChange }) =>
      u.name === 'eu18' ? JSON.stringify(u.change) === '{"score":0}' || JSON.stringify(u.change) === '{"cordoned":true}' : JSON.stringify(u.change) === '{"score":100}' || JSON.stringify(u.change) === '{"cordoned":false}';
    expect(resumed.updates.length).toBeGreaterThan(0);
    expect(resumed.updates.filter((u) => !restoring(u))).toEqual([]);
  });

  it('a lost answer (applied, connection cut) is settled by the client: no rollback', async () => {
    const s = await setup();
    const sink = new HookSink();
    sink.hooks.push((e) => {
      if (e.code === 'traffic.step' && e.data?.percent === 20) s.us.dropAfterApply('Update');
    });
    const { result } = await shift(s, sink);
    expect(result).toMatchObject({ outcome: 'promoted' });
    expect(sink.codes()).not.toContain('traffic.rollback');
  });
});
