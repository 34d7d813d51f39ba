/**
 * A throwaway PostgreSQL server for tests (the Terraform `pg` state backend):
 * `initdb` into a temp dir, `postgres` on a free port on 127.0.0.1 only, password
 * (scram) auth over TCP, unix socket inside the temp dir. PostgreSQL refuses to
 * run as root, so when we are root the server binaries run as the `postgres`
 * user (spawn's uid/gid, no shell) on a temp dir chowned to it.
 *
 * Debian's postgresql package keeps initdb/postgres in /usr/lib/postgresql/<v>/bin,
 * off PATH: {@link postgresBinDir} finds them either way. Guard tests with
 * {@link hasPostgres}, which falls back to `requireBinary('initdb', …)` (skip
 * locally, fail under WSD_REQUIRE_TOOLS=1).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { hasBinary, requireBinary } from './require-binary.js';

export interface TestPostgres {
  /** `postgres://postgres:<password>@127.0.0.1:<port>/postgres?sslmode=disable` */
  url: string;
  port: number;
  password: string;
  stop(): Promise<void>;
}

/** Directory of initdb/postgres: '' when they are on PATH, else the newest Debian install, else undefined. */
export function postgresBinDir(): string | undefined {
  if (hasBinary('initdb') && hasBinary('postgres')) return '';
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) {
    const dir = join(base, version, 'bin');
    if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) return dir;
  }
  return undefined;
}

/** For `describe.skipIf(!hasPostgres(why))`. */
export function hasPostgres(why: string): boolean {
  return postgresBinDir() !== undefined || requireBinary('initdb', why);
}

interface Identity {
  uid: number;
  gid: number;
}

/** The `postgres` account when we run as root; undefined when we can run the server ourselves. */
function serverIdentity(): Identity | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string, server: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`postgres exited with ${server.exitCode}: ${log()}`);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.query('select 1');
      await client.end();
      return;
    } catch (error) {
      lastError = error;
      await client.end().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`postgres did not accept connections within 20 s: ${String(lastError)}; log: ${log()}`);
}

/** Starts a fresh PostgreSQL; call `stop()` in `afterAll`. */
export async function startPostgres(): Promise<TestPostgres> {
  const binDir = postgresBinDir();
  if (binDir === undefined) throw new Error('initdb/postgres not found on PATH nor in /usr/lib/postgresql; install postgresql');
  const bin = (name: string): string => (binDir ? join(binDir, name) : name);
  const identity = serverIdentity();
  const root = await mkdtemp(join(tmpdir(), 'wsd-pg-'));
  const dataDir = join(root, 'data');
  const password = randomBytes(18).toString('base64url');
  const pwFile = join(root, 'pw');
  await writeFile(pwFile, `${password}\n`, { mode: 0o600 });
  if (identity) {
    await chown(root, identity.uid, identity.gid);
    await chown(pwFile, identity.uid, identity.gid);
  }
  const as = identity ? { uid: identity.uid, gid: identity.gid } : {};
  const env = { PATH: process.env.PATH ?? '', LANG: 'C', LC_ALL: 'C' };
  execFileSync(
    bin('initdb'),
    ['-D', dataDir, '-U', 'postgres', `--pwfile=${pwFile}`, '--auth-host=scram-sha-256', '--auth-local=trust', '-E', 'UTF8', '--no-sync'],
    { ...as, env, cwd: root, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  await rm(pwFile);

  const port = await freePort();
  let output = '';
  const server = spawn(
    bin('postgres'),
    ['-D', dataDir, '-p', String(port), '-k', root, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    { ...as, env, cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  server.stdout?.on('data', keep);
  server.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));

  // sslmode=disable: the throwaway server has no TLS, and lib/pq (terraform) would insist on it.
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres?sslmode=disable`;
  const stop = async (): Promise<void> => {
    if (server.exitCode === null && server.signalCode === null) {
      server.kill('SIGINT'); // fast shutdown: disconnects clients, no waiting for them
      const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(root, { recursive: true, force: true });
  };
  try {
    await waitReady(url, server, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, port, password, stop };
}
