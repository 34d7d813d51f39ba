/**
 * One throwaway PostgreSQL server per test file, a fresh database per test, and
 * the few admin queries the tests need (terminating a store's sessions).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';

export interface PgFixture {
  server: TestPostgres;
  /** Creates an empty database and returns its url (same credentials). */
  freshDatabase(): Promise<string>;
  /** A temp work dir, removed by `cleanup`. */
  workDir(): Promise<string>;
  /** Runs one query as the superuser on database `url`. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(url: string, sql: string, params?: unknown[]): Promise<R[]>;
  /** Terminates every session of `url`'s database whose application_name is `app`; returns how many. */
  terminate(url: string, app: string): Promise<number>;
  cleanup(): Promise<void>;
}

export function databaseUrl(serverUrl: string, database: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function startPgFixture(): Promise<PgFixture> {
  const server = await startPostgres();
  const dirs: string[] = [];
  const query = async <R extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<R[]> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<R>(sql, params)).rows;
    } finally {
      await client.end();
    }
  };
  return {
    server,
    query,
    async freshDatabase() {
      const name = `t_${randomBytes(6).toString('hex')}`;
      await query(server.url, `CREATE DATABASE ${name}`);
      return databaseUrl(server.url, name);
    },
    async workDir() {
      const dir = await mkdtemp(join(tmpdir(), 'wsd-pgwork-'));
      dirs.push(dir);
      return dir;
    },
    async terminate(url, app) {
      const rows = await query<{ ok: boolean }>(
        url,
        `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1 AND pid <> pg_backend_pid()`,
        [app],
      );
      return rows.filter((r) => r.ok).length;
    },
    async cleanup() {
      for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
      await server.stop();
    },
  };
}

/** Polls `check` every 20 ms until it is true or `ms` pass. */
export async function waitFor(check: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
