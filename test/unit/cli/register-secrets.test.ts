/** Credentials given to the commands we run (aliveTest.command.env, trafficShift.command.env) are secrets too. */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { registerSecrets, withSecretFreeHash } from '../../../src/cli/commands/secrets.js';
import type { LoadedConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/schema.js';
import { Redactor } from '../../../src/core/redact.js';

describe('registerSecrets', () => {
  it('registers command env values whose names say they are credentials, and only those', () => {
    const config = {
      project: {},
      aliveTest: { command: { argv: ['./check'], env: { API_TOKEN: 'alive-tok-31337', REGION: 'europe-west1' } } },
      trafficShift: { command: { argv: ['./shift'], env: { DB_PASSWORD: 'shift-pw-4242', WERFT_SECRET_KEY: 'werft-k-777' } } },
    } as unknown as Config;
    const r = registerSecrets(new Redactor(), config);
    expect(r.redact('alive-tok-31337 shift-pw-4242 werft-k-777 europe-west1')).toBe('[REDACTED] [REDACTED] [REDACTED] europe-west1');
  });

  it('registers the user and password of the prometheus url before any provider exists', () => {
    const provider = { type: 'prometheus', url: 'https://glc_t0ken%2Fx@prom.example.com', headers: {}, timeout: 10_000 };
    const r = registerSecrets(new Redactor(), { project: {}, trafficShift: { analysis: { provider } } } as unknown as Config);
    // The redactor's url pattern only knows user:password@; a token as the user must be registered.
    expect(r.redact('GET https://glc_t0ken%2Fx@prom.example.com/api (glc_t0ken/x)')).toBe('GET https://[REDACTED]@prom.example.com/api ([REDACTED])');
    const both = registerSecrets(new Redactor(), { project: {}, trafficShift: { analysis: { provider: { ...provider, url: 'https://sre-user:pw-4242-x@h' } } } } as unknown as Config);
    expect(both.redact('sre-user pw-4242-x')).toBe('[REDACTED] [REDACTED]');
  });

  it('hashes the config for the journal without its secret values: nothing of a secret can be checked against it', () => {
    const sha = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
    const loaded = (token: string): LoadedConfig => {
      const config = { project: {}, aliveTest: { command: { argv: ['./check'], env: { API_TOKEN: token } } } } as unknown as Config;
      const text = `version: v1\naliveTest:\n  command:\n    argv: [./check]\n    env: { API_TOKEN: ${token} }\n`;
      return { config, text, hash: sha(text) } as unknown as LoadedConfig;
    };
    const hashOf = (token: string) => {
      const raw = loaded(token);
      return withSecretFreeHash(raw, registerSecrets(new Redactor(), raw.config)).hash;
    };
    // A guess of the secret, hashed with the rest of the file, does not give the journaled hash.
    expect(hashOf('hunter2-weak')).not.toBe(sha(loaded('hunter2-weak').text));
    // Only the secret differs: the same hash (a rotated secret is no changed config); anything else changes it.
    expect(hashOf('hunter2-weak')).toBe(hashOf('another-secret-9'));
    expect(hashOf('hunter2-weak')).toMatch(/^[0-9a-f]{64}$/);
  });
});
