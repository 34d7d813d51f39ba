/**
 * An UNKNOWN answer that is the bridge's database failing, told from its text (facts from gitpod-io/gitpod, read
 * only: components/ws-manager-bridge/src/cluster-service-server.ts and components/gitpod-db).
 *
 * Every ClusterService call of the deployed bridge reads or writes its MySQL database through TypeORM 0.2 (the mysql
 * driver, mysqljs). Whatever throws there reaches `mapToGRPCError`, which wraps it as `GRPCError(INTERNAL, err)`: the
 * code sits in `status`, grpc-js reads `code`, so the call ends UNKNOWN (2) with the error's message as its details,
 * the same shape as the bridge's refusals (`bridge-refusals.ts`). That message is:
 * - a failed query: TypeORM's QueryFailedError, whose message is the driver error's text with "Error: " cut off, i.e.
 *   `ER_LOCK_DEADLOCK: Deadlock found when trying to get lock; try restarting transaction` (mysqljs writes a server
 *   error as `<code>: <server message>`), or the driver's connection texts (`Connection lost: The server closed the
 *   connection.`, `read ECONNRESET`, `Query inactivity timeout`, `Cannot enqueue Query after fatal error.`);
 * - no connection from the pool: the driver's own error, unwrapped (`connect ECONNREFUSED 10.0.0.5:3306`,
 *   `connect ETIMEDOUT`, `getaddrinfo ENOTFOUND mysql`, `ER_CON_COUNT_ERROR: Too many connections`, `Pool is closed.`).
 * In ClusterService nothing else talks to a network without its own wrapping (the dial of ws-manager says
 * "cannot reach URL: …"), so these texts are the database's. A text that matches none stays a plain UNKNOWN.
 */

/** How a database failure behaves: `transient` passes (a blip, a failover, a deadlock), `persistent` does not. */
export type DatabaseFailure = 'transient' | 'persistent';

/** MySQL server errors that pass on their own (a retry is what MySQL itself says to do for the first two). */
const TRANSIENT_SERVER_ERRORS = new Set([
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_SERVER_SHUTDOWN',
  'ER_QUERY_INTERRUPTED',
  'ER_CONNECTION_KILLED',
  'ER_NET_READ_INTERRUPTED',
  'ER_NET_WRITE_INTERRUPTED',
  // A primary demoted to read-only during a failover.
  'ER_OPTION_PREVENTS_STATEMENT',
]);

/** The driver's connection texts (mysqljs and Node's net errors): the database could not be reached or went away. */
const CONNECTION_TEXTS: readonly RegExp[] = [
  /^connect (ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH)\b/,
  /^getaddrinfo (ENOTFOUND|EAI_AGAIN)\b/,
  /^(read|write) (ECONNRESET|EPIPE|ETIMEDOUT)\b/,
  /^Connection lost: /,
  /^Cannot enqueue \w+ after (fatal error|being destroyed|invoking quit)\.$/,
  /^Pool is closed\.?$/,
  /^\w+ inactivity timeout$/,
];

/** A MySQL server error as mysqljs words it: `ER_SOMETHING: message`. */
const SERVER_ERROR = /^(ER_[A-Z0-9_]+): /;

/** Whether `details` of an UNKNOWN answer is the bridge's database failing, and how; undefined when it is not. */
export function databaseFailure(details: string): DatabaseFailure | undefined {
  if (CONNECTION_TEXTS.some((p) => p.test(details))) return 'transient';
  const server = SERVER_ERROR.exec(details)?.[1];
  if (server === undefined) return undefined;
  return TRANSIENT_SERVER_ERRORS.has(server) ? 'transient' : 'persistent';
}
