/**
 * gRPC status → WsdError. The registry answers with status codes; we turn each
 * into one of our stable codes with a message that says what to do next.
 * Classification uses the status code; the bridge's message text is quoted,
 * never matched, except to pull the workspace count out of a refused Deregister
 * (the bridge offers it nowhere else) and for UNKNOWN: the deployed bridge sends
 * every refusal as UNKNOWN, and its texts say what it meant (`bridge-refusals.ts`),
 * as do its database's failures, also UNKNOWN (`bridge-db-errors.ts`).
 */
import { WsdError } from '../core/errors.js';
import type { Redactor } from '../core/redact.js';
import { databaseFailure } from './bridge-db-errors.js';
import { meantStatus } from './bridge-refusals.js';

/** gRPC status codes we distinguish (numbers from the gRPC spec; no eager grpc-js import). */
export const GrpcStatus = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** `describeUpdate` of a TLS replacement (wire.ts): the Update whose refusals say what the bridge dialled with. */
export const TLS_CHANGE = 'replace TLS material';

type RegistryOperation = 'register' | 'update' | 'deregister' | 'list';

/** What the failing call was about, for the message. */
export interface CallContext {
  operation: RegistryOperation;
  /** Meta cluster name (or the address when called with `--bridge`). */
  meta: string;
  address: string;
  cluster?: string;
  url?: string;
  /** Human form of an Update, e.g. "score 20". */
  change?: string;
  /** Deregister: whether `force` was sent. */
  force?: boolean;
  /** Update: sending it twice is harmless (an absolute value), so a lost answer is retried, not reported. */
  repeatable?: boolean;
  deadlineMs: number;
}

/** The parts of a grpc-js ServiceError we read. */
export interface GrpcErrorLike {
  code?: number;
  details?: string;
  message?: string;
}

/** Number of regular workspaces named in the bridge's Deregister refusal, when it says. */
export function remainingWorkspaces(details: string): number | undefined {
  const match = /\((\d+) instances? remaining\)/.exec(details);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * Why a connection failed, in words. grpc-js gives UNAVAILABLE with its channel's
 * diagnostic text ("No connection established. Last error: Error: connect
 * ECONNREFUSED 127.0.0.1:1. Resolution note: ") and no structured cause, so the
 * socket error name in that text is the only fact there is; the raw text stays
 * in the error's details (`--json-log`). Classification is still by status code.
 */
export function unreachableBecause(details: string): string {
  const reasons: Array<[RegExp, string]> = [
    [/ECONNREFUSED/, 'nothing listens there (connection refused)'],
    [/Name resolution failed|ENOTFOUND|EAI_AGAIN/i, 'the host name does not resolve'],
    [/EHOSTUNREACH|ENETUNREACH/, 'the host cannot be reached from here (no route)'],
    [/ETIMEDOUT|timed out/i, 'the connection timed out'],
    [/ECONNRESET|socket hang up|Connection dropped/i, 'the connection was closed by the other side'],
    [/certificate|SSL|TLS|handshake/i, 'the TLS handshake failed (the address may not speak TLS, or the certificate is not trusted)'],
  ];
  for (const [pattern, words] of reasons) if (pattern.test(details)) return words;
  const cleaned = details
    .replace(/No connection established\.\s*/i, '')
    .replace(/Last error:\s*(Error:\s*)?/i, '')
    .replace(/\.?\s*Resolution note:\s*$/i, '')
    .trim();
  return cleaned ? `the connection failed (${cleaned})` : 'the connection failed';
}

/** Maps a failed call to a WsdError; `redactor` scrubs anything the bridge echoed back. */
export function registryError(error: GrpcErrorLike, ctx: CallContext, redactor?: Redactor): WsdError {
  const scrub = (text: string) => (redactor ? redactor.redact(text) : text);
  const text = typeof error.details === 'string' && error.details ? error.details : typeof error.message === 'string' ? error.message : '';
  const details = scrub(text || 'no details');
  const sent = error.code ?? GrpcStatus.UNKNOWN;
  // Matched on the bridge's own text, before redaction (a scrubbed key never is part of one).
  const code = meantStatus(sent, text, ctx.operation);
  const who = ctx.cluster ?? '(no name)';
  // `grpcCode` is what the bridge meant (callers test it); `grpcCodeSent` says when the wire said otherwise.
  const facts = {
    meta: ctx.meta,
    address: ctx.address,
    operation: ctx.operation,
    cluster: ctx.cluster,
    grpcCode: code,
    ...(code !== sent ? { grpcCodeSent: sent } : {}),
    grpcDetails: details,
  };
  const make = (wsdCode: ConstructorParameters<typeof WsdError>[0], message: string, transient = false) =>
    new WsdError(wsdCode, message, { transient, details: facts });

  // The bridge's database failed (bridge-db-errors.ts): a fact about the database, not a refusal of the request.
  const database = code === GrpcStatus.UNKNOWN ? databaseFailure(text) : undefined;
  if (database) return databaseError(database, ctx, who, details, facts);

  if (outcomeUnknown(code, ctx, details)) {
    const done = ctx.operation === 'register' ? 'registered' : ctx.operation === 'deregister' ? 'deregistered' : 'changed';
    const what =
      code === GrpcStatus.DEADLINE_EXCEEDED
        ? `the cluster registry of ${ctx.meta} did not answer ${ctx.change ?? ctx.operation} of ${who} within ${ctx.deadlineMs} ms`
        : `the connection to the cluster registry of ${ctx.meta} at ${ctx.address} was lost during ${ctx.change ?? ctx.operation} of ${who} (${unreachableBecause(details)})`;
    // `answerLost` lets the client, which can List, replace the "may have" by what happened.
    return new WsdError('RegistryUnavailable', `${what}: the bridge may have ${done} it anyway; see with \`clusters list\` whether it did before retrying`, {
      transient: true,
      details: { ...facts, answerLost: what },
    });
  }

  switch (code) {
    case GrpcStatus.UNAVAILABLE:
      return make(
        'RegistryUnavailable',
        `cannot reach the cluster registry of ${ctx.meta} at ${ctx.address}: ${unreachableBecause(details)}; check that ws-manager-bridge runs and the address or port-forward is right, then retry`,
        true,
      );
    case GrpcStatus.DEADLINE_EXCEEDED:
      return make(
        'RegistryUnavailable',
        `the cluster registry of ${ctx.meta} did not answer ${ctx.operation} within ${ctx.deadlineMs} ms; check the bridge's health and retry`,
        true,
      );
    case GrpcStatus.NOT_FOUND:
      return make(
        'RegistryNotFound',
        `cluster ${who} is not registered with ${ctx.meta}; see the registered names with \`ws-deployment clusters list --meta ${ctx.meta}\``,
      );
    case GrpcStatus.ALREADY_EXISTS:
      return make(
        'RegistryConflict',
        `${ctx.meta} refused to register ${who}${ctx.url ? ` (${ctx.url})` : ''}: ${details}; the name or url is taken — deregister the old entry or choose another name`,
      );
    case GrpcStatus.FAILED_PRECONDITION:
      return make('RegistryRefused', preconditionMessage(ctx, who, details));
    case GrpcStatus.INVALID_ARGUMENT:
      return make('RegistryRefused', `${ctx.meta} rejected ${ctx.operation} of ${who} as invalid: ${details}; fix the request and retry`);
    case GrpcStatus.PERMISSION_DENIED:
    case GrpcStatus.UNAUTHENTICATED:
      return make('RegistryRefused', `${ctx.meta} denied ${ctx.operation} of ${who}: ${details}; check the credentials used to reach the bridge`);
    case GrpcStatus.UNIMPLEMENTED:
      // Every bridge since 2021 has all four methods, and one that does not know an Update property answers OK
      // (tls-update-check.ts): UNIMPLEMENTED is a server that does not serve ClusterService, whatever was asked.
      return make(
        'RegistryError',
        `${ctx.address} does not implement ClusterService ${ctx.operation} (${details}); is it really the ws-manager-bridge of ${ctx.meta}?`,
      );
    case GrpcStatus.RESOURCE_EXHAUSTED:
      return make('RegistryError', tooLargeMessage(ctx, who, details));
    case GrpcStatus.CANCELLED:
      return new WsdError('Interrupted', `${ctx.operation} on ${ctx.meta} was cancelled`, { details: facts });
    default:
      return make('RegistryError', `${ctx.operation === 'list' ? 'list' : `${ctx.operation} of ${who}`} on ${ctx.meta} failed: ${details} (grpc code ${code}); see the bridge's logs`);
  }
}

/**
 * RESOURCE_EXHAUSTED with grpc-js's "Received message larger than max (N vs M)". Only List has an answer with
 * content (the other answers are empty messages), so on a List it is our own limit on the answer (the bridge sends
 * any size); on another call it is the bridge's limit on the request, which it refused unread.
 */
function tooLargeMessage(ctx: CallContext, who: string, details: string): string {
  const sizes = /larger than max \((\d+) vs (\d+)\)/.exec(details);
  if (ctx.operation === 'list') {
    const size = sizes ? `${sizes[1]} bytes, more than the ${sizes[2]} bytes` : 'more than';
    return (
      `the List answer of ${ctx.meta}'s ws-manager-bridge is ${size} this ws-deployment accepts from a registry (${details}); the answer was not read. ` +
      `A registry that large is not one of workspace clusters: check that ${ctx.address} is ${ctx.meta}'s ws-manager-bridge`
    );
  }
  return `${ctx.meta} refused ${ctx.change ?? ctx.operation} of ${who} unread, as larger than its ws-manager-bridge accepts (${details}); nothing was changed`;
}

/** Persistent database failures: what the operator is told to look at. */
const DB_PERSISTENT = "which a retry will not change (its schema, access or data)";

/**
 * A call the bridge's database failed. List and an absolute Update may be sent again (`details.database` tells
 * call-runner.ts to retry a passing one); a call that must not be repeated may have been written before the
 * database failed (a COMMIT whose answer was lost with its connection), so it goes the lost-answer way: List says.
 */
function databaseError(database: 'transient' | 'persistent', ctx: CallContext, who: string, details: string, facts: Record<string, unknown>): WsdError {
  const base = { ...facts, database };
  if (!repeatable(ctx)) {
    const done = ctx.operation === 'register' ? 'registered' : ctx.operation === 'deregister' ? 'deregistered' : 'changed';
    const what = `${ctx.meta}'s ws-manager-bridge answered ${ctx.change ?? ctx.operation} of ${who} with an error of its database (${details})`;
    return new WsdError('RegistryUnavailable', `${what}: the bridge may have ${done} it before the database failed; see with \`clusters list\` whether it did before retrying`, {
      transient: database === 'transient',
      details: { ...base, answerLost: what },
    });
  }
  const words = `${ctx.change && ctx.cluster ? `${ctx.operation} of ${ctx.cluster} (${ctx.change})` : ctx.operation} on ${ctx.meta} failed in the database of its ws-manager-bridge (${details})`;
  return database === 'transient'
    ? new WsdError('RegistryUnavailable', `${words}: a database outage or blip, not a refusal; check that database (and the bridge's logs), then retry`, { transient: true, details: base })
    : new WsdError('RegistryError', `${words}: the database refused it, ${DB_PERSISTENT}; see the bridge's logs and its database`, { details: base });
}

/** List, and an Update of an absolute value: sending it twice is harmless. */
function repeatable(ctx: CallContext): boolean {
  return ctx.operation === 'list' || (ctx.operation === 'update' && ctx.repeatable !== false);
}

/**
 * Register, Deregister and an Update that must not be sent twice (a constraint change) are not retried, and a lost
 * answer does not mean a lost request: past the deadline, or
 * when a connection that was established drops (grpc-js says "No connection established" only when none was), the
 * bridge may have done it. Saying "cannot reach" then sends the operator to retry into ALREADY_EXISTS.
 */
function outcomeUnknown(code: number, ctx: CallContext, details: string): boolean {
  if (repeatable(ctx)) return false;
  if (code === GrpcStatus.DEADLINE_EXCEEDED) return true;
  return code === GrpcStatus.UNAVAILABLE && !/No connection established/i.test(details);
}

function preconditionMessage(ctx: CallContext, who: string, details: string): string {
  switch (ctx.operation) {
    case 'deregister': {
      const n = remainingWorkspaces(details);
      const count = n === undefined ? 'regular workspaces' : `${n} regular workspace${n === 1 ? '' : 's'}`;
      if (ctx.force) {
        // force came in 2021-11: an older bridge skips the field and refuses as if it were not sent.
        return (
          `${ctx.meta} refused to deregister ${who} although force was sent: ${count} still run${n === 1 ? 's' : ''} on it, ` +
          `and this bridge ignores force (it predates DeregisterRequest.force, 2021-11); cordon it and wait until they stop`
        );
      }
      return (
        `${ctx.meta} refused to deregister ${who}: ${count} still run${n === 1 ? 's' : ''} on it; ` +
        `cordon it and wait until they stop, or pass --force, which stops ${n === undefined ? 'them' : `those ${n}`} and breaks their users' sessions`
      );
    }
    case 'register':
      return (
        `${ctx.meta} could not reach ws-manager of ${who} at ${ctx.url ?? '(no url)'}: ${details}; ` +
        `the bridge dials ws-manager during Register, so DNS and certificates must be ready first (run the alive-test step)`
      );
    default:
      if (ctx.change === TLS_CHANGE) {
        // The bridge dials ws-manager with the new material before it keeps it (2024-06).
        return (
          `${ctx.meta} could not reach ws-manager of ${who} with the new TLS material: ${details}; it keeps the old one. ` +
          `Check that the new ca.crt, tls.crt and tls.key are that cluster's client certificate (\`clusters get-tls-config\` writes them) and that ws-manager is up`
        );
      }
      return `${ctx.meta} refused ${ctx.change ?? ctx.operation} of ${who}: ${details}`;
  }
}
