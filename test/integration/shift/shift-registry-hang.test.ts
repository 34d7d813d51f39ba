/**
 * A shift update on a bridge that takes calls and never answers (the reference
 * bridge, hung): the wait is bounded by the client's two deadlines, not three
 * shift-level attempts of them, and the operator sees waiting lines naming the
 * meta cluster and the cluster. A refused connection (bridge down) is still
 * retried by the shift, a blink it can outlast. Short deadlines: no long waits.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { RegistryClient } from '../../../src/registry/client.js';
import { realClock } from '../../../src/traffic/clock.js';
import { connectRegistry, type ConnectedRegistry } from '../../../src/traffic/registry-adapter.js';
import { ATTEMPTS, ShiftRegistry } from '../../../src/traffic/shift-registry.js';
import { ReferenceBridge } from '../../helpers/reference-bridge/reference-bridge.js';

describe('shift updates on a hung or down bridge (reference bridge)', () => {
  let bridge: ReferenceBridge | undefined;
  let registry: ConnectedRegistry | undefined;
  afterEach(async () => {
    await registry?.close();
    await bridge?.stop();
  });

  async function setup(sink: MemorySink) {
    bridge = new ReferenceBridge();
    await bridge.start();
    const c = await RegistryClient.connect({ address: bridge.address, meta: 'setup' });
    await c.register({ name: 'eu18', url: 'dns:///ws-eu18.example.test:8080', tls: { ca: 'Y2E=', crt: 'Y3J0', key: 'a2V5' }, hints: { preferability: 'None', cordoned: true, govern: true }, admissionConstraints: [], region: 'europe' });
    c.close();
    registry = await connectRegistry([{ name: 'meta-us', bridge: { address: bridge.address } }], { sink, deadlineMs: 400 });
    return new ShiftRegistry(registry, registry.metas, realClock, sink, 'd1');
  }

  it('hung: two unanswered calls in all (the shift does not retry them), with waiting lines', async () => {
    const sink = new MemorySink();
    const ops = await setup(sink);
    bridge?.hang('Update');
    const error = await ops.apply(() => [{ name: 'eu18', change: { score: 20 } }]).catch((e: Error) => e);
    expect(error).toMatchObject({ code: 'RegistryError', transient: true, message: expect.stringMatching(/^registry update failed on 1 meta cluster\(s\): meta-us\/eu18 \{"score":20\}: the cluster registry of meta-us \(ws-manager-bridge at 127\.0\.0\.1:\d+\) took update of eu18 \(score 20\) 2 times and never answered/) });
    expect(bridge?.calls.Update).toBe(2);
    expect(sink.events.filter((e) => e.code === 'traffic.registry.retry')).toEqual([]);
    const waiting = sink.events.filter((e) => e.code === 'registry.waiting').map((e) => e.message);
    expect(waiting.some((m) => /^still waiting for the cluster registry of meta-us \(127\.0\.0\.1:\d+\) to answer update of eu18 \(score 20\): [0-9.]+ s into attempt 1 of 5 \(gives up after 0\.4 s\)/.test(m))).toBe(true);
    expect(waiting.some((m) => m.includes('into attempt 2 of 5'))).toBe(true);
  });

  it('down (connections refused): the shift retries the update, and it goes through once the bridge is back', async () => {
    const sink = new MemorySink();
    const ops = await setup(sink);
    await bridge?.down();
    // Back as soon as the shift says it retries: no timing assumed.
    const back = new Promise<void>((resolve) => {
      const emit = sink.emit.bind(sink);
      sink.emit = (e) => {
        emit(e);
        if (e.code === 'traffic.registry.retry') void bridge?.up().then(resolve);
      };
    });
    await ops.apply(() => [{ name: 'eu18', change: { score: 20 } }]);
    await back;
    expect(bridge?.rows().find((r) => r.name === 'eu18')?.score).toBe(20);
    expect(sink.events.filter((e) => e.code === 'traffic.registry.retry').map((e) => e.message)).toEqual([`retrying update of eu18 on meta-us in 1000 ms (attempt 2 of ${ATTEMPTS})`]);
  });
});
