/**
 * The connection to the state database: the lazily loaded `pg` driver, the
 * connection string shown without its password, and the line between errors
 * that mean "the connection is gone, try again" and errors that will not heal.
 *
 * `pg` is loaded with `await import('pg')` on first use so that commands which
 * never touch PostgreSQL (the file store is the default) do not pay for it.
 */
import type { ClientConfig } from 'pg';
import { WsdError } from '../../core/errors.js';
import { REDACTED, type Redactor } from '../../core/redact.js';

/** The `pg` module's default export (Pool, Client, …), loaded on first use. */
export type PgModule = typeof import('pg').default;

let driver: Promise<PgModule> | undefined;

/** Loads the `pg` driver once per process. */
export function loadPg(): Promise<PgModule> {
  driver ??= import('pg').then((m) => m.default);
  return driver;
}

const SSL_MODES = new Set(['disable', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify']);

/** Query parameters of a state url that hold secrets. */
const SECRET_PARAMS = ['password', 'sslpassword'] as const;

/** A parsed state URL: the string pg connects with, and the same string safe to print. */
export interface StateUrl {
  connectionString: string;
  /** `postgres://user:[REDACTED]@host:port/db?sslmode=…`: the only form that may appear in messages. */
  display: string;
}

/**
 * Validates a `postgres://` / `postgresql://` URL and registers its password
 * with the redactor, so neither the URL nor the password ever reaches a log.
 */
/** How to write the state URL (said whenever one is refused). */
const URL_ADVICE = 'use postgres://USER@HOST:PORT/DATABASE?sslmode=require with the password in PGPASSWORD (or percent-encode it in the url: / is %2F, @ is %40, # is %23)';

export function parseStateUrl(url: string, redactor?: Redactor): StateUrl {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The raw text may hold a password: never echo it.
    // The usual cause is a password with / ? # @ or : in it. The advice names no `USER:PASSWORD@`: the redactor would print it as `USER:[REDACTED]@`.
    throw new WsdError('UsageError', `the state url is not a valid url; ${URL_ADVICE}`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new WsdError('UsageError', `the state url scheme "${parsed.protocol}" is not supported; ${URL_ADVICE}`);
  }
  if (parsed.password) {
    redactor?.add(url, parsed.password, safeDecode(parsed.password));
    parsed.password = REDACTED;
  }
  // pg (like libpq) also takes the password, and the client key's passphrase, as query parameters.
  for (const name of SECRET_PARAMS) {
    const value = parsed.searchParams.get(name);
    if (value === null) continue;
    redactor?.add(url, value, encodeURIComponent(value));
    parsed.searchParams.set(name, REDACTED);
  }
  const sslmode = parsed.searchParams.get('sslmode');
  if (sslmode !== null && !SSL_MODES.has(sslmode)) {
    throw new WsdError('UsageError', `sslmode "${sslmode}" in the state url is not known; use one of ${[...SSL_MODES].join(', ')}`);
  }
  // URL keeps "[REDACTED]" percent-encoded; show it readable.
  const display = parsed.toString().replaceAll(encodeURIComponent(REDACTED), REDACTED);
  return { connectionString: url, display };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Settings shared by every connection we open. */
export function clientConfig(url: StateUrl, applicationName: string): ClientConfig {
  return {
    connectionString: url.connectionString,
    application_name: applicationName,
    connectionTimeoutMillis: 5_000,
    // A dead peer on a silent network (pod rescheduled, NAT dropped) is noticed by TCP keepalive.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  };
}

/** SQLSTATEs after which a new connection may well succeed. */
const TRANSIENT_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
const TRANSIENT_SYSCALLS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);
// pg raises these without a code; its message is the only signal it gives.
const CONNECTION_MESSAGES = /connection terminated|not queryable|timeout exceeded when trying to connect|connection timeout|socket hang up/i;

/** True when `error` means the connection was lost or could not be made (retry on a new one). */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code.startsWith('08') || TRANSIENT_SQLSTATES.has(code) || TRANSIENT_SYSCALLS.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code)) return false; // any other SQLSTATE: the server answered
  }
  return CONNECTION_MESSAGES.test(error.message);
}

/** A short cause for messages, with a hint for the errors retrying cannot fix. */
export function describePgError(error: unknown): string {
  const e = error as { code?: string; message?: string };
  const base = e.code ? `${e.code}: ${e.message ?? ''}` : (e.message ?? String(error));
  switch (e.code) {
    case '28P01':
    case '28000':
      return `${base}; check the user and password in the state url`;
    case '3D000':
      return `${base}; create the database first (CREATE DATABASE …) or fix the database name in the state url`;
    case '42501':
      return `${base}; the state user needs CREATE on the database and its schema`;
    default:
      return base;
  }
}

/** Bounded reconnect attempts: 3 tries over about 5 s by default. */
export interface RetryPolicy {
  /** Delays before the 2nd, 3rd, … attempt. */
  delaysMs: readonly number[];
}

export const DEFAULT_RETRY: RetryPolicy = { delaysMs: [1_000, 4_000] };
