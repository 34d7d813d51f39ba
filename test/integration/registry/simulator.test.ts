/**
 * The simulator itself: persisted state (atomic, reloaded on restart, no TLS
 * key on disk), static clusters, simulated starts with seeded selection,
 * per-cluster failure rates and up to five tries, and the TCP reachability check.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WsdError } from '../../../src/core/errors.js';
import { RegistryClient } from '../../../src/registry/client.js';
import { hostPortOf } from '../../../src/registry/simulator/reachability.js';
import { alwaysReachable, startSimulator, tcpReachability, type RunningSimulator } from '../../../src/registry/simulator/index.js';
import { registerInput, tempDir, TEST_TLS } from './support/sim.js';

describe('registry simulator', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let running: RunningSimulator[] = [];
  const start = async (opts: Partial<Parameters<typeof startSimulator>[0]> = {}) => {
    const sim = await startSimulator({ stateFile: join(tmp.dir, 'state.json'), reachability: alwaysReachable, ...opts });
    running.push(sim);
    return sim;
  };

  beforeEach(async () => {
    tmp = await tempDir('wsd-sim-');
  });
  afterEach(async () => {
    for (const sim of running) await sim.stop();
    running = [];
    await tmp.cleanup();
  });

  it('persists the registry atomically and reloads it; the TLS key is never written', async () => {
    const first = await start();
    const client = await RegistryClient.connect({ address: first.address });
    await client.register(registerInput('eu1', { hints: { preferability: 'Prefer', cordoned: true, govern: true } }));
    await client.update('eu1', { score: 70 });
    client.close();
    await first.setRunning('eu1', 2);
    await first.stop();
    running = [];
    const text = await readFile(join(tmp.dir, 'state.json'), 'utf8');
    expect(text).not.toContain('PRIVATE KEY');
    expect(text).not.toContain(Buffer.from(TEST_TLS.key).toString('base64').slice(0, 20));
    expect(await readdir(tmp.dir)).toEqual(['state.json']);

    const second = await start();
    expect(second.list().map((c) => [c.name, c.score, c.state, c.governed])).toEqual([['eu1', 70, 'CORDONED', true]]);
    expect(second.counters()['eu1']?.running).toBe(2);
  });

  it('refuses a corrupt or foreign state file instead of starting empty', async () => {
    await writeFile(join(tmp.dir, 'state.json'), '{"version": 99, "clusters": []}');
    await expect(start()).rejects.toMatchObject({ code: 'StateCorrupt', message: expect.stringContaining('version 99') });
    await writeFile(join(tmp.dir, 'state.json'), '{nope');
    await expect(start()).rejects.toMatchObject({ code: 'StateCorrupt' });
  });

  it('read-only: lists what is on disk (static clusters laid over), writes and locks nothing, refuses every change with its refusal', async () => {
    const writer = await start();
    const client = await RegistryClient.connect({ address: writer.address });
    await client.register(registerInput('eu1'));
    client.close();
    const before = await readFile(join(tmp.dir, 'state.json'), 'utf8');
    const refusal = () => new WsdError('StateIo', 'cannot use X as the state dir: X is not writable');
    const reader = await start({ readOnly: { refusal }, staticClusters: [{ name: 'static1', url: 'dns:///static1:8080', state: 'AVAILABLE', score: 10, maxScore: 100, governed: true, admissionConstraints: [] }] });
    const ro = await RegistryClient.connect({ address: reader.address });
    try {
      expect((await ro.list()).map((c) => [c.name, c.static])).toEqual([['eu1', false], ['static1', true]]);
      await expect(ro.update('eu1', { cordoned: true })).rejects.toMatchObject({ code: 'RegistryRefused', message: expect.stringContaining('X is not writable') });
    } finally {
      ro.close();
    }
    await expect(reader.setRunning('eu1', 1)).rejects.toMatchObject({ code: 'StateIo', message: 'cannot use X as the state dir: X is not writable' });
    // A change by the writer is seen by the reader: it answers from the file, not from a copy.
    await writer.setRunning('eu1', 3);
    expect(reader.counters()['eu1']?.running).toBe(3);
    expect(await readdir(tmp.dir)).toEqual(['state.json']);
    expect(JSON.parse(await readFile(join(tmp.dir, 'state.json'), 'utf8')).clusters).toEqual(JSON.parse(before).clusters);
  });

  it('read-only on a missing file: an empty registry, and no folder created', async () => {
    const reader = await start({ stateFile: join(tmp.dir, 'not', 'there.json'), readOnly: { refusal: () => new Error('read-only') } });
    expect(reader.list()).toEqual([]);
    expect(await readdir(tmp.dir)).toEqual([]);
  });

  it('simulates starts weighted by score; failures retried on other clusters up to five tries', async () => {
    const sim = await start({ seed: 42 });
    const client = await RegistryClient.connect({ address: sim.address });
    for (const name of ['old', 'new']) await client.register(registerInput(name, { hints: { preferability: 'None', cordoned: false, govern: false } }));
    await client.update('old', { score: 80 });
    await client.update('new', { score: 20 });
    client.close();

    const outcome = await sim.simulateStarts(5_000, {});
    expect(outcome.started).toBe(5_000);
    expect(Math.abs((outcome.byCluster['new'] ?? 0) / 5_000 - 0.2)).toBeLessThan(0.025);

    await sim.setFailureRate('new', 1);
    const withFailures = await sim.simulateStarts(1_000, {});
    // Every start that drew "new" failed there and then succeeded on "old".
    expect(withFailures.started).toBe(1_000);
    expect(withFailures.byCluster['new']).toBeUndefined();
    const c = sim.counters();
    expect(c['new']?.failures).toBeGreaterThan(100);
    expect(c['new']?.starts).toBe((outcome.byCluster['new'] ?? 0) + (c['new']?.failures ?? 0));

    await sim.setFailureRate('old', 1);
    const allFail = await sim.simulateStarts(10, {});
    expect(allFail).toMatchObject({ started: 0, failed: 10, unplaced: 0 });
    await expect(sim.setFailureRate('old', 2)).rejects.toMatchObject({ code: 'UsageError' });
  });

  it('the same seed gives the same placements', async () => {
    const placements = async (seed: number, file: string) => {
      const sim = await start({ seed, stateFile: join(tmp.dir, file) });
      const client = await RegistryClient.connect({ address: sim.address });
      for (const name of ['a', 'b', 'c']) await client.register(registerInput(name));
      client.close();
      return (await sim.simulateStarts(300, {})).byCluster;
    };
    expect(await placements(7, 's1.json')).toEqual(await placements(7, 's2.json'));
    expect(await placements(7, 's3.json')).not.toEqual(await placements(8, 's4.json'));
  });

  it('static clusters are listed as static, take starts, and are not changeable', async () => {
    const sim = await start({ staticClusters: [{ name: 'eu0', url: 'dns:///eu0:8080', state: 'AVAILABLE', score: 100, maxScore: 100, governed: true, admissionConstraints: [] }] });
    expect(sim.list()).toEqual([expect.objectContaining({ name: 'eu0', static: true })]);
    expect((await sim.simulateStarts(5, {})).byCluster).toEqual({ eu0: 5 });
    const client = await RegistryClient.connect({ address: sim.address });
    await expect(client.update('eu0', { score: 1 })).rejects.toMatchObject({ code: 'RegistryRefused' });
    client.close();
  });

  it('staff canary: permission holders land on the constrained cluster, others never do; no cluster → unplaced', async () => {
    const sim = await start();
    const client = await RegistryClient.connect({ address: sim.address });
    await client.register(registerInput('canary', { admissionConstraints: [{ type: 'has-permission', permission: 'new-workspace-cluster' }] }));
    await client.register(registerInput('main'));
    expect((await sim.simulateStarts(200, { permissions: ['new-workspace-cluster'] })).byCluster).toEqual({ canary: 200 });
    expect((await sim.simulateStarts(200, {})).byCluster).toEqual({ main: 200 });
    await client.update('main', { cordoned: true });
    expect(await sim.simulateStarts(3, {})).toMatchObject({ started: 0, unplaced: 3 });
    const prebuilds = await sim.simulateStarts(2, { permissions: ['new-workspace-cluster'] }, { prebuild: true });
    expect(prebuilds.started).toBe(2);
    expect(sim.counters()['canary']).toMatchObject({ prebuilds: 2, running: 200 });
    client.close();
  });

  it('the TCP reachability check dials the url like the bridge would', async () => {
    const listener = createServer((s) => s.destroy());
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    const port = (listener.address() as { port: number }).port;
    const check = tcpReachability(1_000);
    try {
      expect(await check({ name: 'x', url: `dns:///127.0.0.1:${port}`, tls: TEST_TLS })).toBeUndefined();
    } finally {
      await new Promise<void>((r) => listener.close(() => r()));
    }
    expect(await check({ name: 'x', url: `dns:///127.0.0.1:${port}`, tls: TEST_TLS })).toMatch(/ECONNREFUSED/);
    expect(await check({ name: 'x', url: 'no-port', tls: TEST_TLS })).toMatch(/cannot parse host:port/);
    expect(hostPortOf('dns:///ws-eu17.gitpod.io:8080')).toEqual({ host: 'ws-eu17.gitpod.io', port: 8080 });
    expect(hostPortOf('https://[::1]:443/path')).toEqual({ host: '::1', port: 443 });
  });
});
