/**
 * The merged values written down for a rendered release (`releases/<release>/values.yaml`)
 * hide every secret `set` value by key, whatever its type or length: the redactor only
 * rewrites strings of six characters or more, so a secret number or a short secret
 * used to be written as it is.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REDACTED, Redactor } from '../../../src/core/redact.js';
import { secretTexts } from '../../../src/core/secret-names.js';
import { prepareRelease, shownValues } from '../../../src/steps/install/release.js';

const root = mkdtempSync(join(tmpdir(), 'wsd-shown-values-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('shownValues', () => {
  // Credential-named or marked; a number, a short string, a marked number, a long string.
  const set = { 'db.password': 'k9Zq', 'db.port': 5432, 'api.token': 918273645, 'license.blob': 777, 'oauth.clientSecret': 'long-enough-secret', 'replicas.server': 3 };
  const values = join(root, 'values.yaml');
  writeFileSync(values, 'db:\n  host: db.internal\n  password: from-a-file\napi:\n  url: https://api\n');
  const prepared = prepareRelease(join(root, 'cluster'), {
    release: 'gitpod',
    namespace: 'default',
    chart: { name: 'gitpod', path: root },
    timeoutSeconds: 60,
    valuesFiles: [values],
    set,
    secretSet: ['license.blob'],
  });
  const redactor = new Redactor();
  for (const value of Object.values(prepared.spec.secretValues ?? {})) redactor.add(...secretTexts(value));
  const shown = shownValues(prepared, redactor);

  it('hides each secret set value by key, of any type and length', () => {
    expect(shown).toMatchObject({ db: { password: REDACTED }, api: { token: REDACTED }, license: { blob: REDACTED }, oauth: { clientSecret: REDACTED } });
    const text = JSON.stringify(shown);
    for (const secret of ['k9Zq', '918273645', '777', 'long-enough-secret']) expect(text).not.toContain(secret);
  });

  it('keeps every other value as merged', () => {
    expect(shown).toMatchObject({ db: { host: 'db.internal', port: 5432 }, api: { url: 'https://api' }, replicas: { server: 3 } });
    // The merged values themselves still hold the secrets: helm needs them.
    expect(prepared.values).toMatchObject({ db: { password: 'k9Zq' }, api: { token: 918273645 } });
  });
});
