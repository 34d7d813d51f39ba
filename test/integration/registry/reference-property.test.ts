/**
 * Property, against two reference bridges (a 2023-02 one and a current one)
 * under faults — an answer lost after the bridge applied Register, a bridge
 * restarted (down for a moment) between calls, slow answers, a meta cluster
 * that already lists the cluster (registered by hand) — over resumed runs of
 * register-cluster: what the journal says is registered is always listed by
 * that meta cluster with the right url, and once the faults stop one more run
 * leaves every meta cluster listing it exactly once and the journal naming
 * them all. Only a bridge that is down fails a run, and its error names every
 * meta cluster left out of the journal.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWsdError } from '../../../src/core/errors.js';
import { registrationSchema } from '../../../src/registry/config.js';
import { connectToMeta } from '../../../src/registry/connect.js';
import { registerCluster, type RegisterClusterInput } from '../../../src/registry/register-cluster.js';
import { fileTlsReader } from '../../../src/registry/tls-source.js';
import type { ReferenceBridge } from '../../helpers/reference-bridge/reference-bridge.js';
import { referenceFixture } from './support/reference.js';
import { tempDir, TEST_TLS } from './support/sim.js';

const URL = 'dns:///ws-eu17.gitpod.example:8080';
const fault = fc.constantFrom('none', 'lost-register', 'restart', 'down', 'slow', 'pre-registered');
type Fault = 'none' | 'lost-register' | 'restart' | 'down' | 'slow' | 'pre-registered';

const ref = referenceFixture();
let tmp: Awaited<ReturnType<typeof tempDir>>;
let eu: ReferenceBridge;
let us: ReferenceBridge;

beforeAll(async () => {
  tmp = await tempDir('wsd-reprop-');
  await mkdir(join(tmp.dir, 'tls'));
  await writeFile(join(tmp.dir, 'tls', 'ca.crt'), TEST_TLS.ca);
  await writeFile(join(tmp.dir, 'tls', 'tls.crt'), TEST_TLS.crt);
  await writeFile(join(tmp.dir, 'tls', 'tls.key'), TEST_TLS.key);
  eu = await ref.bridge('2023-02');
  us = await ref.bridge('current');
});
afterAll(async () => {
  await ref.cleanup();
  await tmp.cleanup();
});

async function inject(b: ReferenceBridge, f: Fault): Promise<Promise<void> | undefined> {
  switch (f) {
    case 'lost-register':
      b.dropAfterApply('Register');
      return undefined;
    case 'restart':
      await b.restart();
      return undefined;
    case 'down':
      // Down while the run starts; back a moment later.
      return b.restart(150);
    case 'slow':
      b.slow('List', 50);
      b.slow('Register', 50);
      return undefined;
    case 'pre-registered':
      // Registered by hand (e.g. with gpctl) before the run: same name and url.
      if (!b.rows().some((r) => r.name === 'eu17')) await registerByHand(b);
      return undefined;
    default:
      return undefined;
  }
}

async function registerByHand(b: ReferenceBridge): Promise<void> {
  const c = await ref.client(b);
  await c.register({ name: 'eu17', url: URL, tls: TEST_TLS, hints: { preferability: 'None', cordoned: true, govern: false }, admissionConstraints: [], region: '' });
}

describe('register-cluster under faults, against reference bridges', () => {
  it('the journal never claims a meta cluster that does not list the cluster; a clean run finishes them all', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fault, fault), { minLength: 1, maxLength: 3 }), async (runs) => {
        for (const b of [eu, us]) b.reset();
        const journal: string[] = [];
        const input = (): RegisterClusterInput => ({
          cluster: { name: 'gp-ws-eu17', shortName: 'eu17', region: 'europe-west1' },
          domain: 'gitpod.example',
          metaClusters: [
            { name: 'meta-eu', bridge: { address: eu.address } },
            { name: 'meta-us', bridge: { address: us.address } },
          ],
          governedBy: 'meta-eu',
          registration: registrationSchema.parse({}),
          tls: fileTlsReader(join(tmp.dir, 'tls')),
          connect: (meta) => connectToMeta(meta, { retry: { attempts: 3, initialDelayMs: 5, maxDelayMs: 10 }, deadlineMs: 5_000 }),
          done: [...journal],
          onRegistered: async (m) => void journal.push(m),
        });
        const listed = (b: ReferenceBridge) => b.rows().filter((r) => r.name === 'eu17' && r.url === URL).length;
        for (const [fEu, fUs] of runs) {
          const back = await Promise.all([inject(eu, fEu), inject(us, fUs)]);
          const result = await registerCluster(input()).then(
            () => undefined,
            (e: unknown) => e,
          );
          await Promise.all(back);
          for (const b of [eu, us]) {
            b.slow('List', 0);
            b.slow('Register', 0);
          }
          // Only a bridge that is down may fail the run: a lost answer, a restart before it, slow answers, a
          // cluster registered by hand are all things the run finds out about and gets right.
          if (fEu !== 'down' && fUs !== 'down') expect(result, `${fEu}/${fUs}`).toBeUndefined();
          if (result !== undefined) {
            expect(isWsdError(result), String(result)).toBe(true);
            // Every meta cluster left out of the journal is named in the error.
            for (const m of ['meta-eu', 'meta-us'].filter((x) => !journal.includes(x))) expect((result as Error).message).toContain(m);
          }
          if (journal.includes('meta-eu')) expect(listed(eu)).toBe(1);
          if (journal.includes('meta-us')) expect(listed(us)).toBe(1);
        }
        await registerCluster(input());
        expect([...journal].sort()).toEqual(['meta-eu', 'meta-us']);
        expect([listed(eu), listed(us)]).toEqual([1, 1]);
      }),
      { numRuns: Number(process.env['WSD_FAULT_RUNS'] ?? 40) },
    );
  });
});
