/**
 * Planted canaries never leak. The config names a service-account key file
 * whose `private_key` (a real PKCS#8 PEM) carries a unique canary line and whose
 * `private_key_id` is another canary. After `plan`, `plan --output json`,
 * `deploy --json-log -v`, `status --output json` and `clusters list --output json`,
 * no output stream and no file under the state dir holds either canary, any line
 * of the key, or the key file's content (its path may appear). To give the
 * secret a way out, a wrapper in front of the real terraform dumps the key file
 * (GOOGLE_APPLICATION_CREDENTIALS) to stderr during `init`, as a debug log gone
 * wrong would: with `-v` that output reaches the terminal, the NDJSON events and
 * the step log, so redaction has to work on every path. The sandbox
 * clusters' TLS client keys are secrets too: their body lines exist only in the
 * clusters' own `ws-manager-client-tls/` folders, which are private (0700/0600).
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../../helpers/require-binary.js';
import { runCli, type CliResult } from '../../helpers/cli.js';
import { faultWorkspace, type FaultWorkspace } from './fault-workspace.js';
import { fixtureTool, type FixtureTool } from './fixture-tool.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');

const TLS_FOLDER = 'ws-manager-client-tls';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : []));
}

const inTlsFolder = (path: string): boolean => path.split(sep).includes(TLS_FOLDER);

/** A service-account key file like the ones GCP hands out, with two canaries planted in its secrets. */
function canaryKey(): { json: string; canaries: string[]; keyLines: string[] } {
  const pemCanary = `WSDCANARYPEM${randomBytes(12).toString('hex').toUpperCase()}`;
  const keyId = randomBytes(20).toString('hex');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = (privateKey.export({ type: 'pkcs8', format: 'pem' }) as string).replace('-----BEGIN PRIVATE KEY-----\n', `-----BEGIN PRIVATE KEY-----\n${pemCanary}\n`);
  const key = {
    type: 'service_account',
    project_id: 'sandbox-project',
    private_key_id: keyId,
    private_key: pem,
    client_email: 'ws-deployment@sandbox-project.iam.gserviceaccount.com',
    client_id: '104242424242424242424',
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: 'https://oauth2.googleapis.com/token',
  };
  const json = `${JSON.stringify(key, null, 2)}\n`;
  const keyLines = pem.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-----'));
  return { json, canaries: [pemCanary, keyId], keyLines };
}

/** Every needle found in `text`, reported by a short prefix (never the whole secret). */
function leaks(text: string, needles: readonly string[]): string[] {
  return needles.filter((n) => text.includes(n)).map((n) => `${n.slice(0, 8)}…`);
}

describe.skipIf(!hasTerraform)('canary secrets', () => {
  let ws: FaultWorkspace;
  let keyFile: string;
  let key: ReturnType<typeof canaryKey>;
  let terraform: FixtureTool;
  const outputs: Record<string, CliResult> = {};

  beforeAll(async () => {
    key = canaryKey();
    ws = faultWorkspace({ edit: (doc) => (doc.project.gcpSACredFile = './canary-sa.json') });
    keyFile = join(dirname(ws.config), 'canary-sa.json');
    writeFileSync(keyFile, key.json, { mode: 0o600 });
    const real = execFileSync('which', ['terraform'], { encoding: 'utf8' }).trim();
    terraform = fixtureTool('terraform', 'flaky-terraform.mjs', { real, echoCredentials: true });
    const runs: Array<[string, string[]]> = [
      ['plan', ['plan', ...ws.common, '--cluster-id', '195']],
      ['plan json', ['plan', ...ws.common, '--cluster-id', '195', '--output', 'json']],
      ['deploy', ['deploy', ...ws.common, '--cluster-id', '195', '--json-log', '-v']],
      ['status', ['status', ...ws.common, '--output', 'json']],
      ['clusters list', ['clusters', 'list', ...ws.args(), '--output', 'json']],
    ];
    for (const [name, args] of runs) outputs[name] = await runCli(args, { env: { PATH: terraform.path } });
  }, 120_000);
  afterAll(() => {
    ws?.cleanup();
    terraform?.cleanup();
  });

  it('runs every command successfully (so there was output to leak into)', () => {
    for (const [name, r] of Object.entries(outputs)) expect(r.code, `${name}: ${r.stderr}`).toBe(0);
    expect(outputs.deploy?.stdout).toMatch(/partial \(cluster id 195\)/);
    // -v and --json-log: tool output is on stderr as NDJSON events, so a leak would show here.
    expect(outputs.deploy?.stderr.split('\n').filter((l) => l.startsWith('{')).length).toBeGreaterThan(20);
    // The wrapper did dump the key, and what reached the stream and the step log is the redacted form.
    expect(terraform.calls().filter((c) => c.event === 'echoed').map((c) => c.file)).toEqual([keyFile]);
    expect(outputs.deploy?.stderr).toMatch(/\[DEBUG\] credentials from .*canary-sa\.json/);
    expect(outputs.deploy?.stderr).toContain('[REDACTED]');
  });

  it('keeps the key file content out of every output stream', () => {
    const needles = [...key.canaries, ...key.keyLines, key.json.trim(), Buffer.from(key.json.trim()).toString('base64')];
    for (const [name, r] of Object.entries(outputs)) {
      expect(leaks(r.stdout, needles), `${name} stdout`).toEqual([]);
      expect(leaks(r.stderr, needles), `${name} stderr`).toEqual([]);
    }
  });

  it('keeps the key file content out of every file under the state dir', () => {
    const needles = [...key.canaries, ...key.keyLines, Buffer.from(key.json.trim()).toString('base64')];
    const files = filesUnder(ws.stateDir);
    expect(files.some((f) => f.endsWith('journal.ndjson'))).toBe(true);
    for (const file of files) expect(leaks(readFileSync(file, 'latin1'), needles), relative(ws.stateDir, file)).toEqual([]);
  });

  it('keeps the sandbox TLS keys in their own private folders only', () => {
    const files = filesUnder(ws.stateDir);
    const tlsKeys = files.filter((f) => inTlsFolder(f) && f.endsWith(`${sep}tls.key`));
    expect(tlsKeys).toHaveLength(1);
    const needles: string[] = [];
    for (const file of tlsKeys) {
      expect(statSync(file).mode & 0o777, relative(ws.stateDir, file)).toBe(0o600);
      expect(statSync(dirname(file)).mode & 0o777, relative(ws.stateDir, dirname(file))).toBe(0o700);
      const pem = readFileSync(file, 'utf8');
      needles.push(...pem.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-----')), Buffer.from(pem.trim()).toString('base64'));
    }
    expect(needles.length).toBeGreaterThan(1);
    for (const file of files.filter((f) => !inTlsFolder(f))) expect(leaks(readFileSync(file, 'latin1'), needles), relative(ws.stateDir, file)).toEqual([]);
    for (const [name, r] of Object.entries(outputs)) expect(leaks(r.stdout + r.stderr, needles), name).toEqual([]);
  });
});
