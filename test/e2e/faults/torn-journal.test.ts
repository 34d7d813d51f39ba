/**
 * Two ways the state dir can hurt a run.
 * 1. A crash mid-append leaves the journal's last line cut off in the middle of
 *    its JSON: `resume` drops the torn line, says so, re-checks the step whose
 *    record was lost (the cluster exists: it converges instead of creating a
 *    second one) and completes.
 * 2. A state dir the user cannot write: the run stops with a clear message
 *    before any external change. We run as root here, and root writes through
 *    0555, so the CLI runs as `nobody` (runuser) on a root-owned 0555 dir.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireBinary } from '../../helpers/require-binary.js';
import { BIN, runCli, type CliResult } from '../../helpers/cli.js';
import { expectClustersOnce, expectDenseSeqs, faultWorkspace, journalPath, onlyDeployment, readJournal, tfstateFiles } from './fault-workspace.js';
import { fixtureTool } from './fixture-tool.js';

const hasTerraform = requireBinary('terraform', 'the sandbox runs real terraform');
const asRoot = process.getuid?.() === 0;

/** Cuts the journal's last record in the middle of its JSON, newline included, as a crash mid-write would. */
function tearLastLine(path: string): string {
  const text = readFileSync(path, 'utf8');
  const last = text.trimEnd().split('\n').at(-1) ?? '';
  writeFileSync(path, text.slice(0, text.length - 1 - Math.floor(last.length / 2)));
  return last;
}

/** Runs the CLI as `nobody` when we are root (else as ourselves), bounded in time. */
function runUnprivileged(args: string[], env: Record<string, string>, cwd: string): Promise<CliResult> {
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'nobody', '--', process.execPath, BIN, ...args]] : [process.execPath, [BIN, ...args]];
  const child = spawn(cmd as string, argv as string[], { cwd, env: { ...process.env, CI: 'true', ...env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

describe.skipIf(!hasTerraform)('torn journal and unwritable state dir', () => {
  const cleanups: Array<() => void> = [];
  afterAll(() => cleanups.forEach((c) => c()));

  it('resume drops a journal line cut by a crash, reports it, and completes', async () => {
    const ws = faultWorkspace();
    cleanups.push(ws.cleanup);
    const cluster = { full: 'gp-dev-ws-eu191-eu-west1', short: 'eu191' };
    // Killed right after create-cluster's `step.succeeded`: the cluster exists, but its record will be lost.
    const crashed = await runCli(['deploy', ...ws.common, '--cluster-id', '191'], {
      env: { WSD_CRASH_AFTER_MATCH: `"type":"step.succeeded","cluster":"${cluster.full}","step":"create-cluster"` },
    });
    expect(crashed.signal).toBe('SIGKILL');
    const id = onlyDeployment(ws.stateDir);
    const before = readJournal(ws.stateDir, id);
    // That boundary is create-cluster's success; its dependents' `step.started` share its group
    // commit, so the crash leaves them after it. A crash mid-write leaves the batch cut at any line:
    // keep the journal up to that success and cut it in the middle (throttled step.progress
    // records before it may move its seq).
    const last = before.find((r) => r.type === 'step.succeeded' && r.step === 'create-cluster') as { seq: number } | undefined;
    expect(last, JSON.stringify(before.map((r) => r.type))).toBeDefined();
    if (!last) return;
    const lines = readFileSync(journalPath(ws.stateDir, id), 'utf8').split('\n');
    writeFileSync(journalPath(ws.stateDir, id), `${lines.slice(0, last.seq).join('\n')}\n`);
    before.splice(last.seq);
    // A crash mid-write leaves no snapshot showing the records being written; the one this run left
    // may show the records cut here, which would be (and is refused as) records lost from the journal.
    rmSync(join(ws.stateDir, id, 'snapshot.json'), { force: true });
    const torn = tearLastLine(journalPath(ws.stateDir, id));
    expect(() => readJournal(ws.stateDir, id)).toThrow(); // really cut mid-JSON
    expect(torn).toContain(`"seq":${last.seq}`);

    const resumed = await runCli(['resume', id, ...ws.common]);
    expect(resumed.stderr).not.toMatch(/\n\s+at /);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/partial \(cluster id 191\)/);
    // Told, not silently repaired.
    expect(resumed.stderr).toMatch(/dropped a journal line cut by a crash/);
    expect(resumed.stderr).toMatch(/eu191-eu-west1\] create-cluster: cluster exists .* terraform converges it/);

    const journal = readJournal(ws.stateDir, id); // every line parses again
    expectDenseSeqs(journal);
    expect(journal.slice(0, last.seq - 1)).toEqual(before.slice(0, last.seq - 1));
    expect(journal[last.seq - 1]).toMatchObject({ type: 'event', code: 'journal.recovered' });
    const done = journal.filter((r) => r.type === 'step.succeeded' && r.step === 'create-cluster');
    expect(done).toHaveLength(1);
    await expectClustersOnce(ws, [cluster]);
  });

  it.skipIf(asRoot && !requireBinary('runuser', 'runs the CLI as user nobody, since root ignores file modes'))('refuses an unwritable state dir with a clear message before any external change', async () => {
    const ws = faultWorkspace({ worldReadable: true });
    // A recording terraform first on PATH: proves no terraform ran at all, not only that no state appeared.
    const terraform = fixtureTool('terraform', 'flaky-terraform.mjs', { real: '/bin/false' });
    cleanups.push(ws.cleanup, terraform.cleanup);
    chmodSync(terraform.dir, 0o777); // `nobody` appends its calls there
    const stateDir = join(ws.dir, 'read-only-state');
    mkdirSync(stateDir);
    chmodSync(stateDir, 0o555);

    const run = await runUnprivileged(['deploy', ...ws.args(stateDir), '--cluster-id', '192'], { PATH: terraform.path }, ws.dir);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.code).not.toBe(0);
    expect(run.code).not.toBeNull();
    expect(run.stderr).toMatch(new RegExp(`${stateDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*the state dir is not writable; pass --state-dir DIR with a writable folder`));
    expect(readdirSync(stateDir)).toEqual([]);
    expect(tfstateFiles(stateDir)).toEqual([]);
    expect(terraform.calls()).toEqual([]);
  });
});
