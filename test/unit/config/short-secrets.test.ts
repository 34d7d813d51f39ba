/**
 * A secret too short for the redactor (under 6 characters) would show wherever a tool prints it:
 * the config says so at the value, before anything runs, as a warning (a credential-named key
 * may hold no secret). Secrets long enough, values that are no secret and a url's user name
 * beside its password get none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerSecrets } from '../../../src/cli/commands/secrets.js';
import { Redactor } from '../../../src/core/redact.js';
import { BASE, configDir, valid, type ConfigDir } from './helpers.js';

let ctx: ConfigDir;
beforeAll(async () => {
  ctx = await configDir();
});
afterAll(() => ctx.cleanup());

const TAIL = `gitpod:
  chart: { repository: https://charts.gitpod.io, name: gitpod, version: 2022.11.0 }
  set:
    auth.clientSecret: "1234"
    oauth.token: long-enough-token
    components.replicas: 2
    auth.provider: gh
    licenseBlob: "ok"
  secretSet: [licenseBlob]
aliveTest:
  command:
    argv: [./check.sh]
    env: { API_TOKEN: x1, REGION: eu }
terraform:
  module: { source: gitpod-io/ws-cluster/google }
  variables: { db_password: abc, license_blob: xy, zone_hint: ab, api_key: a-long-api-key }
  secretVariables: [license_blob]
trafficShift:
  steps: [50, 100]
  analysis:
    provider: { type: prometheus, url: "http://admin:pw@127.0.0.1:9090" }
    metrics:
      - name: up
        query: 'up{cluster="{{cluster}}"}'
        threshold: { max: 1 }
`;

const lines = (text: string) => valid(text, ctx.file).warnings.map((w) => `${w.line}: ${w.path}: ${w.message}`);

describe('secrets too short to redact', () => {
  it('are each named at their value, with the fix', () => {
    const got = lines(`${BASE}${TAIL}`);
    const tooShort = (n: number, hint = true) =>
      `a secret of ${n} character${n === 1 ? '' : 's'}: values under 6 characters cannot be redacted (they would match ordinary text), so a tool that prints it shows it in logs; use a secret of 6 characters or more` +
      (hint ? ` (if it is no secret, a name that does not say credential, and not listed as secret)` : '');
    expect(got).toEqual([
      `18: gitpod.set["auth.clientSecret"]: ${tooShort(4)}`,
      `22: gitpod.set.licenseBlob: ${tooShort(2)}`,
      `27: aliveTest.command.env.API_TOKEN: ${tooShort(2, false)} (if it is no secret, a name that does not say credential)`,
      `30: terraform.variables.db_password: ${tooShort(3)}`,
      `30: terraform.variables.license_blob: ${tooShort(2)}`,
      `35: trafficShift.analysis.provider.url: ${tooShort(2, false)}`,
    ]);
  });

  it('are the values the redactor cannot hide, and only those', () => {
    const redactor = registerSecrets(new Redactor(), valid(`${BASE}${TAIL}`, ctx.file).config);
    // The long ones are hidden; a short one shows, which is what the warning is for.
    expect(redactor.redact('token long-enough-token key a-long-api-key')).toBe('token [REDACTED] key [REDACTED]');
    expect(redactor.redact('password abc')).toContain('abc');
  });

  it('are not said of long secrets, values that are no secret, or a user name beside a password', () => {
    const tail = TAIL.replace('"1234"', 'a-long-client-secret')
      .replace('API_TOKEN: x1', 'API_TOKEN: a-long-token')
      .replace('db_password: abc, license_blob: xy', 'db_password: a-long-password, license_blob: a-long-blob')
      .replace('admin:pw@', 'admin:a-long-password@')
      .replace('licenseBlob: "ok"', 'licenseBlob: a-long-blob');
    expect(lines(`${BASE}${tail}`)).toEqual([]);
  });
});
