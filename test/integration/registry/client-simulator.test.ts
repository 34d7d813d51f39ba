/**
 * RegistryClient ↔ simulator over real gRPC on 127.0.0.1 (plaintext): every RPC,
 * every status → WsdError mapping, deadlines and retries.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { RegistryClient } from '../../../src/registry/client.js';
import { startSimulator, type RunningSimulator } from '../../../src/registry/simulator/index.js';
import { fingerprint } from '../../../src/registry/simulator/registry-model.js';
import { registerInput, rejection, tempDir, TEST_TLS } from './support/sim.js';

describe('RegistryClient against the simulator', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let sim: RunningSimulator;
  let client: RegistryClient;
  let reachable = true;

  beforeAll(async () => {
    tmp = await tempDir();
    sim = await startSimulator({
      stateFile: join(tmp.dir, 'state.json'),
      reachability: async () => (reachable ? undefined : 'connection refused'),
      staticClusters: [{ name: 'static1', url: 'dns:///static:8080', state: 'AVAILABLE', score: 10, maxScore: 100, governed: true, admissionConstraints: [], region: 'europe' }],
    });
    client = await RegistryClient.connect({ address: sim.address, meta: 'prod-meta-eu01' });
  });

  afterAll(async () => {
    client.close();
    await sim.stop();
    await tmp.cleanup();
  });

  it('Register: preferability sets the score, cordoned the state; the current bridge governs every cluster; region is kept', async () => {
    await client.register(registerInput('eu17', { hints: { preferability: 'Prefer', cordoned: true, govern: true }, admissionConstraints: [{ type: 'has-permission', permission: 'new-workspace-cluster' }] }));
    await client.register(registerInput('eu18', { hints: { preferability: 'None', cordoned: false, govern: false }, region: 'north-america' }));
    await client.register(registerInput('eu19', { hints: { preferability: 'DontSchedule', cordoned: false, govern: false }, admissionConstraints: [{ type: 'has-feature-preview' }] }));
    const list = await client.list();
    expect(list.map((c) => [c.name, c.state, c.score, c.maxScore, c.governed, c.static])).toEqual([
      ['eu17', 'CORDONED', 100, 100, true, false],
      ['eu18', 'AVAILABLE', 50, 100, true, false],
      ['eu19', 'AVAILABLE', 0, 100, true, false],
      ['static1', 'AVAILABLE', 10, 100, true, true],
    ]);
    expect(list[0]?.admissionConstraints).toEqual([{ type: 'has-permission', permission: 'new-workspace-cluster' }]);
    expect(list[1]?.region).toBe('north-america');
    expect(list[2]?.admissionConstraints).toEqual([{ type: 'has-feature-preview' }]);
  });

  it('Update changes exactly one property at a time', async () => {
    await client.update('eu18', { score: 20 });
    await client.update('eu18', { maxScore: 40 });
    await client.update('eu18', { cordoned: true });
    await client.update('eu18', { admissionConstraint: { add: true, constraint: { type: 'has-permission', permission: 'new-workspace-cluster' } } });
    let eu18 = (await client.list()).find((c) => c.name === 'eu18');
    expect(eu18).toMatchObject({ score: 20, maxScore: 40, state: 'CORDONED', region: 'north-america' });
    expect(eu18?.admissionConstraints).toEqual([{ type: 'has-permission', permission: 'new-workspace-cluster' }]);
    await client.update('eu18', { admissionConstraint: { add: false, constraint: { type: 'has-permission', permission: 'new-workspace-cluster' } } });
    await client.update('eu18', { cordoned: false });
    eu18 = (await client.list()).find((c) => c.name === 'eu18');
    expect(eu18).toMatchObject({ state: 'AVAILABLE', admissionConstraints: [] });
  });

  it('refuses an update with zero or two properties before sending it', async () => {
    await expect(client.update('eu18', {} as never)).rejects.toMatchObject({ code: 'Internal' });
    await expect(client.update('eu18', { score: 1, maxScore: 2 } as never)).rejects.toMatchObject({ code: 'Internal' });
  });

  it('NOT_FOUND → RegistryNotFound naming the cluster and the meta cluster', async () => {
    await expect(client.update('eu99', { score: 1 })).rejects.toMatchObject({
      code: 'RegistryNotFound',
      message: expect.stringContaining('cluster eu99 is not registered with prod-meta-eu01'),
    });
    // Like the bridge: deregistering an unknown (or empty) name is accepted and deletes nothing.
    await expect(client.deregister({ name: 'eu99', force: false })).resolves.toEqual({});
    await expect(client.deregister({ name: '', force: false })).resolves.toEqual({});
  });

  it('static clusters cannot be changed: the NOT_FOUND is explained', async () => {
    await expect(client.update('static1', { cordoned: true })).rejects.toMatchObject({
      code: 'RegistryRefused',
      message: expect.stringContaining('cluster static1 is static on prod-meta-eu01'),
    });
    // Deregister of a static cluster deletes nothing (it is not in the bridge's database).
    await client.deregister({ name: 'static1', force: true });
    expect((await client.list()).some((c) => c.name === 'static1')).toBe(true);
  });

  it('ALREADY_EXISTS (same name, or same url under another name) → RegistryConflict', async () => {
    await expect(client.register(registerInput('eu17', { url: 'dns:///ws-eu17-other.example.com:8080' }))).rejects.toMatchObject({
      code: 'RegistryConflict',
      message: expect.stringContaining('name eu17 already exists'),
    });
    await expect(client.register(registerInput('eu20', { url: 'dns:///ws-eu17.example.com:8080' }))).rejects.toMatchObject({
      code: 'RegistryConflict',
      message: expect.stringContaining('url dns:///ws-eu17.example.com:8080 already exists'),
    });
  });

  it('ALREADY_EXISTS for the very name and url asked for says it is registered (an earlier answer was lost), not "deregister it"', async () => {
    const error = await client.register(registerInput('eu17')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'RegistryConflict', details: { alreadyRegistered: true } });
    expect((error as Error).message).toMatch(/^eu17 is already registered with prod-meta-eu01 at dns:\/\/\/ws-eu17\.example\.com:8080 \(CORDONED, score 100, region "" \(any\)\): an earlier register went through; nothing was changed/);
  });

  it('FAILED_PRECONDITION on Register → RegistryRefused saying DNS and certificates must be ready', async () => {
    reachable = false;
    try {
      await expect(client.register(registerInput('eu21'))).rejects.toMatchObject({
        code: 'RegistryRefused',
        message: expect.stringMatching(/could not reach ws-manager of eu21 at dns:\/\/\/ws-eu21.example.com:8080: cannot reach .*connection refused.*DNS and certificates must be ready/),
      });
    } finally {
      reachable = true;
    }
    expect((await client.list()).some((c) => c.name === 'eu21')).toBe(false);
  });

  it('all-empty TLS passes the argument checks and fails the dial (FAILED_PRECONDITION); a GCP region is INVALID_ARGUMENT', async () => {
    await expect(client.register(registerInput('eu22', { tls: { ca: '', crt: '', key: '' } }))).rejects.toMatchObject({
      code: 'RegistryRefused',
      message: expect.stringContaining('TLS config is incomplete'),
      details: expect.objectContaining({ grpcCode: 9 }),
    });
    // Empty name or url pass the argument checks too, and fail the dial.
    await expect(client.register(registerInput('', { url: 'dns:///ws-empty.example.com:8080' }))).rejects.toMatchObject({ details: expect.objectContaining({ grpcCode: 9 }) });
    await expect(client.register(registerInput('eu24', { url: '' }))).rejects.toMatchObject({ details: expect.objectContaining({ grpcCode: 9 }) });
    const invalid = await rejection(client.register(registerInput('eu23', { region: 'europe-west1' })));
    expect(invalid).toMatchObject({ code: 'RegistryRefused', details: expect.objectContaining({ grpcCode: 3 }) });
    expect(invalid.message).toContain('region "europe-west1" is not one the bridge accepts');
    expect((await client.list()).map((c) => c.name)).not.toContain('eu23');
  });

  it('Update that sets no property is accepted and changes nothing; TLS update replaces the material', async () => {
    const before = await client.list();
    await client.update('eu18', { tls: { ca: 'CA2', crt: 'CRT2', key: 'KEY2' } });
    expect(await client.list()).toEqual(before);
    const state = JSON.parse(await readFile(join(tmp.dir, 'state.json'), 'utf8')) as { clusters: Array<{ name: string; tlsFingerprint: string }> };
    expect(state.clusters.find((c) => c.name === 'eu18')?.tlsFingerprint).toBe(fingerprint({ ca: 'CA2', crt: 'CRT2', key: 'KEY2' }));
  });

  it('TLS update: a part missing is invalid; new material ws-manager cannot be reached with is refused, the old one kept; the same material is no change', async () => {
    const stored = async () =>
      (JSON.parse(await readFile(join(tmp.dir, 'state.json'), 'utf8')) as { clusters: Array<{ name: string; tlsFingerprint: string }> }).clusters.find((c) => c.name === 'eu18')?.tlsFingerprint;
    const old = await stored();
    const missing = await rejection(client.update('eu18', { tls: { ca: 'CA3', crt: '', key: 'KEY3' } }));
    expect(missing).toMatchObject({ code: 'RegistryRefused', details: expect.objectContaining({ grpcCode: 3 }) });
    expect(missing.message).toBe('prod-meta-eu01 rejected update of eu18 as invalid: missing required TLS config; fix the request and retry');
    reachable = false;
    try {
      const undialled = await rejection(client.update('eu18', { tls: { ca: 'CA3', crt: 'CRT3', key: 'KEY3' } }));
      expect(undialled).toMatchObject({ code: 'RegistryRefused', details: expect.objectContaining({ grpcCode: 9 }) });
      expect(undialled.message).toMatch(/^prod-meta-eu01 could not reach ws-manager of eu18 with the new TLS material: cannot reach dns:\/\/\/ws-eu18\.example\.com:8080: connection refused; it keeps the old one\. Check that/);
      // The material it has: nothing to dial, accepted as it is.
      await client.update('eu18', { tls: { ca: 'CA2', crt: 'CRT2', key: 'KEY2' } });
    } finally {
      reachable = true;
    }
    expect(await stored()).toBe(old);
  });

  it('Deregister is refused while regular workspaces run, says how many and what --force breaks; prebuilds do not block', async () => {
    await sim.setRunning('eu17', 3);
    await sim.setRunning('eu17', 2, 'prebuild');
    const refused = client.deregister({ name: 'eu17', force: false });
    await expect(refused).rejects.toMatchObject({ code: 'RegistryRefused' });
    const message = (await rejection(refused)).message;
    expect(message).toContain('refused to deregister eu17: 3 regular workspaces still run on it');
    expect(message).toContain('--force, which stops those 3 and breaks their users\' sessions');

    await sim.setRunning('eu17', 0);
    await client.deregister({ name: 'eu17', force: false });
    expect((await client.list()).map((c) => c.name)).not.toContain('eu17');

    await sim.setRunning('eu19', 1);
    await client.deregister({ name: 'eu19', force: true });
    expect(sim.counters()['eu19']).toMatchObject({ running: 0, brokenByForce: 1 });
  });

  it('the TLS key never appears in an error, even when the bridge echoes it', async () => {
    // A bridge that quotes the request back: the redactor scrubs base64 and PEM forms.
    const { registryError } = await import('../../../src/registry/status-errors.js');
    const { Redactor } = await import('../../../src/core/redact.js');
    const redactor = new Redactor().add(TEST_TLS.key);
    const echoed = `bad tls: ${Buffer.from(TEST_TLS.key.trim()).toString('base64')} / ${TEST_TLS.key}`;
    const error = registryError({ code: 3, details: echoed }, { operation: 'register', meta: 'm', address: 'a', cluster: 'x', deadlineMs: 1 }, redactor);
    expect(error.message).not.toContain('c3VwZXItc2VjcmV0');
    expect(JSON.stringify(error.details)).not.toContain('c3VwZXItc2VjcmV0');
  });
});

describe('transport failures', () => {
  it('UNAVAILABLE → RegistryUnavailable (transient); List is retried with backoff, Register is not', async () => {
    // A port that was free a moment ago: nothing listens.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const sink = new MemorySink();
    const client = await RegistryClient.connect({ address: `127.0.0.1:${port}`, meta: 'meta-x', sink, retry: { attempts: 3, initialDelayMs: 10, maxDelayMs: 20 } });
    try {
      await expect(client.list()).rejects.toMatchObject({ code: 'RegistryUnavailable', transient: true, message: `cannot reach the cluster registry of meta-x at 127.0.0.1:${port}: nothing listens there (connection refused); check that ws-manager-bridge runs and the address or port-forward is right, then retry` });
      expect(sink.codes().filter((c) => c === 'registry.retry')).toHaveLength(2);
      expect(sink.events.map((e) => e.data?.['delayMs'])).toEqual([10, 20]);
      sink.events.length = 0;
      await expect(client.register(registerInput('eu1'))).rejects.toMatchObject({ code: 'RegistryUnavailable' });
      await expect(client.update('eu1', { admissionConstraint: { add: true, constraint: { type: 'has-feature-preview' } } })).rejects.toMatchObject({ code: 'RegistryUnavailable' });
      await expect(client.deregister({ name: 'eu1', force: false })).rejects.toMatchObject({ code: 'RegistryUnavailable' });
      expect(sink.codes()).toEqual([]);
      await expect(client.update('eu1', { score: 5 })).rejects.toMatchObject({ code: 'RegistryUnavailable' });
      expect(sink.codes()).toEqual(['registry.retry', 'registry.retry']);
    } finally {
      client.close();
    }
  });

  it('DEADLINE_EXCEEDED → RegistryUnavailable naming the deadline', async () => {
    // Accepts TCP but never speaks HTTP/2: the call can only end by its deadline.
    const sockets = new Set<import('node:net').Socket>();
    const silent: Server = createServer((s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const address = `127.0.0.1:${(silent.address() as { port: number }).port}`;
    const client = await RegistryClient.connect({ address, meta: 'meta-slow', deadlineMs: 300, retry: { attempts: 2, initialDelayMs: 10, maxDelayMs: 10 } });
    const started = Date.now();
    try {
      await expect(client.list()).rejects.toMatchObject({ code: 'RegistryUnavailable', message: expect.stringContaining('took list 2 times and never answered (0.3 s each') });
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(550);
      expect(elapsed).toBeLessThan(30_000); // a hang guard, with margin for a loaded machine
    } finally {
      client.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  it('an aborted signal cancels the call: Interrupted', async () => {
    const controller = new AbortController();
    controller.abort();
    const client = await RegistryClient.connect({ address: '127.0.0.1:1', meta: 'm', signal: controller.signal });
    await expect(client.list()).rejects.toMatchObject({ code: 'Interrupted' });
    client.close();
  });
});
