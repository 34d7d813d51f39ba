/** Every gRPC status we distinguish maps to a stable WsdError code with an actionable message. */
import { describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../../src/core/errors.js';
import { GrpcStatus, registryError, remainingWorkspaces, unreachableBecause, type CallContext } from '../../../src/registry/status-errors.js';

const ctx = (over: Partial<CallContext> = {}): CallContext => ({ operation: 'update', meta: 'prod-meta-eu01', address: '127.0.0.1:1', cluster: 'eu17', deadlineMs: 1000, ...over });

describe('registryError', () => {
  const cases: Array<[number, CallContext, string, boolean, RegExp]> = [
    [GrpcStatus.UNAVAILABLE, ctx(), 'RegistryUnavailable', true, /cannot reach the cluster registry of prod-meta-eu01 at 127.0.0.1:1/],
    [GrpcStatus.DEADLINE_EXCEEDED, ctx(), 'RegistryUnavailable', true, /did not answer update within 1000 ms/],
    [GrpcStatus.NOT_FOUND, ctx(), 'RegistryNotFound', false, /^cluster eu17 is not registered with prod-meta-eu01/],
    [GrpcStatus.ALREADY_EXISTS, ctx({ operation: 'register', url: 'dns:///x:1' }), 'RegistryConflict', false, /refused to register eu17 \(dns:\/\/\/x:1\)/],
    [GrpcStatus.FAILED_PRECONDITION, ctx({ operation: 'register', url: 'dns:///x:1' }), 'RegistryRefused', false, /could not reach ws-manager of eu17 at dns:\/\/\/x:1/],
    [GrpcStatus.FAILED_PRECONDITION, ctx({ operation: 'update', change: 'score 5' }), 'RegistryRefused', false, /refused score 5 of eu17/],
    [GrpcStatus.INVALID_ARGUMENT, ctx(), 'RegistryRefused', false, /rejected update of eu17 as invalid/],
    [GrpcStatus.PERMISSION_DENIED, ctx(), 'RegistryRefused', false, /denied update of eu17/],
    [GrpcStatus.UNAUTHENTICATED, ctx(), 'RegistryRefused', false, /check the credentials/],
    [GrpcStatus.UNIMPLEMENTED, ctx(), 'RegistryError', false, /is it really the ws-manager-bridge of prod-meta-eu01/],
    [GrpcStatus.CANCELLED, ctx(), 'Interrupted', false, /cancelled/],
    [GrpcStatus.INTERNAL, ctx(), 'RegistryError', false, /failed: boom \(grpc code 13\)/],
  ];
  for (const [code, c, expected, transient, message] of cases) {
    it(`grpc ${code} on ${c.operation} → ${expected}`, () => {
      const error = registryError({ code, details: 'boom' }, c);
      expect(error.code).toBe(expected);
      expect(error.transient).toBe(transient);
      expect(error.message).toMatch(message);
      expect(error.details).toMatchObject({ meta: 'prod-meta-eu01', grpcCode: code });
    });
  }

  it('a Register or Deregister whose answer was lost says the bridge may have done it, not that it is unreachable', () => {
    for (const [operation, done] of [['register', 'registered'], ['deregister', 'deregistered']] as const) {
      const deadline = registryError({ code: GrpcStatus.DEADLINE_EXCEEDED, details: 'Deadline exceeded' }, ctx({ operation }));
      expect(deadline.message).toBe(
        `the cluster registry of prod-meta-eu01 did not answer ${operation} of eu17 within 1000 ms: the bridge may have ${done} it anyway; see with \`clusters list\` whether it did before retrying`,
      );
      const dropped = registryError({ code: GrpcStatus.UNAVAILABLE, details: 'Connection dropped' }, ctx({ operation }));
      expect(dropped.message).toMatch(new RegExp(`^the connection to the cluster registry of prod-meta-eu01 at 127.0.0.1:1 was lost during ${operation} of eu17 .*may have ${done} it anyway`));
      expect([deadline.transient, dropped.transient, deadline.code, dropped.code]).toEqual([true, true, 'RegistryUnavailable', 'RegistryUnavailable']);
      // Never connected: the request never left, so "cannot reach" is the truth.
      const refused = registryError({ code: GrpcStatus.UNAVAILABLE, details: 'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1' }, ctx({ operation }));
      expect(refused.message).toMatch(/^cannot reach the cluster registry of prod-meta-eu01/);
    }
  });

  it('UNIMPLEMENTED for a TLS replacement is an address that does not serve ClusterService (no bridge answers it so: an old one answers OK)', () => {
    const error = registryError({ code: GrpcStatus.UNIMPLEMENTED, details: 'tls update not supported' }, ctx({ change: 'replace TLS material' }));
    expect(error.code).toBe('RegistryError');
    expect(error.message).toBe('127.0.0.1:1 does not implement ClusterService update (tls update not supported); is it really the ws-manager-bridge of prod-meta-eu01?');
  });

  it('a Deregister refused although force was sent is a bridge that predates force, not a hint to pass --force', () => {
    const error = registryError({ code: GrpcStatus.FAILED_PRECONDITION, details: 'cluster is not empty (3 instances remaining)' }, ctx({ operation: 'deregister', force: true }));
    expect(error.message).toBe(
      'prod-meta-eu01 refused to deregister eu17 although force was sent: 3 regular workspaces still run on it, and this bridge ignores force (it predates DeregisterRequest.force, 2021-11); cordon it and wait until they stop',
    );
  });

  it('a refused Deregister says how many workspaces run and what --force breaks', () => {
    const error = registryError({ code: GrpcStatus.FAILED_PRECONDITION, details: 'cluster is not empty (1 instances remaining)[a]' }, ctx({ operation: 'deregister' }));
    expect(error.message).toBe(
      "prod-meta-eu01 refused to deregister eu17: 1 regular workspace still runs on it; cordon it and wait until they stop, or pass --force, which stops those 1 and breaks their users' sessions",
    );
    expect(exitCodeFor(error)).toBe(3);
    const vague = registryError({ code: GrpcStatus.FAILED_PRECONDITION, details: 'busy' }, ctx({ operation: 'deregister' }));
    expect(vague.message).toContain('regular workspaces still run on it');
  });

  it('UNKNOWN with a refusal text of the deployed bridge is what it meant; any other text, or another operation, stays UNKNOWN', () => {
    const meant: Array<[CallContext['operation'], string, number]> = [
      ['update', 'a WorkspaceCluster with name eu17 does not exist in the DB!', GrpcStatus.NOT_FOUND],
      ['update', 'a WorkspaceCluster with name eu17 already exists in the DB!', GrpcStatus.NOT_FOUND],
      ['register', 'a WorkspaceCluster with name eu17 already exists in the DB', GrpcStatus.ALREADY_EXISTS],
      ['register', 'a WorkspaceCluster with url dns:///x:1 already exists in the DB', GrpcStatus.ALREADY_EXISTS],
      ['deregister', 'cluster is not empty (3 instances remaining)', GrpcStatus.FAILED_PRECONDITION],
      ['deregister', 'cluster is not empty (1 instances remaining)[a]', GrpcStatus.FAILED_PRECONDITION],
      ['register', 'cannot reach dns:///x:1: 14 UNAVAILABLE: No connection established', GrpcStatus.FAILED_PRECONDITION],
      ['update', 'cannot reach dns:///x:1: 14 UNAVAILABLE: x', GrpcStatus.FAILED_PRECONDITION],
      ['register', 'Invalid value for workspace region.', GrpcStatus.INVALID_ARGUMENT],
      ['register', 'unknown preferability 7', GrpcStatus.INVALID_ARGUMENT],
      ['register', 'missing required TLS config', GrpcStatus.INVALID_ARGUMENT],
      ['update', 'missing required TLS config', GrpcStatus.INVALID_ARGUMENT],
      // Not the bridge's words for that operation: no guess.
      ['deregister', 'a WorkspaceCluster with name eu17 does not exist in the DB!', GrpcStatus.UNKNOWN],
      ['update', 'a WorkspaceCluster with name eu17 already exists in the DB', GrpcStatus.UNKNOWN],
      ['list', 'connect ECONNREFUSED 10.0.0.1:5432', GrpcStatus.UNKNOWN],
      ['register', 'duplicate key value violates unique constraint', GrpcStatus.UNKNOWN],
    ];
    for (const [operation, details, code] of meant) {
      const error = registryError({ code: GrpcStatus.UNKNOWN, details }, ctx({ operation }));
      expect(error.details, `${operation}: ${details}`).toMatchObject({ grpcCode: code });
      expect(error.details['grpcCodeSent'], `${operation}: ${details}`).toBe(code === GrpcStatus.UNKNOWN ? undefined : GrpcStatus.UNKNOWN);
    }
    // A bridge that sends a code is taken at its word, whatever its text.
    expect(registryError({ code: GrpcStatus.INTERNAL, details: 'cluster is not empty (3 instances remaining)' }, ctx({ operation: 'deregister' })).details).toMatchObject({ grpcCode: 13 });
  });

  it('a TLS replacement the bridge cannot dial with says the old material stays and what to check', () => {
    const error = registryError({ code: GrpcStatus.UNKNOWN, details: 'cannot reach dns:///ws-eu17.x:8080: 14 UNAVAILABLE: handshake failed' }, ctx({ change: 'replace TLS material' }));
    expect(error.code).toBe('RegistryRefused');
    expect(error.message).toBe(
      'prod-meta-eu01 could not reach ws-manager of eu17 with the new TLS material: cannot reach dns:///ws-eu17.x:8080: 14 UNAVAILABLE: handshake failed; it keeps the old one. ' +
        'Check that the new ca.crt, tls.crt and tls.key are that cluster\'s client certificate (`clusters get-tls-config` writes them) and that ws-manager is up',
    );
  });

  it('reads the workspace count from the bridge text', () => {
    expect(remainingWorkspaces('cluster is not empty (12 instances remaining)[a,b]')).toBe(12);
    expect(remainingWorkspaces('other')).toBeUndefined();
  });
});

describe('an unreachable registry, in words', () => {
  it('says why instead of quoting grpc-js diagnostics', () => {
    const raw = 'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: ';
    const error = registryError({ code: GrpcStatus.UNAVAILABLE, details: raw }, ctx());
    expect(error.message).toBe('cannot reach the cluster registry of prod-meta-eu01 at 127.0.0.1:1: nothing listens there (connection refused); check that ws-manager-bridge runs and the address or port-forward is right, then retry');
    expect(error.details).toMatchObject({ grpcDetails: raw }); // the raw text stays for --json-log
    expect(unreachableBecause('Name resolution failed for target dns:nohost.invalid:80')).toBe('the host name does not resolve');
    expect(unreachableBecause('No connection established. Last error: Error: something new. Resolution note: ')).toBe('the connection failed (something new)');
    expect(unreachableBecause('')).toBe('the connection failed');
  });
});

describe('registryError: the full message per status, each ending in what to do next', () => {
  const full: Array<[string, number, Partial<CallContext>, string]> = [
    ['deadline', GrpcStatus.DEADLINE_EXCEEDED, {}, "the cluster registry of prod-meta-eu01 did not answer update within 1000 ms; check the bridge's health and retry"],
    ['not found', GrpcStatus.NOT_FOUND, {}, 'cluster eu17 is not registered with prod-meta-eu01; see the registered names with `ws-deployment clusters list --meta prod-meta-eu01`'],
    ['name taken', GrpcStatus.ALREADY_EXISTS, { operation: 'register', url: 'dns:///x:1' }, 'prod-meta-eu01 refused to register eu17 (dns:///x:1): boom; the name or url is taken — deregister the old entry or choose another name'],
    ['name taken, no url', GrpcStatus.ALREADY_EXISTS, { operation: 'register' }, 'prod-meta-eu01 refused to register eu17: boom; the name or url is taken — deregister the old entry or choose another name'],
    ['register precondition', GrpcStatus.FAILED_PRECONDITION, { operation: 'register', url: 'dns:///x:1' }, 'prod-meta-eu01 could not reach ws-manager of eu17 at dns:///x:1: boom; the bridge dials ws-manager during Register, so DNS and certificates must be ready first (run the alive-test step)'],
    ['register precondition, no url', GrpcStatus.FAILED_PRECONDITION, { operation: 'register' }, 'prod-meta-eu01 could not reach ws-manager of eu17 at (no url): boom; the bridge dials ws-manager during Register, so DNS and certificates must be ready first (run the alive-test step)'],
    ['update precondition', GrpcStatus.FAILED_PRECONDITION, { change: 'score 5' }, 'prod-meta-eu01 refused score 5 of eu17: boom'],
    ['update precondition, no change', GrpcStatus.FAILED_PRECONDITION, {}, 'prod-meta-eu01 refused update of eu17: boom'],
    ['invalid', GrpcStatus.INVALID_ARGUMENT, {}, 'prod-meta-eu01 rejected update of eu17 as invalid: boom; fix the request and retry'],
    ['permission', GrpcStatus.PERMISSION_DENIED, {}, 'prod-meta-eu01 denied update of eu17: boom; check the credentials used to reach the bridge'],
    ['unauthenticated', GrpcStatus.UNAUTHENTICATED, { operation: 'list' }, 'prod-meta-eu01 denied list of eu17: boom; check the credentials used to reach the bridge'],
    ['unimplemented', GrpcStatus.UNIMPLEMENTED, {}, '127.0.0.1:1 does not implement ClusterService update (boom); is it really the ws-manager-bridge of prod-meta-eu01?'],
    ['cancelled', GrpcStatus.CANCELLED, {}, 'update on prod-meta-eu01 was cancelled'],
    ['other', GrpcStatus.INTERNAL, {}, "update of eu17 on prod-meta-eu01 failed: boom (grpc code 13); see the bridge's logs"],
    ['no cluster name', GrpcStatus.NOT_FOUND, { cluster: undefined }, 'cluster (no name) is not registered with prod-meta-eu01; see the registered names with `ws-deployment clusters list --meta prod-meta-eu01`'],
  ];
  it.each(full)('%s', (_, code, over, message) => {
    expect(registryError({ code, details: 'boom' }, ctx(over)).message).toBe(message);
  });

  it('keeps the call facts in the details; only unavailable and deadline are transient', () => {
    const error = registryError({ code: GrpcStatus.NOT_FOUND, details: 'x' }, ctx({ operation: 'list', address: 'a:1' }));
    expect(error.details).toEqual({ meta: 'prod-meta-eu01', address: 'a:1', operation: 'list', cluster: 'eu17', grpcCode: 5, grpcDetails: 'x' });
    expect(registryError({ code: GrpcStatus.CANCELLED }, ctx()).details).toMatchObject({ grpcCode: 1, operation: 'update' });
    const transient = Object.values(GrpcStatus).filter((code) => registryError({ code }, ctx()).transient);
    expect(transient.sort()).toEqual([GrpcStatus.DEADLINE_EXCEEDED, GrpcStatus.UNAVAILABLE].sort());
  });

  it('quotes details, else the message, else "no details"; a missing code is UNKNOWN (2)', () => {
    expect(registryError({ code: GrpcStatus.INTERNAL, details: '', message: 'from message' }, ctx()).message).toContain('failed: from message (grpc code 13)');
    expect(registryError({ code: GrpcStatus.INTERNAL, message: 'from message' }, ctx()).message).toContain('failed: from message (');
    expect(registryError({ code: GrpcStatus.INTERNAL, details: 'd', message: 'm' }, ctx()).message).toContain('failed: d (');
    expect(registryError({ code: GrpcStatus.INTERNAL }, ctx()).message).toContain('failed: no details (');
    expect(registryError({ code: GrpcStatus.INTERNAL, details: '', message: '' }, ctx()).message).toContain('failed: no details (');
    const unknown = registryError({ details: 'x' }, ctx());
    expect(unknown.code).toBe('RegistryError');
    expect(unknown.message).toContain('(grpc code 2)');
    expect(unknown.details).toMatchObject({ grpcCode: 2 });
  });

  it('scrubs what the bridge echoed back with the redactor, in the message and the details', () => {
    const redactor = { redact: (t: string) => t.replaceAll('s3cret', '***') } as unknown as Parameters<typeof registryError>[2];
    const error = registryError({ code: GrpcStatus.INVALID_ARGUMENT, details: 'bad key s3cret' }, ctx(), redactor);
    expect(error.message).toBe('prod-meta-eu01 rejected update of eu17 as invalid: bad key ***; fix the request and retry');
    expect(error.details).toMatchObject({ grpcDetails: 'bad key ***' });
  });

  it('counts the workspaces of a refused Deregister: one runs, several run', () => {
    const two = registryError({ code: GrpcStatus.FAILED_PRECONDITION, details: 'cluster is not empty (2 instances remaining)' }, ctx({ operation: 'deregister' }));
    expect(two.message).toBe(
      "prod-meta-eu01 refused to deregister eu17: 2 regular workspaces still run on it; cordon it and wait until they stop, or pass --force, which stops those 2 and breaks their users' sessions",
    );
    const vague = registryError({ code: GrpcStatus.FAILED_PRECONDITION, details: 'busy' }, ctx({ operation: 'deregister' }));
    expect(vague.message).toBe(
      "prod-meta-eu01 refused to deregister eu17: regular workspaces still run on it; cordon it and wait until they stop, or pass --force, which stops them and breaks their users' sessions",
    );
    expect(remainingWorkspaces('(1 instance remaining)')).toBe(1);
    expect(remainingWorkspaces('(0 instances remaining)')).toBe(0);
    expect(remainingWorkspaces('(x instances remaining)')).toBeUndefined();
  });
});

describe('unreachableBecause: one reason per socket error', () => {
  it.each([
    ['connect ECONNREFUSED 127.0.0.1:1', 'nothing listens there (connection refused)'],
    ['getaddrinfo ENOTFOUND nohost', 'the host name does not resolve'],
    ['getaddrinfo EAI_AGAIN nohost', 'the host name does not resolve'],
    ['name resolution FAILED', 'the host name does not resolve'],
    ['connect EHOSTUNREACH 10.0.0.1:443', 'the host cannot be reached from here (no route)'],
    ['connect ENETUNREACH 10.0.0.1:443', 'the host cannot be reached from here (no route)'],
    ['connect ETIMEDOUT 10.0.0.1:443', 'the connection timed out'],
    ['handshake Timed Out', 'the connection timed out'],
    ['read ECONNRESET', 'the connection was closed by the other side'],
    ['Socket Hang Up', 'the connection was closed by the other side'],
    ['connection dropped', 'the connection was closed by the other side'],
    ['self-signed Certificate in chain', 'the TLS handshake failed (the address may not speak TLS, or the certificate is not trusted)'],
    ['ssl routines', 'the TLS handshake failed (the address may not speak TLS, or the certificate is not trusted)'],
    ['tls alert', 'the TLS handshake failed (the address may not speak TLS, or the certificate is not trusted)'],
    ['no connection established.  last error: weird thing. resolution note: ', 'the connection failed (weird thing)'],
    ['Last error: Error: odd', 'the connection failed (odd)'],
    ['  plain words  ', 'the connection failed (plain words)'],
    ['No connection established. Resolution note: ', 'the connection failed'],
  ])('%s → %s', (details, words) => {
    expect(unreachableBecause(details)).toBe(words);
  });
});
