import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../src/cli/open-store.js';
import { DIGEST_KEY_FILE, ensureDigestKey, readDigestKey } from '../../../src/steps/install/values-digest-key.js';
import { hasPostgres } from '../../helpers/postgres.js';
import { startPgFixture, type PgFixture } from './pg-fixture.js';

/**
 * With PostgreSQL state the values digest key lives in the database: a CI pod's work dir does not outlive it,
 * and a key kept there made every new pod's resume upgrade each release with secret values once more.
 */
describe.skipIf(!hasPostgres('the postgres state store is tested on a real server'))('postgres state store: values digest key', () => {
  let fx: PgFixture;
  beforeAll(async () => {
    fx = await startPgFixture();
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  it('gives every work dir of one database the same key, and writes no key file', async () => {
    const url = await fx.freshDatabase();
    const [a, b] = await Promise.all([fx.workDir(), fx.workDir()]);
    const stores = await Promise.all([a, b].map((stateDir) => openStore({ state: url, stateDir })));
    const key = readDigestKey(a);
    expect(key).toHaveLength(32);
    expect(readDigestKey(b)).toEqual(key);
    // A deploy that needs the key finds the database's; nothing is created beside it.
    expect(ensureDigestKey(b)).toEqual(key);
    expect(existsSync(join(a, DIGEST_KEY_FILE)) || existsSync(join(b, DIGEST_KEY_FILE))).toBe(false);
    // A pod that starts later (a fresh work dir) gets it too.
    const later = await fx.workDir();
    const third = await openStore({ state: url, stateDir: later });
    expect(readDigestKey(later)).toEqual(key);
    for (const s of [...stores, third]) await s.close();
  });

  it("adopts the key an older version left in the work dir, so the digests it keyed still match", async () => {
    const url = await fx.freshDatabase();
    const old = await fx.workDir();
    const hex = 'ab'.repeat(32);
    writeFileSync(join(old, DIGEST_KEY_FILE), `${hex}\n`, { mode: 0o600 });
    const first = await openStore({ state: url, stateDir: old });
    expect(readDigestKey(old)?.toString('hex')).toBe(hex);
    const fresh = await fx.workDir();
    const second = await openStore({ state: url, stateDir: fresh });
    expect(readDigestKey(fresh)?.toString('hex')).toBe(hex);
    await first.close();
    await second.close();
  });
});
