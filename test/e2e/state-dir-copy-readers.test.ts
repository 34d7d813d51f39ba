/**
 * Every command that reads a state dir works on a copy of it alone. Working files in a deployment's
 * folder hold absolute paths of the dir they were written in (release.json's `directory` and values
 * files, invocation.json's argv, backend.tf.json, .terraform/, step logs): a reader that followed one
 * would act on the original. So: deploy (generation 1, then a generation 2 that fails its alive test),
 * copy the state dir, move the original away and leave an empty folder in its place, then run every
 * reader on the copy under `strace -f` (the CLI and every tool it starts): no system call may name a
 * file of the original, and the folder left in its place stays empty. Each command then does what it
 * does in the original: the read-only ones print the same (paths aside), the ones that change things
 * end the same way as when run in the original afterwards.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, REPO, runCli, sandboxWorkspace, type CliResult } from '../helpers/cli.js';
import { requireBinary, requireCapability } from '../helpers/require-binary.js';
import { QUICK_GATE, shortenShift } from '../helpers/sandbox-config.js';
import { parse, stringify } from 'yaml';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');
const hasStrace = requireBinary('strace', 'the test sees every file the CLI and its tools touch');

/** strace may be present but not allowed to trace (a container without ptrace). */
function straceWorks(): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-strace-'));
  try {
    return spawnSync('strace', ['-f', '-qq', '-o', join(dir, 'trace'), 'true']).status === 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const canTrace = hasTerraform && hasStrace && requireCapability(straceWorks(), 'trace processes with strace', 'the test sees every file the CLI and its tools touch');

/** Runs the CLI under strace; `touched` lists the system calls that named a path under `forbidden`. */
function tracedCli(args: string[], traceFile: string, forbidden: string): Promise<CliResult & { touched: string[] }> {
  return new Promise((resolve) => {
    const child = spawn('strace', ['-f', '-qq', '-s', '4096', '-e', 'trace=%file', '-e', 'signal=none', '-o', traceFile, process.execPath, BIN, ...args], {
      cwd: REPO,
      env: { ...process.env, CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code, signal) => {
      // A path argument is a quoted string: the original itself, or a file under it.
      const touched = readFileSync(traceFile, 'utf8')
        .split('\n')
        .filter((line) => line.includes(`"${forbidden}/`) || line.includes(`"${forbidden}"`));
      resolve({ code, signal, stdout, stderr, touched });
    });
  });
}

describe.skipIf(!canTrace)('every reader of a copied state dir', () => {
  const ws = sandboxWorkspace();
  const original = ws.stateDir;
  const copy = join(ws.dir, 'copied-state');
  const moved = join(ws.dir, 'original-moved');
  const traces = join(ws.dir, 'traces');
  shortenShift(ws.config, { confidence: QUICK_GATE });
  afterAll(() => ws.cleanup());

  const config = ['--config', ws.config];
  /** Commands that only read: they must print the same in the copy as in the original. */
  const readers = (dir: string, id: string): Record<string, string[]> => ({
    'status --all': ['status', '--all', '--state-dir', dir],
    'status ID': ['status', id, '--state-dir', dir],
    'status --output json': ['status', id, '--output', 'json', '--state-dir', dir],
    plan: ['plan', ...config, '--state-dir', dir],
    'clusters list': ['clusters', 'list', ...config, '--state-dir', dir, '--output', 'json'],
    'deploy --dry-run': ['deploy', '--dry-run', ...config, '--state-dir', dir, '--cluster-id', '232'],
  });
  /** Then the ones that change things (and the report, a file), in this order: finish generation 2 (retiring and destroying 1), retire one of 2. */
  const writers = (dir: string, id: string, reportFile: string): Record<string, string[]> => ({
    report: ['report', id, '--state-dir', dir, '--output', reportFile],
    resume: ['resume', id, ...config, '--state-dir', dir],
    'shift pause': ['shift', 'pause', id, '--state-dir', dir],
    'retire --destroy': ['retire', ...config, '--state-dir', dir, '--cluster', 'us231', '--destroy', '--yes'],
    'status after': ['status', id, '--output', 'json', '--state-dir', dir],
    'clusters after': ['clusters', 'list', ...config, '--state-dir', dir, '--output', 'json'],
  });
  /** What a command's outcome is, without what differs between two runs (times, durations, the dir's own path). */
  const outcome = (r: CliResult, dir: string): string => `exit ${r.code}\n${r.stdout.split(dir).join('<state-dir>')}`;
  const steps = (r: CliResult): unknown => {
    const status = JSON.parse(r.stdout) as { state: string; clusters: Array<{ name: string; steps: Array<{ name: string; state: string }> }> };
    return [status.state, ...status.clusters.flatMap((c) => c.steps.map((s) => `${c.name} ${s.name} ${s.state}`))];
  };

  it('reads and acts on the copy only, as the original would', async () => {
    const first = await runCli(['deploy', ...config, '--state-dir', original, '--cluster-id', '230']);
    expect(first.code, first.stderr).toBe(0);
    // Generation 2 fails one cluster's alive test: a deployment left to resume, with releases rendered.
    const health = join(original, 'sandbox', 'health', 'gp-dev-ws-eu231-eu-west1.json');
    mkdirSync(join(original, 'sandbox', 'health'), { recursive: true });
    writeFileSync(health, JSON.stringify({ healthy: false, reason: 'ws-manager crash-looping' }));
    const second = await runCli(['deploy', ...config, '--state-dir', original, '--cluster-id', '231']);
    expect(second.code, second.stderr).toBe(1);
    rmSync(health);
    const id = readdirSync(original).filter((d) => /^\d{8}-/.test(d)).sort().at(-1) as string;
    // The working files this test is about do name the original.
    const release = readdirSync(join(original, id)).find((d) => d.startsWith('gp-dev-ws-eu231')) as string;
    expect(readFileSync(join(original, id, release, 'releases', 'gitpod', 'release.json'), 'utf8')).toContain(`${original}/`);
    expect(readFileSync(join(original, id, release, 'terraform', 'backend.tf.json'), 'utf8')).toContain(`${original}/`);

    const expected: Record<string, string> = {};
    for (const [name, args] of Object.entries(readers(original, id))) expected[name] = outcome(await runCli(args), original);

    cpSync(original, copy, { recursive: true });
    renameSync(original, moved);
    mkdirSync(original);
    mkdirSync(traces);
    const inCopy: Record<string, CliResult> = {};
    const all = { ...readers(copy, id), ...writers(copy, id, join(ws.dir, 'copy-report.html')) };
    for (const [name, args] of Object.entries(all)) {
      const r = await tracedCli(args, join(traces, name.replace(/\W+/g, '-')), original);
      expect(r.touched, `${name} named the original state dir`).toEqual([]);
      expect(readdirSync(original), `${name} wrote into the original state dir`).toEqual([]);
      inCopy[name] = r;
    }
    for (const name of Object.keys(readers(copy, id))) expect(outcome(inCopy[name]!, copy), name).toBe(expected[name]);
    expect(inCopy.resume?.code, inCopy.resume?.stderr).toBe(0);
    expect(inCopy.resume?.stdout).toMatch(/retire-old-clusters\s+succeeded/);
    expect(inCopy['retire --destroy']?.code, inCopy['retire --destroy']?.stderr).toBe(0);
    expect(readFileSync(join(ws.dir, 'copy-report.html'), 'utf8')).not.toContain(`${original}/`);

    // The same commands in the original (put back) end the same way.
    rmSync(original, { recursive: true });
    renameSync(moved, original);
    const inOriginal: Record<string, CliResult> = {};
    for (const [name, args] of Object.entries(writers(original, id, join(ws.dir, 'original-report.html')))) inOriginal[name] = await runCli(args);
    for (const name of Object.keys(inOriginal)) expect(inCopy[name]?.code, name).toBe(inOriginal[name]?.code);
    expect(steps(inCopy['status after']!)).toEqual(steps(inOriginal['status after']!));
    expect(JSON.parse(inCopy['clusters after']!.stdout)).toEqual(JSON.parse(inOriginal['clusters after']!.stdout));
  }, 600_000);
});

describe.skipIf(!canTrace)('resume of a copied state dir whose run was killed mid-terraform', () => {
  const ws = sandboxWorkspace();
  const original = ws.stateDir;
  const copy = join(ws.dir, 'copied-state');
  afterAll(() => ws.cleanup());

  it("re-initialises the copy's working dir without touching the original (its .terraform names the original's backend and modules)", async () => {
    // One cluster, so when the run dies no other cluster's terraform is still running in the original.
    const doc = parse(readFileSync(ws.config, 'utf8')) as { workspaceClusters: unknown[] };
    doc.workspaceClusters = doc.workspaceClusters.slice(0, 1);
    writeFileSync(ws.config, stringify(doc));
    const killed = await runCli(['deploy', '--config', ws.config, '--state-dir', original, '--cluster-id', '233', '--skip', 'traffic-shift,retire-old-clusters'], {
      env: { WSD_CRASH_AFTER_MATCH: '"applyStarted":true' },
    });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const id = readdirSync(original).find((d) => /^\d{8}-/.test(d)) as string;
    const modules = join(original, id, 'gp-dev-ws-eu233-eu-west1', 'terraform', '.terraform', 'modules', 'modules.json');
    expect(readFileSync(modules, 'utf8')).toContain(`${original}/`);

    cpSync(original, copy, { recursive: true });
    rmSync(original, { recursive: true });
    mkdirSync(original);
    const resumed = await tracedCli(['resume', id, '--config', ws.config, '--state-dir', copy], join(ws.dir, 'resume.trace'), original);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.touched).toEqual([]);
    expect(readdirSync(original)).toEqual([]);
    expect(readFileSync(join(copy, 'terraform-state', 'gp-dev-ws-eu233-eu-west1.tfstate'), 'utf8')).toContain('terraform_data');
  }, 300_000);
});
