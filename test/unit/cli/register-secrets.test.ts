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
});
