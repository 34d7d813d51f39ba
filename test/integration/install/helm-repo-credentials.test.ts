/**
 * Credentials in `chart.repository` (`https://user:pass@host/charts`) reach real helm (both
 * majors) only through a 0600 repositories file in the cluster's state folder that exists for
 * the call alone: the command line of every helm process (read from /proc/PID/cmdline, what
 * `ps` shows every user) holds neither the password nor the URL's userinfo, and helm still
 * fetches the chart from a repository on 127.0.0.1 that requires basic auth.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { prepareRelease } from '../../../src/steps/install/release.js';
import { templateArgv, upgradeArgv } from '../../../src/tools/helm-argv.js';
import { Helm } from '../../../src/tools/helm.js';
import { realHelms } from '../../fixtures/install/real-helm.js';

const USER = 'deployer';
const PASSWORD = 'pa55:w/rd@x%y';
const AUTH = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
/** The most requests the tests make (index and chart per call, a few calls per major): a bound, not a target. */
const MAX_REQUESTS = 40;

const root = mkdtempSync(join(tmpdir(), 'wsd-helm-repo-cred-'));
const repoDir = join(root, 'repo');
let server: Server;
let base: string;
const requests: Array<{ url: string; authorized: boolean }> = [];

const previous = process.env.WSD_HELM;
afterEach(() => {
  if (previous === undefined) delete process.env.WSD_HELM;
  else process.env.WSD_HELM = previous;
});

beforeAll(async () => {
  // The chart, packaged and indexed by real helm itself.
  const [helm] = realHelms();
  const chart = join(root, 'chart');
  mkdirSync(join(chart, 'templates'), { recursive: true });
  writeFileSync(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: demo\nversion: 0.1.0\n');
  writeFileSync(join(chart, 'templates', 'config.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-fetched\n');
  server = createServer((req, res) => {
    const authorized = req.headers.authorization === AUTH;
    requests.push({ url: req.url ?? '', authorized });
    if (requests.length > MAX_REQUESTS) {
      res.writeHead(429).end();
      return;
    }
    if (!authorized) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="charts"' }).end();
      return;
    }
    const file = join(repoDir, (req.url ?? '').replace(/^\/charts\//, '').replace(/[^a-z0-9.-]/gi, ''));
    if (!existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/charts`;
  const env = { PATH: '', HOME: root, HELM_CONFIG_HOME: join(root, 'h'), HELM_CACHE_HOME: join(root, 'h'), HELM_DATA_HOME: join(root, 'h') };
  for (const argv of [['package', chart, '-d', repoDir], ['repo', 'index', repoDir, '--url', base]]) {
    const r = spawnSync(helm!.path, argv, { env, encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`helm ${argv.join(' ')}: ${r.stderr}`);
  }
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(root, { recursive: true, force: true });
});

/**
 * A wrapper that starts real helm with its own argv, reads that helm process's
 * /proc/PID/cmdline and the mode of any repositories file named in it, and records both.
 */
function cmdlineRecordingHelm(real: string, record: string): string {
  const path = join(root, `helm-${Math.random().toString(16).slice(2)}`);
  writeFileSync(
    path,
    [
      `#!${process.execPath}`,
      "const { appendFileSync, readFileSync, statSync } = require('node:fs');",
      "const { spawn } = require('node:child_process');",
      'const argv = process.argv.slice(2);',
      `const child = spawn(${JSON.stringify(real)}, argv, { stdio: 'inherit' });`,
      "const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\\0').filter(Boolean);",
      "const config = argv[argv.indexOf('--repository-config') + 1];",
      "const mode = argv.includes('--repository-config') ? (statSync(config).mode & 0o777).toString(8) : undefined;",
      `appendFileSync(${JSON.stringify(record)}, JSON.stringify({ cmdline, mode }) + '\\n');`,
      "child.on('exit', (code) => process.exit(code ?? 1));",
      '',
    ].join('\n'),
  );
  chmodSync(path, 0o755);
  return path;
}

describe.each(realHelms())('repository credentials with helm $version', ({ major, path }) => {
  const clusterDir = join(root, `cluster-${major}`);
  const prepare = (password: string) =>
    prepareRelease(clusterDir, {
      release: 'gitpod',
      namespace: 'default',
      chart: { repository: `${base.replace('http://', `http://${USER}:${encodeURIComponent(password)}@`)}`, name: 'demo', version: '0.1.0' },
      timeoutSeconds: 60,
      valuesFiles: [],
      set: {},
      secretSet: [],
    });

  it('keeps them out of every helm command line and fetches the chart with them from a 0600 file', async () => {
    const prepared = prepare(PASSWORD);
    const secretFile = join(clusterDir, 'values', 'gitpod.secret-repositories.yaml');
    for (const argv of [templateArgv(prepared.spec), upgradeArgv(prepared.spec, '/kubeconfig', major)]) {
      expect(argv.join(' ')).not.toContain(encodeURIComponent(PASSWORD));
      expect(argv.join(' ')).not.toContain(`${USER}:`);
      expect(argv).toContain('ws-deployment-gitpod/demo');
      expect(argv).toContain(secretFile);
    }
    const record = join(root, `calls-${major}.ndjson`);
    process.env.WSD_HELM = cmdlineRecordingHelm(path, record);
    const before = requests.length;
    const manifest = await new Helm({ homeDir: join(clusterDir, 'helm', 'InstallGitpod') }).template(prepared.spec);
    expect(manifest).toContain('name: gitpod-fetched');
    // The index and the chart, each fetched with the credentials.
    expect(requests.slice(before).filter((r) => r.authorized).map((r) => r.url)).toEqual(['/charts/index.yaml', '/charts/demo-0.1.0.tgz']);
    const calls = readFileSync(record, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { cmdline: string[]; mode?: string });
    expect(calls.map((c) => c.cmdline.slice(1, 3))).toEqual([['version', '--template'], ['repo', 'update'], ['template', 'gitpod']]);
    expect(calls.filter((c) => c.mode !== undefined).map((c) => c.mode)).toEqual(['600', '600']);
    const text = JSON.stringify(calls);
    for (const secret of [PASSWORD, encodeURIComponent(PASSWORD), `${USER}:`]) expect(text).not.toContain(secret);
    expect(existsSync(secretFile)).toBe(false);
    // Nothing helm keeps (index cache, its config) holds the password either.
    const kept = spawnSync('grep', ['-rlF', PASSWORD, clusterDir], { encoding: 'utf8' });
    expect(kept.stdout).toBe('');
  });

  it('fails on a wrong password, naming no password, and removes the file', async () => {
    const prepared = prepare('wrong-password');
    process.env.WSD_HELM = path;
    const error = await new Helm({ homeDir: join(clusterDir, 'helm', 'wrong') }).template(prepared.spec).then(
      () => new Error('helm template succeeded with a wrong password'),
      (e: unknown) => e as Error,
    );
    expect(error.message).toContain('helm repo update');
    expect(error.message).toMatch(/401|unauthorized/i);
    expect(error.message).not.toContain('wrong-password');
    expect(existsSync(join(clusterDir, 'values', 'gitpod.secret-repositories.yaml'))).toBe(false);
  });
});
