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

  it('a refused Deregister says how many workspaces run and what --force breaks', () => {
    const error = registryError({ code: GrpcStatus.FAILED_PRECONDITION, details: 'cluster is not empty (1 instances remaining)[a]' }, ctx({ operation: 'deregister' }));
    expect(error.message).toBe(
      "prod-meta-eu01 refused to deregister eu17: 1 regular workspace still runs on it; cordon it and wait until they stop, or pass --force, which stops those 1 and breaks their users' sessions",
    );
    expect(exitCodeFor(error)).toBe(3);
    const vague = registryError({ code: GrpcStatus.FAILED_PRECONDITION, details: 'busy' }, ctx({ operation: 'deregister' }));
    expect(vague.message).toContain('regular workspaces still run on it');
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
