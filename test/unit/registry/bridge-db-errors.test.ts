/**
 * The bridge's database texts (TypeORM 0.2 QueryFailedError over mysqljs, and the driver's own connection errors)
 * told apart from its refusals and from anything else an UNKNOWN may carry.
 */
import { describe, expect, it } from 'vitest';
import { databaseFailure } from '../../../src/registry/bridge-db-errors.js';
import { registryError } from '../../../src/registry/status-errors.js';

describe('databaseFailure', () => {
  it.each([
    ['ER_LOCK_DEADLOCK: Deadlock found when trying to get lock; try restarting transaction', 'transient'],
    ['ER_LOCK_WAIT_TIMEOUT: Lock wait timeout exceeded; try restarting transaction', 'transient'],
    ['ER_CON_COUNT_ERROR: Too many connections', 'transient'],
    ['Connection lost: The server closed the connection.', 'transient'],
    ['connect ECONNREFUSED 10.0.0.5:3306', 'transient'],
    ['connect ETIMEDOUT', 'transient'],
    ['getaddrinfo ENOTFOUND mysql', 'transient'],
    ['read ECONNRESET', 'transient'],
    ['Cannot enqueue Query after fatal error.', 'transient'],
    ['Pool is closed.', 'transient'],
    ['Query inactivity timeout', 'transient'],
    ["ER_NO_SUCH_TABLE: Table 'gitpod.d_b_workspace_cluster' doesn't exist", 'persistent'],
    ["ER_ACCESS_DENIED_ERROR: Access denied for user 'gitpod'@'10.0.0.7' (using password: YES)", 'persistent'],
    ["ER_BAD_FIELD_ERROR: Unknown column 'wsc.region' in 'field list'", 'persistent'],
  ] as const)('%s → %s', (text, expected) => {
    expect(databaseFailure(text)).toBe(expected);
  });

  it.each([
    'a WorkspaceCluster with name eu1 already exists in the DB',
    'cannot reach dns:///ws-eu1.example.com:8080: 14 UNAVAILABLE: connect ECONNREFUSED 10.0.0.9:8080',
    'missing required TLS config',
    'Invalid value for workspace region.',
    'something went wrong',
    '',
  ])('%j is not the database', (text) => {
    expect(databaseFailure(text)).toBeUndefined();
  });

  it('only an UNKNOWN is read for it: a channel that cannot connect (UNAVAILABLE) stays a connection problem', () => {
    const ctx = { operation: 'list' as const, meta: 'meta-eu', address: '127.0.0.1:1', deadlineMs: 1000 };
    expect(registryError({ code: 14, details: 'connect ECONNREFUSED 127.0.0.1:1' }, ctx).details).not.toHaveProperty('database');
    expect(registryError({ code: 2, details: 'connect ECONNREFUSED 10.0.0.5:3306' }, ctx).details).toMatchObject({ database: 'transient' });
  });
});
