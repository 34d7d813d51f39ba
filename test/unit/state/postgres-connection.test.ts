import { describe, expect, it } from 'vitest';
import { Redactor } from '../../../src/core/redact.js';
import { describePgError, isConnectionError, parseStateUrl } from '../../../src/state/postgres/connection.js';

describe('state url', () => {
  it('shows the url with its password redacted and registers the password with the redactor', () => {
    const redactor = new Redactor();
    const url = parseStateUrl('postgres://deployer:s3cr%2Fet-pw@db.internal:6543/wsd?sslmode=verify-full', redactor);
    expect(url.display).toBe('postgres://deployer:[REDACTED]@db.internal:6543/wsd?sslmode=verify-full');
    expect(url.connectionString).toContain('s3cr%2Fet-pw');
    // Both the encoded and the decoded password are secrets, wherever they show up.
    expect(redactor.redact('password is s3cr/et-pw and s3cr%2Fet-pw')).toBe('password is [REDACTED] and [REDACTED]');
  });

  it('redacts a password given as a query parameter', () => {
    const redactor = new Redactor();
    const url = parseStateUrl('postgres://deployer@db/wsd?password=q-s3cret-pw&sslmode=require&sslpassword=key-pass-42', redactor);
    expect(url.display).toBe('postgres://deployer@db/wsd?password=[REDACTED]&sslmode=require&sslpassword=[REDACTED]');
    expect(redactor.redact('q-s3cret-pw key-pass-42')).toBe('[REDACTED] [REDACTED]');
  });

  it('accepts a url without password (peer or .pgpass auth) unchanged', () => {
    expect(parseStateUrl('postgresql://deployer@db/wsd').display).toBe('postgresql://deployer@db/wsd');
  });

  it('refuses other schemes and unknown ssl modes, without echoing the url', () => {
    expect(() => parseStateUrl('mysql://u:topsecret@db/x')).toThrow(expect.objectContaining({ code: 'UsageError', message: expect.stringMatching(/^the state url scheme "mysql:"/) }));
    expect(() => parseStateUrl('postgres://u:topsecret@db/x?sslmode=maybe')).toThrow(expect.objectContaining({ code: 'UsageError', message: expect.stringMatching(/sslmode "maybe".*verify-full/) }));
    let message = '';
    try {
      parseStateUrl('not a url topsecret');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/not a valid url/);
    expect(message).not.toContain('topsecret');
  });

  it('says how to write the url in words the redactor leaves alone (it once printed USER:[REDACTED]@HOST)', () => {
    const redactor = new Redactor();
    for (const url of ['postgres://u:pa/ss@w@db/x', 'mysql://u@db/x']) {
      let message = '';
      try {
        parseStateUrl(url);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/PGPASSWORD.*%40/);
      expect(redactor.redact(message)).toBe(message);
    }
  });
});

describe('connection errors', () => {
  const withCode = (code: string, message = 'x'): Error => Object.assign(new Error(message), { code });

  it('treats lost or refused connections as worth a reconnect', () => {
    expect(isConnectionError(withCode('57P01', 'terminating connection due to administrator command'))).toBe(true);
    expect(isConnectionError(withCode('08006'))).toBe(true);
    expect(isConnectionError(withCode('ECONNREFUSED'))).toBe(true);
    expect(isConnectionError(withCode('ECONNRESET'))).toBe(true);
    expect(isConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionError(new Error('Client has encountered a connection error and is not queryable'))).toBe(true);
  });

  it('does not retry errors the server answered with', () => {
    expect(isConnectionError(withCode('28P01', 'password authentication failed'))).toBe(false);
    expect(isConnectionError(withCode('23505', 'duplicate key value'))).toBe(false);
    expect(isConnectionError(withCode('42P01', 'relation does not exist'))).toBe(false);
    expect(isConnectionError(new Error('something else'))).toBe(false);
    expect(isConnectionError('ECONNRESET')).toBe(false);
  });

  it('adds what to do for errors a retry cannot fix', () => {
    expect(describePgError(withCode('28P01', 'password authentication failed for user "x"'))).toMatch(/check the user and password in the state url$/);
    expect(describePgError(withCode('3D000', 'database "wsd" does not exist'))).toMatch(/create the database first/);
  });
});
