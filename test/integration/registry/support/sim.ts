/** Temp folders and simulators for registry tests, cleaned up by the caller's afterEach/afterAll. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RegisterInput } from '../../../../src/registry/types.js';

export async function tempDir(prefix = 'wsd-reg-'): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Fake PEM-shaped TLS material; the key is long enough for the Redactor to track. */
export const TEST_TLS = {
  ca: '-----BEGIN CERTIFICATE-----\nQ0EtY2VydGlmaWNhdGUtZm9yLXRlc3Rz\n-----END CERTIFICATE-----\n',
  crt: '-----BEGIN CERTIFICATE-----\nY2xpZW50LWNlcnRpZmljYXRlLWZvci10ZXN0cw==\n-----END CERTIFICATE-----\n',
  key: '-----BEGIN PRIVATE KEY-----\nc3VwZXItc2VjcmV0LXByaXZhdGUta2V5LW1hdGVyaWFs\n-----END PRIVATE KEY-----\n',
};

/** Writes {@link TEST_TLS} as `DIR/tls/{ca.crt,tls.crt,tls.key}`, the folder the clusters' TLS settings name. */
export async function writeTestTls(dir: string): Promise<void> {
  await mkdir(join(dir, 'tls'));
  await writeFile(join(dir, 'tls', 'ca.crt'), TEST_TLS.ca);
  await writeFile(join(dir, 'tls', 'tls.crt'), TEST_TLS.crt);
  await writeFile(join(dir, 'tls', 'tls.key'), TEST_TLS.key);
}

export function registerInput(name: string, overrides: Partial<RegisterInput> = {}): RegisterInput {
  return {
    name,
    url: `dns:///ws-${name}.example.com:8080`,
    tls: TEST_TLS,
    hints: { preferability: 'None', cordoned: false, govern: false },
    admissionConstraints: [],
    region: '',
    ...overrides,
  };
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string; details: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string; details: Record<string, unknown> };
  }
  throw new Error('expected the promise to reject, but it resolved');
}
