/**
 * `ws-deployment clusters …` end to end: the commander program runs in-process
 * (parseAsync) against a simulator over real gRPC, stdout captured. Also
 * get-tls-config against a local Kubernetes API and `sandbox registry`.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClustersIo } from '../../../src/cli/commands/clusters-actions.js';
import { clustersCommand } from '../../../src/cli/commands/clusters.js';
import { sandboxRegistryCommand } from '../../../src/cli/commands/sandbox-registry.js';
import { RegistryClient } from '../../../src/registry/client.js';
import { alwaysReachable, startSimulator, type RunningSimulator } from '../../../src/registry/simulator/index.js';
import { requireBinary } from '../../helpers/require-binary.js';
import { makePki } from './support/certs.js';
import { startFakeKubeApi } from './support/fake-kube-api.js';
import { fingerprint } from '../../../src/registry/simulator/registry-model.js';
import { rejection, tempDir, TEST_TLS, writeTestTls } from './support/sim.js';

interface Run {
  out: string;
  asked: string[];
}

/** A root like the lead's (global --config and --yes) with `clusters` under it. */
async function run(args: string[], io: Partial<ClustersIo> = {}): Promise<Run> {
  const result: Run = { out: '', asked: [] };
  const root = new Command('ws-deployment').exitOverride().option('-c, --config <file>').option('-y, --yes', 'approve', false);
  root.addCommand(
    clustersCommand({
      stdout: (t) => void (result.out += t),
      interactive: () => false,
      ask: async (q) => {
        result.asked.push(q);
        return '';
      },
      readStdin: async () => '',
      ...io,
    }).exitOverride(),
  );
  root.commands.forEach(function deep(c: Command) {
    c.exitOverride();
    c.commands.forEach(deep);
  });
  await root.parseAsync(['node', 'ws-deployment', ...args]);
  return result;
}

describe('clusters commands', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let sim: RunningSimulator;
  let bridge: string[];

  beforeAll(async () => {
    tmp = await tempDir('wsd-cli-');
    sim = await startSimulator({ stateFile: join(tmp.dir, 'state.json'), reachability: alwaysReachable });
    bridge = ['--bridge', sim.address];
    await writeTestTls(tmp.dir);
  });

  afterAll(async () => {
    await sim.stop();
    await tmp.cleanup();
  });

  it('register (flags) → list table and json', async () => {
    const reg = await run(['clusters', ...bridge, 'register', '--name', 'eu17', '--url', 'dns:///ws-eu17.x:8080', '--tls-path', join(tmp.dir, 'tls'), '--region', 'europe', '--hint-cordoned', '--hint-govern', '--hint-preferability', 'prefer', '--admission-constraint', 'has-permission=new-workspace-cluster']);
    expect(reg.out).toBe(`eu17: registered with ${sim.address} (dns:///ws-eu17.x:8080, cordoned, region europe)\n`);
    const table = (await run(['clusters', ...bridge, 'list'])).out.split('\n');
    expect(table[0]).toMatch(/^NAME\s+URL\s+REGION\s+STATIC\s+STATE\s+SCORE\s+MAX SCORE\s+GOVERNED\s+CONSTRAINTS$/);
    expect(table[1]?.split(/\s{3,}/)).toEqual(['eu17', 'dns:///ws-eu17.x:8080', 'europe', 'false', 'CORDONED', '100', '100', 'true', 'has-permission=new-workspace-cluster']);
    const json = JSON.parse((await run(['clusters', ...bridge, 'list', '--output', 'json'])).out) as Array<Record<string, unknown>>;
    expect(json).toEqual([
      { name: 'eu17', url: 'dns:///ws-eu17.x:8080', state: 'CORDONED', score: 100, maxScore: 100, governed: true, static: false, admissionConstraints: ['has-permission=new-workspace-cluster'], region: 'europe' },
    ]);
    expect(Object.keys(json[0] ?? {})).not.toContain('admissionPreferences');
    // What the bridge refuses, the command refuses first, saying what to use.
    await expect(run(['clusters', ...bridge, 'register', '--name', 'eu30', '--url', 'dns:///ws-eu30.x:8080', '--tls-path', join(tmp.dir, 'tls'), '--region', 'europe-west1'])).rejects.toMatchObject({
      code: 'UsageError',
      message: expect.stringContaining('for the GCP region europe-west1 that is europe'),
    });
    await expect(run(['clusters', ...bridge, 'register', '--name', 'eu30', '--url', 'dns:///ws-eu30.x:8080', '--tls-path', join(tmp.dir, 'tls'), '--admission-constraint', 'has-user-level=professional'])).rejects.toMatchObject({
      code: 'UsageError',
      message: expect.stringContaining('has-user-level was removed from ws-manager-bridge in 2022-07'),
    });
  });

  it('register --from-file (file and stdin); flags given too override the file', async () => {
    const request = {
      name: 'eu18',
      url: 'dns:///ws-eu18.x:8080',
      tls: { ca: Buffer.from(TEST_TLS.ca).toString('base64'), crt: Buffer.from(TEST_TLS.crt).toString('base64'), key: Buffer.from(TEST_TLS.key).toString('base64') },
      hints: { perfereability: 'DontSchedule' },
    };
    const file = join(tmp.dir, 'req.json');
    await writeFile(file, JSON.stringify(request));
    await run(['clusters', ...bridge, 'register', '--from-file', file]);
    await run(['clusters', ...bridge, 'register', '--from-file', '-'], { readStdin: async () => JSON.stringify({ ...request, name: 'eu19', url: 'dns:///ws-eu19.x:8080' }) });
    const scores = sim.list().map((c) => [c.name, c.score, c.state]);
    expect(scores).toContainEqual(['eu18', 0, 'AVAILABLE']);
    expect(scores).toContainEqual(['eu19', 0, 'AVAILABLE']);
    // A shared file without name/url, completed and overridden by flags.
    const shared = join(tmp.dir, 'shared.json');
    await writeFile(shared, JSON.stringify({ tls: request.tls, hints: { perfereability: 'Prefer', cordoned: true }, region: 'asia' }));
    const out = await run(['clusters', ...bridge, 'register', '--from-file', shared, '--name', 'eu20', '--url', 'dns:///ws-eu20.x:8080', '--region', 'africa', '--hint-preferability', 'dontschedule']);
    expect(out.out).toContain('eu20: registered');
    expect(sim.list().find((c) => c.name === 'eu20')).toMatchObject({ score: 0, state: 'CORDONED', region: 'africa' });
    await expect(run(['clusters', ...bridge, 'register', '--from-file', shared])).rejects.toMatchObject({ code: 'UsageError', message: expect.stringContaining('register needs --name, --url') });
    await run(['clusters', ...bridge, 'deregister', '--name', 'eu20']);
  });

  it('update score/max-score: negatives allowed with a warning; a score left above max score is explained', async () => {
    const warnings: string[] = [];
    const warn = (t: string) => void warnings.push(t);
    await run(['clusters', ...bridge, 'update', '--name', 'eu19', 'score', '70'], { warn });
    expect(warnings).toEqual([]);
    await run(['clusters', ...bridge, 'update', '--name', 'eu19', 'score', '700'], { warn });
    expect(warnings.join('')).toContain('eu19 now has score 700 above its max score 100');
    warnings.length = 0;
    await run(['clusters', ...bridge, 'update', '--name', 'eu19', 'max-score', '50'], { warn });
    expect(warnings.join('')).toContain('eu19 now has score 700 above its max score 50');
    expect(warnings.join('')).toContain('min(score, max_score) = 50');
    warnings.length = 0;
    const neg = await run(['clusters', ...bridge, 'update', '--name', 'eu19', 'score', '-5'], { warn });
    expect(neg.out).toBe(`eu19: score set to -5 on ${sim.address}\n`);
    expect(warnings.join('')).toContain('score -5 is negative');
    expect(sim.list().find((c) => c.name === 'eu19')).toMatchObject({ score: -5, maxScore: 50 });
    await run(['clusters', ...bridge, 'update', '--name', 'eu19', 'max-score', '100'], { warn });
    await run(['clusters', ...bridge, 'update', '--name', 'eu19', 'score', '0']);
    await expect(run(['clusters', ...bridge, 'update', '--name', 'eu19', 'score', '-2147483649'])).rejects.toMatchObject({ code: 'commander.invalidArgument' });
  });

  it('update tls replaces the material (a current bridge: it refuses empty material, so it keeps the new one); swap exchanges state and score with gpctl checks', async () => {
    const tls2 = join(tmp.dir, 'tls2');
    await mkdir(tls2, { recursive: true });
    await writeFile(join(tls2, 'ca.crt'), 'CA2');
    await writeFile(join(tls2, 'tls.crt'), 'CRT2');
    await writeFile(join(tls2, 'tls.key'), 'KEY2');
    const warnings: string[] = [];
    const r = await run(['clusters', ...bridge, 'update', '--name', 'eu19', 'tls', '--tls-path', tls2], { warn: (t) => void warnings.push(t) });
    expect(r.out).toBe(`eu19: TLS material replaced on ${sim.address}\n`);
    expect(warnings.join('')).toBe('');
    const state = JSON.parse(await readFile(join(tmp.dir, 'state.json'), 'utf8')) as { clusters: Array<{ name: string; tlsFingerprint: string }> };
    expect(state.clusters.find((c) => c.name === 'eu19')?.tlsFingerprint).toBe(fingerprint({ ca: 'CA2', crt: 'CRT2', key: 'KEY2' }));

    // eu18: 0 AVAILABLE (DontSchedule); eu19: 0 AVAILABLE → make them differ.
    await run(['clusters', ...bridge, 'update', '--name', 'eu18', 'score', '30']);
    await run(['clusters', ...bridge, 'cordon', '--name', 'eu19']);
    const swapped = await run(['clusters', ...bridge, 'swap', 'eu18', 'eu19']);
    expect(swapped.out).toBe(`swapped on ${sim.address}: eu18 now CORDONED score 0; eu19 now AVAILABLE score 30\n`);
    expect(sim.list().filter((c) => c.name !== 'eu17').map((c) => [c.name, c.state, c.score])).toEqual([['eu18', 'CORDONED', 0], ['eu19', 'AVAILABLE', 30]]);
    // eu17 carries an admission constraint: refused unless told, and nothing changes.
    await expect(run(['clusters', ...bridge, 'swap', 'eu17', 'eu19'])).rejects.toMatchObject({ code: 'RegistryRefused', message: expect.stringContaining('--ignore-admission-constraints') });
    expect(sim.list().find((c) => c.name === 'eu19')).toMatchObject({ state: 'AVAILABLE', score: 30 });
    await run(['clusters', ...bridge, 'swap', 'eu17', 'eu19', '--ignore-admission-constraints']);
    expect(sim.list().find((c) => c.name === 'eu17')).toMatchObject({ state: 'AVAILABLE', score: 30 });
    await run(['clusters', ...bridge, 'swap', 'eu17', 'eu19', '--ignore-admission-constraints']);
    await expect(run(['clusters', ...bridge, 'swap', 'eu18', 'nope'])).rejects.toMatchObject({ code: 'RegistryNotFound' });
    // Put eu18/eu19 back as the later tests expect them.
    await run(['clusters', ...bridge, 'swap', 'eu18', 'eu19']);
    await run(['clusters', ...bridge, 'update', '--name', 'eu18', 'score', '0']);
    await run(['clusters', ...bridge, 'uncordon', '--name', 'eu19']);
  });

  it('update score / max-score / admission-constraint, cordon, uncordon', async () => {
    expect((await run(['clusters', ...bridge, 'update', '--name', 'eu18', 'score', '30'])).out).toBe(`eu18: score set to 30 on ${sim.address}\n`);
    await run(['clusters', ...bridge, 'update', 'max-score', '60', '--name', 'eu18']);
    await run(['clusters', ...bridge, 'update', '--name', 'eu18', 'admission-constraint', 'add', 'has-feature-preview']);
    await run(['clusters', ...bridge, 'cordon', '--name', 'eu18']);
    let eu18 = sim.list().find((c) => c.name === 'eu18');
    expect(eu18).toMatchObject({ score: 30, maxScore: 60, state: 'CORDONED', admissionConstraints: [{ type: 'has-feature-preview' }] });
    await run(['clusters', ...bridge, 'update', '--name', 'eu18', 'admission-constraint', 'remove', 'has-feature-preview']);
    await run(['clusters', ...bridge, 'uncordon', '--name', 'eu18']);
    eu18 = sim.list().find((c) => c.name === 'eu18');
    expect(eu18).toMatchObject({ state: 'AVAILABLE', admissionConstraints: [] });
  });

  it('usage errors: bad numbers, bad constraints, missing --name, no target', async () => {
    await expect(run(['clusters', ...bridge, 'update', '--name', 'eu18', 'score', 'lots'])).rejects.toMatchObject({ code: 'commander.invalidArgument' });
    await expect(run(['clusters', ...bridge, 'update', '--name', 'eu18', 'admission-constraint', 'add', 'has-role=x'])).rejects.toMatchObject({ code: 'UsageError' });
    await expect(run(['clusters', ...bridge, 'update', '--name', 'eu18', 'admission-constraint', 'toggle', 'has-feature-preview'])).rejects.toMatchObject({ code: 'UsageError' });
    await expect(run(['clusters', ...bridge, 'cordon'])).rejects.toMatchObject({ code: 'UsageError', message: expect.stringContaining('--name') });
    await expect(run(['clusters', 'list'])).rejects.toMatchObject({ code: 'UsageError', message: expect.stringContaining('--meta') });
    await expect(run(['clusters', '--bridge', 'nonsense', 'list'])).rejects.toMatchObject({ code: 'UsageError' });
    await expect(run(['clusters', ...bridge, 'update', '--name', 'eu404', 'score', '1'])).rejects.toMatchObject({ code: 'RegistryNotFound', message: expect.stringContaining('cluster eu404 is not registered') });
    // Like the bridge, deregistering an unknown name succeeds; the command says nothing was there.
    expect((await run(['clusters', ...bridge, 'deregister', '--name', 'nope'])).out).toBe(`nope: not registered with ${sim.address}; nothing to deregister\n`);
  });

  it('--meta reads the config: a missing config is a ConfigInvalid naming it', async () => {
    const missing = join(tmp.dir, 'nope.yaml');
    await expect(run(['--config', missing, 'clusters', '--meta', 'prod-meta-eu01', 'list'])).rejects.toMatchObject({ code: 'ConfigInvalid', message: expect.stringContaining(missing) });
  });

  it('deregister: refused while workspaces run; --force needs --yes off a TTY; a TTY asks for the name', async () => {
    await sim.setRunning('eu18', 4);
    const refused = await rejection(run(['clusters', ...bridge, 'deregister', '--name', 'eu18']));
    expect(refused).toMatchObject({ code: 'RegistryRefused' });
    expect(refused.message).toContain('4 regular workspaces still run on it');
    expect(refused.message).toContain('--force');

    await expect(run(['clusters', ...bridge, 'deregister', '--name', 'eu18', '--force'])).rejects.toMatchObject({ code: 'UsageError', message: expect.stringContaining('pass --yes') });
    const wrong = run(['clusters', ...bridge, 'deregister', '--name', 'eu18', '--force'], { interactive: () => true, ask: async () => 'eu17' });
    await expect(wrong).rejects.toMatchObject({ code: 'Interrupted' });
    expect(sim.list().map((c) => c.name)).toContain('eu18');

    const asked: string[] = [];
    const ok = await run(['clusters', ...bridge, 'deregister', '--name', 'eu18', '--force'], {
      interactive: () => true,
      ask: async (q) => {
        asked.push(q);
        return 'eu18\n';
      },
    });
    expect(asked[0]).toContain('breaking those sessions');
    expect(ok.out).toBe(`eu18: deregistered from ${sim.address} (forced)\n`);
    expect(sim.counters()['eu18']).toMatchObject({ running: 0, brokenByForce: 4 });

    await sim.setRunning('eu19', 1);
    await run(['clusters', ...bridge, 'deregister', '--name', 'eu19', '--force', '--yes']);
    await sim.setRunning('eu17', 1);
    await run(['--yes', 'clusters', ...bridge, 'deregister', '--name', 'eu17', '--force']);
    expect(sim.list()).toEqual([]);
  });

  it('--help shows examples', async () => {
    let help = '';
    const clusters = clustersCommand();
    const deregister = clusters.commands.find((c) => c.name() === 'deregister');
    for (const c of [clusters, deregister]) {
      c?.configureOutput({ writeOut: (t) => void (help += t) });
      c?.outputHelp();
    }
    expect(help).toContain('--meta <name>');
    expect(help).toContain('Examples:');
    expect(help).toContain('$ ws-deployment clusters list --meta prod-meta-eu01');
    expect(help).toContain('$ ws-deployment clusters deregister --meta prod-meta-eu01 --name eu17 --force --yes');
  });
});

describe.skipIf(!requireBinary('openssl', 'the fake Kubernetes API serves HTTPS'))('clusters get-tls-config', () => {
  it('writes ca.crt, tls.crt, tls.key with mode 0600: ws-manager-mk2-client-tls by default, falling back to ws-manager-client-tls', async () => {
    const tmp = await tempDir('wsd-gettls-');
    const pki = await makePki(tmp.dir);
    const api = await startFakeKubeApi({ cert: pki.serverCert, key: pki.serverKey, ca: pki.ca });
    try {
      const b64 = (s: string) => Buffer.from(s).toString('base64');
      api.secrets.push({ name: 'ws-manager-client-tls', namespace: 'default', data: { 'ca.crt': b64(TEST_TLS.ca), 'tls.crt': b64(TEST_TLS.crt), 'tls.key': b64(TEST_TLS.key) } });
      const kubeconfig = join(tmp.dir, 'kubeconfig');
      await api.writeKubeconfig(kubeconfig, 'ws-eu17');
      const out = join(tmp.dir, 'out');
      await mkdir(out);
      await writeFile(join(out, 'tls.key'), 'old', { mode: 0o644 });
      const result = await run(['clusters', 'get-tls-config', '--kubeconfig', kubeconfig, '--context', 'ws-eu17', '--output-dir', out]);
      expect(result.out.trim().split('\n')).toEqual(['ca.crt', 'tls.crt', 'tls.key'].map((f) => join(out, f)));
      expect(await readFile(join(out, 'tls.key'), 'utf8')).toBe(TEST_TLS.key);
      for (const f of ['ca.crt', 'tls.crt', 'tls.key']) expect((await stat(join(out, f))).mode & 0o777).toBe(0o600);
      await expect(run(['clusters', 'get-tls-config', '--kubeconfig', kubeconfig, '--namespace', 'other', '--output-dir', out])).rejects.toMatchObject({
        code: 'KubernetesError',
        message: expect.stringMatching(/other\/ws-manager-client-tls.*after ws-manager-mk2-client-tls was not found.*HTTP 404/),
      });
      // The mk2 secret wins when both exist.
      api.secrets.push({ name: 'ws-manager-mk2-client-tls', namespace: 'default', data: { 'ca.crt': b64('MK2CA'), 'tls.crt': b64('MK2CRT'), 'tls.key': b64('MK2KEY') } });
      await run(['clusters', 'get-tls-config', '--kubeconfig', kubeconfig, '--context', 'ws-eu17', '--output-dir', out]);
      expect(await readFile(join(out, 'tls.key'), 'utf8')).toBe('MK2KEY');
      await run(['clusters', 'get-tls-config', '--kubeconfig', kubeconfig, '--context', 'ws-eu17', '--secret', 'ws-manager-client-tls', '--output-dir', out]);
      expect(await readFile(join(out, 'tls.key'), 'utf8')).toBe(TEST_TLS.key);
    } finally {
      await api.close();
      await tmp.cleanup();
    }
  });
});

describe('sandbox registry', () => {
  it('starts the simulator on 127.0.0.1, prints its address, persists to --state, stops when told', async () => {
    const tmp = await tempDir('wsd-sbx-');
    let printed = '';
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const running = sandboxRegistryCommand({ stdout: (t) => void (printed += t), untilStopped: () => stopped })
      .exitOverride()
      .parseAsync(['node', 'registry', '--state', join(tmp.dir, 'reg.json'), '--reachability', 'none']);
    try {
      await expect.poll(() => printed, { timeout: 10_000 }).toMatch(/^127\.0\.0\.1:\d+\n$/);
      const client = await RegistryClient.connect({ address: printed.trim() });
      await client.register({ name: 'eu1', url: 'dns:///ws-eu1:8080', tls: TEST_TLS, hints: { preferability: 'None', cordoned: true, govern: false }, admissionConstraints: [], region: '' });
      client.close();
      const state = JSON.parse(await readFile(join(tmp.dir, 'reg.json'), 'utf8')) as { clusters: Array<{ name: string }> };
      expect(state.clusters.map((c) => c.name)).toEqual(['eu1']);
      expect(JSON.stringify(state)).not.toContain('PRIVATE KEY');
    } finally {
      stop();
      await running;
      await tmp.cleanup();
    }
  });
});
