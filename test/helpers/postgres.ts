/**
 * A throwaway PostgreSQL server for tests (the Terraform `pg` state backend,
 * the PostgreSQL state store). The server itself is started by
 * postgres-server.mjs, shared with the benchmarks; guard tests with
 * {@link hasPostgres} (skip locally with a reason, fail under WSD_REQUIRE_TOOLS=1).
 */
import { postgresBinDir, startPostgres as startServer, type ThrowawayPostgres } from './postgres-server.mjs';
import { requireBinary } from './require-binary.js';

export { postgresBinDir };
export type TestPostgres = ThrowawayPostgres;

/** For `describe.skipIf(!hasPostgres(why))`. */
export function hasPostgres(why: string): boolean {
  return postgresBinDir() !== undefined || requireBinary('initdb', why);
}

/** Starts a fresh PostgreSQL (fsync off: tests need speed, not durability); call `stop()` in `afterAll`. */
export function startPostgres(): Promise<TestPostgres> {
  return startServer();
}
