/**
 * A throwaway PostgreSQL for the journal benchmark, as test/helpers/postgres.ts
 * starts one: initdb into a temp dir, the server on a free port on 127.0.0.1,
 * scram password auth. PostgreSQL refuses to run as root, so as root the
 * binaries run as the `postgres` user (spawn's uid/gid, no shell) on a temp dir
 * chowned to it. Not through `runuser`: runuser does not forward SIGINT, so the
 * server outlived stop() and its deleted data dir for about a minute.
 * Unlike the test helper, fsync and synchronous_commit stay ON: the benchmark
 * measures durable appends.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function onPath(name) {
  try {
    execFileSync('which', [name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** True when initdb and postgres can be started here. */
export function hasPostgres() {
  return onPath('initdb') && onPath('postgres');
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitReady(pg, url, server, log) {
  const deadline = Date.now() + 20_000;
  let last;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`postgres exited with ${server.exitCode}: ${log()}`);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.query('select 1');
      await client.end();
      return;
    } catch (error) {
      last = error;
      await client.end().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`postgres did not accept connections within 20 s: ${String(last)}; log: ${log()}`);
}

/** Starts a fresh server; resolves with its url and a `stop()`. */
export async function startPostgres() {
  const { default: pg } = await import('pg');
  const asRoot = process.getuid?.() === 0;
  const root = mkdtempSync(join(tmpdir(), 'wsd-bench-pg-'));
  const dataDir = join(root, 'data');
  const password = randomBytes(18).toString('base64url');
  const pwFile = join(root, 'pw');
  writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  let as = {};
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(root, uid, gid);
    chownSync(pwFile, uid, gid);
    as = { uid, gid };
  }
  const env = { PATH: process.env.PATH ?? '', LANG: 'C', LC_ALL: 'C' };
  execFileSync('initdb', ['-D', dataDir, '-U', 'postgres', `--pwfile=${pwFile}`, '--auth-host=scram-sha-256', '--auth-local=trust', '-E', 'UTF8'], {
    ...as,
    env,
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  rmSync(pwFile);
  const port = await freePort();
  const server = spawn('postgres', ['-D', dataDir, '-p', String(port), '-k', root, '-c', 'listen_addresses=127.0.0.1'], { ...as, env, cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk) => (output = (output + chunk.toString('utf8')).slice(-4000));
  server.stdout.on('data', keep);
  server.stderr.on('data', keep);
  const exited = new Promise((resolve) => server.once('exit', resolve));
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres?sslmode=disable`;
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      server.kill('SIGINT'); // fast shutdown: disconnects clients, no waiting for them
      const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await waitReady(pg, url, server, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}
