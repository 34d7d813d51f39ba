/**
 * A signal where no run handles it: before a run's runtime exists (the command's modules loading, the config
 * loading), in read-only commands (validate, plan, status, status --watch, report), and once the command is over
 * while the process stops. Every one exits with a documented code (130 while the command runs, said on stderr;
 * the command's own code once it is over), never Node's death by signal (143, 129), leaves nothing half-written
 * and no tool child running. The points are chosen by what the process loads (test/helpers/module-hold.mjs holds
 * a module load for good and says so in a file), never by a sleep.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO, sandboxWorkspace, startCli, type CliResult } from '../../helpers/cli.js';
import { createFakeBin } from '../../helpers/fake-bin.js';
import { gone, running } from '../../helpers/processes.js';

const HOLD = join(REPO, 'test', 'helpers', 'module-hold.mjs');
const ws = sandboxWorkspace();
afterAll(() => ws.cleanup());

/** Starts the CLI held at the first module whose URL matches `module`, waits until it is held, sends `signal`. */
async function signalWhileLoading(args: string[], module: RegExp, signal: NodeJS.Signals, tag: string): Promise<CliResult> {
  const mark = join(ws.dir, `held-${tag}`);
  const run = startCli(args, { cwd: ws.dir, env: { NODE_OPTIONS: `--import=${HOLD}`, WSD_HOLD_MODULE: module.source, WSD_HOLD_MARK: mark } });
  try {
    for (const deadline = Date.now() + 60_000; !existsSync(mark); ) {
      if (Date.now() > deadline) throw new Error(`${tag}: never reached a module matching ${module}`);
      const exited = await Promise.race([run.done, new Promise<undefined>((r) => setTimeout(() => r(undefined), 10))]);
      if (exited) throw new Error(`${tag}: exited (${exited.code ?? exited.signal}) before a module matching ${module}: ${exited.stderr}`);
    }
    run.child.kill(signal);
    const guard = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${tag}: still running 60 s after ${signal}`)), 60_000).unref());
    return await Promise.race([run.done, guard]);
  } finally {
    run.child.kill('SIGKILL'); // a hang must not outlive the test
  }
}

/** Files left in `dir` (recursively) that look like a temp file of an atomic write. */
function tempFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.tmp(-\d+)?$/.test(f));
}

describe('a signal no run handles', () => {
  // [command line, the module it is held at, what that point is]
  const cases: Array<[string[], RegExp, string]> = [
    [['validate', '--config', ws.config], /\/validate-[^/]*\.js$/, 'validate, loading'],
    [['deploy', '--config', ws.config, '--state-dir', ws.stateDir], /\/deploy-[^/]*\.js$/, 'deploy, loading'],
    [['plan', '--config', ws.config, '--state-dir', ws.stateDir], /\/plan-[^/]*\.js$/, 'plan, loading'],
    [['status', '--state-dir', ws.stateDir], /\/status-[^/]*\.js$/, 'status, loading'],
    [['status', '--watch', '--state-dir', ws.stateDir], /\/status-[^/]*\.js$/, 'status --watch, loading'],
    [['report', '--state-dir', ws.stateDir, '--output', join(ws.dir, 'out', 'report.html')], /\/report-[^/]*\.js$/, 'report, loading'],
  ];
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

  // Each case with one signal, each signal at two cases: the handling is one listener, whatever the signal.
  it.each(cases.map(([args, module, what], i) => ({ args, module, what, signal: signals[i % signals.length] as NodeJS.Signals, tag: String(i) })))(
    '$what: $signal exits 130 and says so',
    { timeout: 120_000 },
    async ({ args, module, what, signal, tag }) => {
      const result = await signalWhileLoading(args, module, signal, tag);
      expect({ code: result.code, signal: result.signal }, `${what}: ${result.stderr}`).toEqual({ code: 130, signal: null });
      expect(result.stderr).toContain(`interrupted (${signal}) before the command finished`);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      // Nothing was started: no deployment, no state dir created by a reader, nothing half-written.
      expect(existsSync(ws.stateDir) ? readdirSync(ws.stateDir).filter((d) => /^\d{8}-/.test(d)) : []).toEqual([]);
      expect(tempFiles(ws.dir)).toEqual([]);
      expect(existsSync(join(ws.dir, 'out', 'report.html'))).toBe(false);
    },
  );

  it('once the command is over (validate, while the process stops), exits with its code at once', { timeout: 120_000 }, async () => {
    const result = await signalWhileLoading(['validate', '--config', ws.config], /\/sandbox-registry-[^/]*\.js$/, 'SIGTERM', 'settled');
    expect({ code: result.code, signal: result.signal }, result.stderr).toEqual({ code: 0, signal: null });
    expect(result.stdout).toContain('valid (');
    expect(result.stderr).toBe('');
  });
});

describe('a tool child nobody journaled, that ignores SIGINT and SIGTERM', () => {
  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('does not outlive plan stopped by %s', { timeout: 120_000 }, async (signal) => {
    // `plan` of gke clusters asks helm its version (read-only, unjournaled); this helm never answers and ignores signals.
    const helm = await createFakeBin('helm', { responses: [{ match: ['version'], delayMs: 600_000, ignoreSignals: true }] });
    const run = startCli(['plan', '--config', join(ws.dir, 'examples', 'production.yaml'), '--state-dir', ws.stateDir, '--cluster-id', '117'], { cwd: ws.dir, env: { WSD_HELM: helm.path } });
    let pid: number | undefined;
    try {
      for (const deadline = Date.now() + 60_000; pid === undefined; ) {
        if (Date.now() > deadline) throw new Error('helm version was never called');
        pid = (await helm.calls())[0]?.pid;
        const exited = pid === undefined ? await Promise.race([run.done, new Promise<undefined>((r) => setTimeout(() => r(undefined), 10))]) : undefined;
        if (exited) throw new Error(`plan exited (${exited.code ?? exited.signal}) before calling helm: ${exited.stderr}`);
      }
      run.child.kill(signal);
      const guard = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`plan still running 60 s after ${signal}`)), 60_000).unref());
      const result = await Promise.race([run.done, guard]);
      expect({ code: result.code, signal: result.signal }, result.stderr).toEqual({ code: 130, signal: null });
      // Killed at the CLI's exit; on a loaded machine the kernel may carry the SIGKILL out after the CLI is gone.
      expect(await gone(pid, 10_000), `the fake helm (pid ${pid}) outlived the CLI`).toBe(true);
    } finally {
      run.child.kill('SIGKILL');
      if (pid !== undefined && running(pid)) process.kill(pid, 'SIGKILL');
      await helm.cleanup();
    }
  });
});
