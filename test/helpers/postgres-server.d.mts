/** Types of postgres-server.mjs (shared with the .mjs benchmarks). */
export interface ThrowawayPostgres {
  /** `postgres://postgres:<password>@127.0.0.1:<port>/postgres?sslmode=disable` */
  url: string;
  port: number;
  password: string;
  stop(): Promise<void>;
}
export function postgresBinDir(): string | undefined;
export function startPostgres(options?: { durable?: boolean }): Promise<ThrowawayPostgres>;
