/**
 * Runs the real CLI (`bin/ws-deployment`, compiled dist/) as a child process,
 * the way users and CI do: for end-to-end tests of exit codes and output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { asShellJob } from './processes.js';

export const REPO = resolve(import.meta.dirname, '..', '..');
export const BIN = join(REPO, 'bin', 'ws-deployment');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliRun {
  child: ChildProcess;
  /** Resolves when stderr contains a line matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  done: Promise<CliResult>;
}

/** Starts the CLI; CI=true so output is plain prefixed lines. */
/**
 * `processGroup`: the CLI leads its own process group, as a shell job at a terminal does, so a test can
 * signal the whole group (`process.kill(-pid, ...)`) the way Ctrl-C at a terminal does. `shellJob`: its own
 * group in this session, as a job-control shell's job (see processes.ts), which a SIGTSTP may stop.
 */
export function startCli(args: string[], options: { cwd?: string; env?: Record<string, string>; processGroup?: boolean; shellJob?: boolean } = {}): CliRun {
  const [command, argv] = options.shellJob ? asShellJob([process.execPath, BIN, ...args]) : [process.execPath, [BIN, ...args]];
  const child = spawn(command, argv, {
    cwd: options.cwd ?? REPO,
    env: { ...process.env, CI: 'true', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.processGroup === true,
  });
  let stdout = '';
  let stderr = '';
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const w of [...waiters]) {
      const line = stderr.split('\n').find((l) => w.pattern.test(l));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  const done = new Promise<CliResult>((res) => child.on('close', (code, signal) => res({ code, signal, stdout, stderr })));
  return {
    child,
    done,
    waitFor: (pattern, timeoutMs = 60_000) =>
      new Promise((res, rej) => {
        const line = stderr.split('\n').find((l) => pattern.test(l));
        if (line !== undefined) return res(line);
        const timer = setTimeout(() => rej(new Error(`timed out waiting for ${pattern}; stderr so far:\n${stderr}`)), timeoutMs);
        waiters.push({ pattern, resolve: (l) => (clearTimeout(timer), res(l)) });
        void done.then(() => rej(new Error(`CLI exited before ${pattern}; stderr:\n${stderr}`)));
      }),
  };
}

export function runCli(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

/** A temp folder with a copy of examples/ (so tests may edit configs) and a state dir. */
export function sandboxWorkspace(): { dir: string; config: string; stateDir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-e2e-'));
  cpSync(join(REPO, 'examples'), join(dir, 'examples'), { recursive: true });
  return {
    dir,
    config: join(dir, 'examples', 'sandbox.yaml'),
    stateDir: join(dir, 'state'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
