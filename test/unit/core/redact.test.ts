import { describe, expect, it } from 'vitest';
import { REDACTED, Redactor } from '../../../src/core/redact.js';

describe('Redactor', () => {
  it('replaces registered secrets, their lines and their base64 form', () => {
    const key = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAcanarycanarycanary\n-----END RSA PRIVATE KEY-----';
    const r = new Redactor().add('s3cr3t-token-value', key);
    expect(r.redact('token s3cr3t-token-value here')).toBe(`token ${REDACTED} here`);
    expect(r.redact('line MIIEowIBAAKCAQEAcanarycanarycanary')).not.toContain('canary');
    expect(r.redact(Buffer.from('s3cr3t-token-value').toString('base64'))).toBe(REDACTED);
  });

  it('redacts secret shapes it was never told about', () => {
    const r = new Redactor();
    expect(r.redact('{"private_key": "-----BEGIN PRIVATE KEY-----\\nabc\\n-----END PRIVATE KEY-----\\n"}')).not.toContain('abc');
    expect(r.redact('Authorization: Bearer abcdefghijklmnop')).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(r.redact('postgres://user:hunter22@127.0.0.1:5432/db')).toBe(`postgres://user:${REDACTED}@127.0.0.1:5432/db`);
    expect(r.redact('https://x?token=abcdef123&y=1')).toBe(`https://x?token=${REDACTED}&y=1`);
  });

  it('redacts URL passwords and prefixed query tokens of any scheme', () => {
    const r = new Redactor();
    expect(r.redact('GET http://u:hunter22@127.0.0.1:8/health answers 200')).toBe(`GET http://u:${REDACTED}@127.0.0.1:8/health answers 200`);
    expect(r.redact('https://:pw-only@h/')).toBe(`https://:${REDACTED}@h/`);
    expect(r.redact('prometheus http://h/prom/?api_key=abc123def&x=1')).toBe(`prometheus http://h/prom/?api_key=${REDACTED}&x=1`);
    expect(r.redact('https://h/?access_token=abc123def')).toBe(`https://h/?access_token=${REDACTED}`);
    expect(r.redact('client_secret=abc123def X-Api-Key=zzz123')).toBe(`client_secret=${REDACTED} X-Api-Key=${REDACTED}`);
    // No password: nothing to hide (user@host, emails, ssh-style git sources stay readable).
    expect(r.redact('git::https://git@github.com/a/b.git and ops@gitpod.io')).toBe('git::https://git@github.com/a/b.git and ops@gitpod.io');
  });

  it('ignores values too short to be secrets and leaves plain text alone', () => {
    const r = new Redactor().add('ab', undefined, '');
    expect(r.redact('ab cd terraform apply')).toBe('ab cd terraform apply');
  });

  it('redacts deeply inside JSON values', () => {
    const r = new Redactor().add('canary-secret-42');
    expect(r.redactValue({ a: ['x canary-secret-42'], b: { c: 'canary-secret-42' }, n: 3 })).toEqual({ a: [`x ${REDACTED}`], b: { c: REDACTED }, n: 3 });
  });
});
