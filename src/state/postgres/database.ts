/**
 * A pool of connections to the state database with bounded reconnects.
 *
 * Every operation runs as a whole on one pooled connection. When that
 * connection is lost (server restart, failover, `pg_terminate_backend`, a
 * network blip), the operation runs again on a fresh one, a few times within a
 * few seconds; after that the caller gets a `StateIo` error saying what to do.
 * Operations must therefore be safe to run again: the journal's append checks
 * whether its first try committed before writing anything.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool, PoolClient } from 'pg';
import { isWsdError, WsdError } from '../../core/errors.js';
import type { EventSink } from '../../core/events.js';
import { clientConfig, describePgError, isConnectionError, type PgModule, type RetryPolicy, type StateUrl } from './connection.js';

/** What {@link withReconnect} needs to retry and to explain. */
interface ReconnectContext {
  url: StateUrl;
  sink: EventSink;
  retry: RetryPolicy;
}

/**
 * Runs `attempt` until it succeeds, fails for a reason other than a lost
 * connection, or runs out of the retry policy's attempts. Every failure leaves
 * as a `WsdError` (`StateIo` for database trouble) whose message names the
 * database without its password.
 */
export async function withReconnect<T>(ctx: ReconnectContext, action: string, attempt: () => Promise<T>, advice?: string): Promise<T> {
  const attempts = ctx.retry.delaysMs.length + 1;
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (isWsdError(error)) throw error;
      if (!isConnectionError(error)) {
        throw new WsdError('StateIo', `${action} failed in the state database ${ctx.url.display}: ${describePgError(error)}`, { cause: error });
      }
      if (n >= attempts) {
        throw new WsdError(
          'StateIo',
          `cannot reach the state database ${ctx.url.display} while ${action} (${describePgError(error)}; gave up after ${attempts} attempts); ${advice ?? 'check that the database is reachable and run the command again'}`,
          { cause: error, transient: true, details: { attempts } },
        );
      }
      const delay = ctx.retry.delaysMs[n - 1] ?? 0;
      ctx.sink.emit({
        level: 'warn',
        code: 'state.reconnect',
        message: `lost the connection to ${ctx.url.display} while ${action} (${describePgError(error)}); reconnecting in ${delay} ms (attempt ${n + 1} of ${attempts})`,
        data: { attempt: n + 1, attempts, delayMs: delay },
      });
      await sleep(delay);
    }
  }
}

export class Database {
  readonly pool: Pool;

  constructor(
    readonly pg: PgModule,
    readonly url: StateUrl,
    private readonly sink: EventSink,
    private readonly retry: RetryPolicy,
  ) {
    this.pool = new pg.Pool({ ...clientConfig(url, 'ws-deployment'), max: 4, idleTimeoutMillis: 10_000 });
    // An idle pooled connection that dies emits here; without a listener Node would crash.
    // The pool drops that connection by itself, and the next operation opens a new one.
    this.pool.on('error', (error) => {
      this.sink.emit({ level: 'debug', code: 'state.connection-dropped', message: `an idle connection to ${url.display} was closed: ${describePgError(error)}` });
    });
  }

  /**
   * Runs `fn` on one pooled connection, again on a new connection when the
   * connection is lost (bounded by the retry policy).
   * @param action what is being done, for messages ("appending to deployment D")
   * @param advice what the user should do when the database stays unreachable
   */
  run<T>(action: string, fn: (client: PoolClient) => Promise<T>, advice?: string): Promise<T> {
    return withReconnect(
      { url: this.url, sink: this.sink, retry: this.retry },
      action,
      async () => {
        const client = await this.pool.connect();
        // pg emits 'error' on a checked-out client whose connection dies, besides failing its
        // query; the pool only listens while the client is idle, and an unheard 'error' crashes.
        const onError = (): void => undefined;
        client.on('error', onError);
        try {
          const result = await fn(client);
          client.off('error', onError);
          client.release();
          return result;
        } catch (error) {
          client.off('error', onError);
          // A lost connection must not go back to the pool; any other error leaves it usable.
          client.release(isConnectionError(error) ? (error as Error) : undefined);
          throw error;
        }
      },
      advice,
    );
  }

  /**
   * {@link run} inside a transaction; a failed try is rolled back (or died with its connection).
   * @param begin the BEGIN statement, e.g. `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY` for consistent reads
   */
  transaction<T>(action: string, fn: (client: PoolClient) => Promise<T>, advice?: string, begin = 'BEGIN'): Promise<T> {
    return this.run(
      action,
      async (client) => {
        await client.query(begin);
        try {
          const result = await fn(client);
          await client.query('COMMIT');
          return result;
        } catch (error) {
          if (!isConnectionError(error)) await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      },
      advice,
    );
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
