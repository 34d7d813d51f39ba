/**
 * The simulator's group commit: mutations that arrive together share one lock,
 * one read and one durable write of the state file, yet each is answered only
 * once its change is on disk, and a refused one does not hold back the others.
 * Concurrent Updates from several gRPC clients all take effect.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../../src/registry/client.js';
import { alwaysReachable, startSimulator, type RunningSimulator } from '../../../src/registry/simulator/index.js';
import { registerInput, tempDir } from './support/sim.js';

describe('registry simulator: group commit', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let sim: RunningSimulator;
  const stateFile = () => join(tmp.dir, 'state.json');
  const onDisk = () => JSON.parse(readFileSync(stateFile(), 'utf8')) as { counters: Record<string, { running: number }>; failureRates: Record<string, number> };

  beforeEach(async () => {
    tmp = await tempDir('wsd-sim-group-');
    sim = await startSimulator({ stateFile: stateFile(), reachability: alwaysReachable });
  });
  afterEach(async () => {
    await sim.stop();
    await tmp.cleanup();
  });

  it('mutations issued together share one durable write, and each is on disk when it is answered', async () => {
    const before = sim.commits();
    const seenOnDisk: number[] = [];
    const writes = Array.from({ length: 50 }, (_, i) =>
      sim.setRunning(`c${i}`, i + 1).then(() => {
        seenOnDisk.push(onDisk().counters[`c${i}`]?.running ?? -1);
      }),
    );
    await Promise.all(writes);
    expect(sim.commits() - before).toBe(1);
    expect(seenOnDisk.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('a refused mutation in a batch fails alone; the others are applied and written', async () => {
    const before = sim.commits();
    const results = await Promise.allSettled([sim.setFailureRate('a', 0.5), sim.setFailureRate('b', 2), sim.setFailureRate('c', 0.25)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'UsageError', message: expect.stringContaining('between 0 and 1') });
    expect(sim.commits() - before).toBe(1);
    expect(onDisk().failureRates).toEqual({ a: 0.5, c: 0.25 });
  });

  it('later mutations see earlier ones of the same batch (arrival order)', async () => {
    await Promise.all([sim.setRunning('x', 1), sim.setRunning('x', 2), sim.setRunning('x', 3)]);
    expect(onDisk().counters['x']?.running).toBe(3);
    expect(sim.counters()['x']?.running).toBe(3);
  });

  it('concurrent Updates from two clients all take effect', async () => {
    const setup = await RegistryClient.connect({ address: sim.address });
    const names = Array.from({ length: 20 }, (_, i) => `eu${i}`);
    for (const name of names) await setup.register(registerInput(name));
    setup.close();
    const clients = await Promise.all([RegistryClient.connect({ address: sim.address }), RegistryClient.connect({ address: sim.address })]);
    try {
      await Promise.all(
        names.flatMap((name, i) => {
          const client = clients[i % 2] as RegistryClient;
          return [client.update(name, { score: 10 + i }), client.update(name, { cordoned: true })];
        }),
      );
    } finally {
      for (const c of clients) c.close();
    }
    const listed = new Map(sim.list().map((c) => [c.name, c]));
    names.forEach((name, i) => expect([listed.get(name)?.score, listed.get(name)?.state]).toEqual([10 + i, 'CORDONED']));
  });
});
