/**
 * The key of the keyed values digest. A release whose values include secret `set` values
 * records HMAC-SHA256(key, values) instead of a plain SHA-256: the digest shows in the plan,
 * the journal, the report and helm's own output (the release description), and a plain hash
 * of a weak secret is brute-forced offline in seconds. The key is 32 random bytes in
 * `<state-dir>/values-digest.key`, owner-only, made by the first deploy that needs it and never
 * printed; with PostgreSQL state it is kept in the database (`useStoreDigestKey`), since a CI pod's
 * work dir does not outlive the pod. Losing it is safe: the next digests differ
 * from the recorded ones, so those releases are upgraded once (with unchanged values), never
 * skipped; a key that is not 64 hex digits counts as lost and is replaced.
 */
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, writeSync, fsyncSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { WsdError } from '../../core/errors.js';
import { fsyncDir } from '../../core/atomic-write.js';

export const DIGEST_KEY_FILE = 'values-digest.key';

/** Where the key of the store whose shared folder is `sharedDir` lives. */
export function digestKeyPath(sharedDir: string): string {
  return join(sharedDir, DIGEST_KEY_FILE);
}

/** Keys a state store holds itself (PostgreSQL), by the shared folder they stand for: these win over the file. */
const storeKeys = new Map<string, Buffer>();

/** From now on, the key of `sharedDir` is `key` (the store's own, loaded when it opened). */
export function useStoreDigestKey(sharedDir: string, key: Buffer): void {
  storeKeys.set(resolve(sharedDir), key);
}

/** The key, or undefined when there is none (or it is damaged: then it is as good as lost). Never creates it (plan). */
export function readDigestKey(sharedDir: string): Buffer | undefined {
  const held = storeKeys.get(resolve(sharedDir));
  if (held) return held;
  let text: string;
  try {
    text = readFileSync(digestKeyPath(sharedDir), 'utf8').trim();
  } catch {
    return undefined;
  }
  return /^[0-9a-f]{64}$/.test(text) ? Buffer.from(text, 'hex') : undefined;
}

/**
 * The key, created when missing or damaged. Written whole to a private temp file and linked into
 * place, so two runs creating it at once agree on one key and no reader sees half of one.
 */
export function ensureDigestKey(sharedDir: string): Buffer {
  const known = readDigestKey(sharedDir);
  if (known) return known;
  const path = digestKeyPath(sharedDir);
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(sharedDir, { recursive: true, mode: 0o700 });
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, `${randomBytes(32).toString('hex')}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (readDigestKey(sharedDir) === undefined) rmSync(path, { force: true }); // a damaged one is replaced
    try {
      linkSync(tmp, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    fsyncDir(sharedDir);
  } catch (error) {
    throw new WsdError('StateIo', `cannot create the values digest key ${path} (${(error as Error).message}); make ${sharedDir} writable and run again`, { cause: error });
  } finally {
    rmSync(tmp, { force: true });
  }
  const key = readDigestKey(sharedDir);
  if (!key) throw new WsdError('StateIo', `the values digest key ${path} is not readable after creating it; remove it and run again`);
  return key;
}
