/**
 * `clusters register` of a name or url already listed, on every bridge of the History: bridges before 2022-02
 * have no duplicate check (the deployed one's ran no code until 2022-02-19) and save a taken name over the old
 * entry, or list a taken url twice. The CLI Lists first and refuses, leaving the registry as it was.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clustersCli, referenceFixture } from './support/reference.js';
import { registerInput, tempDir, writeTestTls } from './support/sim.js';

const ref = referenceFixture();
let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  tmp = await tempDir('wsd-taken-');
  await writeTestTls(tmp.dir);
});
afterEach(() => ref.cleanup());
afterAll(() => tmp.cleanup());

describe.each(['2021-11', 'current'] as const)('clusters register on a %s bridge', (version) => {
  const URL = 'dns:///ws-eu17.example.com:8080';
  const register = (address: string, name: string, url: string) =>
    clustersCli(['clusters', '--bridge', address, 'register', '--name', name, '--url', url, '--tls-path', join(tmp.dir, 'tls'), '--hint-cordoned']);

  it('refuses a taken name, a taken url and a second register of the same, and the entry stays as it was', async () => {
    const b = await ref.bridge(version);
    const c = await ref.client(b);
    await c.register(registerInput('eu17', { url: URL, hints: { preferability: 'Prefer', cordoned: false, govern: true } }));
    const before = b.rows();

    const name = await register(b.address, 'eu17', 'dns:///ws-other.example.com:8080');
    expect(name.error).toMatchObject({ code: 'RegistryConflict' });
    expect(name.error?.message).toBe(
      `${b.address} already has eu17 with url ${URL}, not dns:///ws-other.example.com:8080; nothing was changed — deregister the old entry or choose another name`,
    );
    const url = await register(b.address, 'eu18', URL);
    expect(url.error?.message).toBe(`${b.address} already has url ${URL} registered as eu17; nothing was changed — deregister the old entry or choose another name`);
    const same = await register(b.address, 'eu17', URL);
    expect(same.error?.message).toBe(
      `${b.address} lists eu17 with url ${URL} (state AVAILABLE, score 100): already registered, nothing was changed (deregister it first only to register it with other settings)`,
    );
    expect([name.out, url.out, same.out]).toEqual(['', '', '']);
    expect(b.rows()).toEqual(before);
    expect(b.calls.Register).toBe(1);
  });
});
