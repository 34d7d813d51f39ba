/**
 * A state dir that cannot be one gets a clear error, never a hang or a stack
 * trace: `/proc/wsd` (Node's recursive mkdir spins forever there), a path under
 * a file, a path too long for the files a run creates below it, and a read-only dir, where commands that only read (`status`,
 * `clusters list` through a read-only sandbox registry, `plan`) still work and
 * the ones that write all say the same thing `deploy` says.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emptyState, writeState } from '../../../src/registry/simulator/state-file.js';
import { sandboxRegistryStateFile } from '../../../src/sandbox/sandbox-registry.js';
import { FileStateStore } from '../../../src/state/file-store.js';
import { BIN, REPO, type CliResult } from '../../helpers/cli.js';
import { requireBinary } from '../../helpers/require-binary.js';

const asRoot = process.getuid?.() === 0;
const CONFIG = join(REPO, 'examples', 'sandbox.yaml');

/** Runs the CLI (as `nobody` when asked and we are root), killed after 60 s so a spin fails the test instead of hanging it. */
function run(args: string[], unprivileged = false): Promise<CliResult & { ms: number }> {
  const [cmd, argv] = unprivileged && asRoot ? ['runuser', ['-u', 'nobody', '--', process.execPath, BIN, ...args]] : [process.execPath, [BIN, ...args]];
  const started = Date.now();
  const child = spawn(cmd as string, argv as string[], { cwd: tmpdir(), env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, ms: Date.now() - started })));
}

function expectClean(result: CliResult, pattern: RegExp): void {
  expect(result.signal, result.stderr).toBeNull();
  expect(result.code, result.stderr).toBe(1);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr).not.toMatch(/internal error|\n\s+at /);
}

describe('state dirs that cannot be one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-bad-state-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses /proc/wsd at once instead of spinning, for every command that would create it', async () => {
    for (const command of [['deploy'], ['clusters', 'list'], ['clusters', 'cordon', '--name', 'eu1', '--yes']]) {
      const result = await run([...command, '--config', CONFIG, '--state-dir', '/proc/wsd']);
      expectClean(result, /cannot use \/proc\/wsd as the state dir: \/proc is on the kernel's proc filesystem/);
    }
  });

  it('names the file that stands where a folder must be', async () => {
    writeFileSync(join(dir, 'a-file'), 'x');
    const result = await run(['deploy', '--config', CONFIG, '--state-dir', join(dir, 'a-file', 'state')]);
    expectClean(result, new RegExp(`${join(dir, 'a-file')} is not a folder`));
  });

  it('refuses a state dir whose path leaves no room below it for the files a run creates, before anything is created; status still reads it', async () => {
    // Multi-byte names (the limit is in bytes), folders of 200 bytes each (a name may have 255), 3,900 bytes in all.
    let parent = dir;
    while (Buffer.byteLength(parent) < 3_700) parent = join(parent, 'ü'.repeat(100));
    mkdirSync(parent, { recursive: true });
    const stateDir = join(parent, 'state');
    const result = await run(['deploy', '--config', CONFIG, '--state-dir', stateDir, '--cluster-id', '150']);
    expectClean(result, /its path is \d+ bytes long, and the files a run creates below it .* pass --state-dir DIR with a path under 3072 bytes/);
    expect(readdirSync(parent)).toEqual([]);
    const status = await run(['status', '--config', CONFIG, '--state-dir', stateDir]);
    expect(status.stderr).not.toMatch(/internal error|\n\s+at |bytes long/);
  });

  it.skipIf(asRoot && !requireBinary('runuser', 'runs the CLI as user nobody, since root ignores file modes'))('a read-only state dir: reads work, writes get the one clean message', async () => {
    const stateDir = join(dir, 'read-only');
    const store = new FileStateStore(stateDir);
    const journal = await store.create('d-ro-001');
    await journal.append({
      type: 'deployment.created',
      id: 'd-ro-001',
      inputs: { configFile: CONFIG, configHash: 'h', project: 'sandbox-project', environment: 'development' },
      clusterId: 150,
      clusters: [],
      steps: [],
    });
    await journal.append({ type: 'deployment.finished', state: 'succeeded' });
    // What an earlier deploy registered with the sandbox registry: `clusters list` must show it without writing.
    const registered = { url: 'dns:///ws-eu150.sandbox.gitpod-dev.test:8080', state: 'AVAILABLE' as const, score: 100, maxScore: 100, governed: true, static: false, admissionConstraints: [], registeredAt: new Date(0).toISOString() };
    const registryFile = sandboxRegistryStateFile(stateDir, 'dev-meta-eu01');
    mkdirSync(dirname(registryFile), { recursive: true });
    await writeState(registryFile, { ...emptyState(), clusters: [{ ...registered, name: 'eu150', region: 'europe' }, { ...registered, name: 'us150', url: 'dns:///ws-us150.sandbox.gitpod-dev.test:8080', region: 'north-america' }] });
    const registryBefore = readFileSync(registryFile, 'utf8');
    // Root writes through any mode: the CLI runs as nobody on a root-owned, world-readable 0555 tree.
    chmodSync(dir, 0o755);
    chmodSync(join(stateDir, 'd-ro-001'), 0o555);
    for (const f of ['journal.ndjson', 'snapshot.json']) chmodSync(join(stateDir, 'd-ro-001', f), 0o444);
    chmodSync(registryFile, 0o444);
    for (const d of [dirname(registryFile), dirname(dirname(registryFile)), stateDir]) chmodSync(d, 0o555);

    const listed = await run(['status', '--all', '--config', CONFIG, '--state-dir', stateDir, '--output', 'json'], true);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject([{ id: 'd-ro-001', state: 'succeeded' }]);
    expect((await run(['status', 'd-ro-001', '--config', CONFIG, '--state-dir', stateDir], true)).code).toBe(0);

    const clusters = await run(['clusters', 'list', '--output', 'json', '--config', CONFIG, '--state-dir', stateDir], true);
    expect(clusters.code, clusters.stderr).toBe(0);
    expect((JSON.parse(clusters.stdout) as Array<{ name: string; state: string }>).map((c) => [c.name, c.state])).toEqual([['eu150', 'AVAILABLE'], ['us150', 'AVAILABLE']]);
    const plan = await run(['plan', '--output', 'json', '--config', CONFIG, '--state-dir', stateDir], true);
    expect(plan.code, plan.stderr).toBe(0);
    // The plan reads the registry too: its new generation avoids the registered id 150.
    const planned = JSON.parse(plan.stdout) as { clusterId: number; clusters: Array<{ name: string }> };
    expect(planned.clusterId).not.toBe(150);
    expect(planned.clusters.length).toBeGreaterThan(0);

    const message = new RegExp(`cannot use ${stateDir} as the state dir: ${stateDir} is not writable; the state dir is not writable; pass --state-dir DIR with a writable folder`);
    expectClean(await run(['deploy', '--config', CONFIG, '--state-dir', stateDir], true), message);
    expectClean(await run(['clusters', 'cordon', '--name', 'eu150', '--yes', '--config', CONFIG, '--state-dir', stateDir], true), message);
    expect(readFileSync(registryFile, 'utf8')).toBe(registryBefore);
  });
});
