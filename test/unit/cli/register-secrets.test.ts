/** Credentials given to the commands we run (aliveTest.command.env, trafficShift.command.env) are secrets too. */
import { describe, expect, it } from 'vitest';
import { registerSecrets } from '../../../src/cli/commands/secrets.js';
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
});
