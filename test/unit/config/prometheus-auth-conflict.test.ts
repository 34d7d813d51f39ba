/**
 * One Authorization header per request: credentials in the Prometheus url (basic auth), a
 * bearerTokenFile and an Authorization header exclude each other. Any two together are refused
 * at validate time, at the second one's position, naming both and the fix, and never showing
 * the credentials themselves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, configDir, problems, valid, type ConfigDir } from './helpers.js';

let ctx: ConfigDir;
beforeAll(async () => {
  ctx = await configDir();
});
afterAll(() => ctx.cleanup());

const PASSWORD = 'S3cretPassw0rd';
// BASE has 14 lines: the url is on line 20, the key after it on line 21.
const config = (provider: string): string => `${BASE}trafficShift:
  steps: [50, 100]
  analysis:
    provider:
      type: prometheus
${provider}    metrics:
      - name: up
        query: 'up{cluster="{{cluster}}"}'
        threshold: { max: 1 }
`;

describe('analysis.provider authorization', () => {
  it('refuses url credentials together with bearerTokenFile, naming both and the fix, without the password', () => {
    for (const userinfo of [`sre:${PASSWORD}`, 'sre-token-as-user']) {
      const found = problems(config(`      url: "https://${userinfo}@prom.example.com"\n      bearerTokenFile: ./sa-key.json\n`), ctx.file);
      expect(found).toEqual([
        '21:24: trafficShift.analysis.provider.bearerTokenFile: both the url carries credentials (user:password@, sent as basic auth) and bearerTokenFile is set (sent as a bearer token), but a request sends one Authorization header, so one of them would be silently dropped; choose one: remove user:password@ from the url, or remove bearerTokenFile',
      ]);
      expect(found.join('\n')).not.toContain(userinfo);
    }
  });

  it('refuses an Authorization header beside either', () => {
    const found = problems(config(`      url: "https://sre:${PASSWORD}@prom.example.com"\n      headers: { Authorization: "Bearer abcdefgh" }\n`), ctx.file);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^21:33: trafficShift\.analysis\.provider\.headers\.Authorization: both the url carries credentials .* and headers\.Authorization is set, .*choose one: remove user:password@ from the url, or remove headers\.Authorization$/);
    expect(found[0]).not.toContain(PASSWORD);
    expect(problems(config('      url: "https://prom.example.com"\n      bearerTokenFile: ./sa-key.json\n      headers: { authorization: "Basic x" }\n'), ctx.file)).toHaveLength(1);
  });

  it('accepts each alone', () => {
    valid(config(`      url: "https://sre:${PASSWORD}@prom.example.com"\n`), ctx.file);
    valid(config('      url: "https://prom.example.com"\n      bearerTokenFile: ./sa-key.json\n      headers: { X-Scope-OrgID: tenant }\n'), ctx.file);
  });
});
