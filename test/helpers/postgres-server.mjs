/**
 * A throwaway PostgreSQL server, shared by the tests (through postgres.ts) and
 * the benchmarks (plain .mjs against dist/): `initdb` into a temp dir,
 * `postgres` on a free port on 127.0.0.1 only, scram password auth over TCP,
 * the unix socket inside the temp dir.
 *
 * PostgreSQL refuses to run as root, so as root the server binaries run as the
 * `postgres` user through spawn's uid/gid (no shell, and not `runuser`, which
 * does not forward SIGINT: the server would outlive stop()).
 *
 * Debian's postgresql package keeps initdb/postgres in /usr/lib/postgresql/<v>/bin,
 * off PATH: {@link postgresBinDir} finds them either way.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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

/** Directory of initdb/postgres: '' when they are on PATH, else the newest Debian install, else undefined. */
export function postgresBinDir() {
  if (onPath('initdb') && onPath('postgres')) return '';
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) {
    const dir = join(base, version, 'bin');
    if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) return dir;
  }
  return undefined;
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

/** The `postgres` account when we run as root; {} when we can run the server ourselves. */
function serverIdentity() {
  if (process.getuid?.() !== 0) return {};
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
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

/**
 * Starts a fresh server. `durable: false` (tests) turns fsync and synchronous
 * commit off for speed; the journal benchmark keeps them on to measure durable appends.
 */
export async function startPostgres({ durable = false } = {}) {
  const binDir = postgresBinDir();
  if (binDir === undefined) throw new Error('initdb/postgres not found on PATH nor in /usr/lib/postgresql; install postgresql');
  const bin = (name) => (binDir ? join(binDir, name) : name);
  const { default: pg } = await import('pg');
  const as = serverIdentity();
  const root = mkdtempSync(join(tmpdir(), 'wsd-pg-'));
  const dataDir = join(root, 'data');
  const password = randomBytes(18).toString('base64url');
  const pwFile = join(root, 'pw');
  writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  if (as.uid !== undefined) {
    chownSync(root, as.uid, as.gid);
    chownSync(pwFile, as.uid, as.gid);
  }
  const env = { PATH: process.env.PATH ?? '', LANG: 'C', LC_ALL: 'C' };
  execFileSync(
    bin('initdb'),
    ['-D', dataDir, '-U', 'postgres', `--pwfile=${pwFile}`, '--auth-host=scram-sha-256', '--auth-local=trust', '-E', 'UTF8', ...(durable ? [] : ['--no-sync'])],
    { ...as, env, cwd: root, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  rmSync(pwFile);

  const port = await freePort();
  const speed = durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];
  const server = spawn(bin('postgres'), ['-D', dataDir, '-p', String(port), '-k', root, '-c', 'listen_addresses=127.0.0.1', ...speed], {
    ...as,
    env,
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk) => (output = (output + chunk.toString('utf8')).slice(-4000));
  server.stdout.on('data', keep);
  server.stderr.on('data', keep);
  const exited = new Promise((resolve) => server.once('exit', resolve));

  // sslmode=disable: the throwaway server has no TLS, and lib/pq (terraform) would insist on it.
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
  return { url, port, password, stop };
}
