/**
 * The one module that starts child processes. Every external tool (terraform,
 * gcloud, helm, kubectl, user commands) goes through {@link runTool}:
 * argv arrays only (never a shell), an explicit environment per call, a timeout,
 * an AbortSignal that forwards SIGTERM then escalates to SIGKILL, output streamed
 * line by line into events and a per-step log file, secrets redacted first.
 *
 * Every child leads its own process group, and every signal we send goes to that whole group: what a tool starts
 * (gcloud's python, kubectl's plugins, terraform's providers) stops with it and never outlives us. The price: a
 * terminal's Ctrl-C no longer reaches a tool directly, so whoever handles our signals forwards them (a run's abort
 * signal: the tool's `killSignal`; a signal nobody handles exits, and the exit SIGKILLs every unjournaled group).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { basename, dirname } from 'node:path';
import { WsdError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { Redactor } from '../core/redact.js';
import { identify, thisMachine } from '../core/process-identity.js';
import { onProcessExit } from '../core/exit-cleanup.js';
import { setRunningTimeout } from '../core/job-pause.js';
import { activeChildJournal, CHILD_TOKEN_ENV, crashAfterSpawn } from './child-journal.js';

/** Variables a child inherits from our own environment; everything else is passed explicitly. */
const INHERITED_ENV = [
  'PATH',
  'HOME',
  'USER',
  'LANG',
  'LC_ALL',
  'TZ',
  'TMPDIR',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'CLOUDSDK_CONFIG',
];

/** Where a tool call's output goes and what stops it: shared by every tool wrapper. */
export interface ToolScope {
  signal?: AbortSignal;
  /** Receives each output line (already redacted). */
  sink?: EventSink;
  /** Event scope for streamed lines. */
  cluster?: string;
  step?: string;
  /** Per-step log file; lines are appended, redacted. */
  logFile?: string;
  redactor?: Redactor;
}

/** Time between the first signal and SIGKILL when the caller sets none: how long after its timeout a tool may still run. */
export const DEFAULT_KILL_GRACE_MS = 10_000;

export interface ToolRunOptions extends ToolScope {
  /** Program and arguments. `argv[0]` is looked up on PATH. */
  argv: readonly string[];
  /** Extra variables for this process only (credentials live here, never in our own env). */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Kill the process after this long running: time the job was stopped (Ctrl-Z) does not count. Default: 30 minutes. */
  timeoutMs?: number;
  /** Time between SIGTERM/SIGINT and SIGKILL. Default 10 s (terraform needs time to release state locks). */
  killGraceMs?: number;
  /** Signal sent first on abort or timeout. Terraform reacts to SIGINT by stopping gracefully. */
  killSignal?: NodeJS.Signals;
  /** Written to stdin, then stdin is closed (tools never get an interactive stdin). */
  input?: string;
  /** Exit codes that count as success (e.g. `terraform plan -detailed-exitcode` returns 2). */
  okExitCodes?: readonly number[];
  /** Keep at most this many bytes of stdout in memory. Default 16 MiB. */
  maxBuffer?: number;
  /** Each output line (redacted) as it arrives: for progress read from a tool's machine-readable stream. */
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
  /**
   * What this call changes or locks (`release gitpod in namespace default`, a terraform working dir).
   * Inside a step, such a call's child is journaled as soon as it is spawned, so a resume after a
   * SIGKILL waits for it instead of acting under it (see child-journal.ts); the call settles only
   * once that record is durable.
   */
  target?: string;
}

export interface ToolResult {
  argv: readonly string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

const TAIL_LINES = 20;

/** A tool that ran and failed: carries exit code, signal and the tail of its output. */
export class ToolFailedError extends WsdError {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;

  constructor(
    message: string,
    init: { argv: readonly string[]; exitCode: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; timedOut?: boolean },
  ) {
    super(init.timedOut ? 'ToolTimeout' : 'ToolFailed', message, {
      transient: false,
      details: { argv: [...init.argv], exitCode: init.exitCode, signal: init.signal, tail: tail(init.stderr || init.stdout) },
    });
    this.exitCode = init.exitCode;
    this.signal = init.signal;
    this.stdout = init.stdout;
    this.stderr = init.stderr;
  }
}

function tail(text: string): string {
  return text.trimEnd().split('\n').slice(-TAIL_LINES).join('\n');
}

/** Builds the child's environment: a small inherited allow-list plus the call's own variables. */
function childEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of INHERITED_ENV) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/**
 * One `abort` listener per signal, fanning out to every child that runs under it: an EventTarget checks each new
 * listener against all it holds (linear), so 1,000 children each adding their own cost quadratic main-thread time.
 */
const abortSubscribers = new WeakMap<AbortSignal, Set<() => void>>();

function onAbortOf(signal: AbortSignal, callback: () => void): () => void {
  let subscribers = abortSubscribers.get(signal);
  if (!subscribers) {
    const set = new Set<() => void>();
    subscribers = set;
    abortSubscribers.set(signal, set);
    signal.addEventListener('abort', () => [...set].forEach((fn) => fn()), { once: true });
  }
  subscribers.add(callback);
  return () => subscribers.delete(callback);
}

/**
 * Sends `signal` to the child's whole process group. Also once the leader has exited while its output is still
 * open: what it started holds the pipes, and the group's id stays that group's (Linux never hands out a pid that
 * is still some group's id), so the signal reaches only what the tool started.
 */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the whole group is gone meanwhile
  }
}

/** Every tool's process group until its output closes (as {@link signalGroup} reaches it): job control stops them. */
const liveGroups = new Set<number>();

/** Calls `fn` with the id of every process group a running tool leads (Ctrl-Z stops them, `fg` continues them). */
export function forEachLiveToolGroup(fn: (pgid: number) => void): void {
  for (const pgid of liveGroups) fn(pgid);
}

/**
 * Runs a tool to completion. Resolves with its output on an accepted exit code;
 * rejects with {@link ToolFailedError} (non-zero exit, timeout), `ToolMissing`
 * (not on PATH) or `Interrupted` (aborted through `signal`).
 */
export function runTool(options: ToolRunOptions): Promise<ToolResult> {
  const [command, ...args] = options.argv;
  if (!command) throw new WsdError('Internal', 'runTool needs a command', { source: 'internal' });
  const redactor = options.redactor ?? new Redactor();
  const okCodes = options.okExitCodes ?? [0];
  const maxBuffer = options.maxBuffer ?? 16 * 1024 * 1024;
  const timeoutMs = options.timeoutMs ?? 30 * 60_000;
  const graceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const killSignal = options.killSignal ?? 'SIGTERM';
  const shown = redactor.redact(options.argv.join(' '));

  if (options.signal?.aborted) {
    return Promise.reject(new WsdError('Interrupted', `interrupted before starting ${command}`));
  }
  const childJournal = options.target === undefined ? undefined : activeChildJournal();
  let journaled: Promise<void> | undefined;

  const token = childJournal ? randomUUID() : undefined;
  const tool = [basename(command), args[0]].filter(Boolean).join(' ');
  // How long a resume waits at most for an orphan of this call (child-journal.ts), counted from the journaled start
  // in wall-clock time. Not extended by later stops of the job, though the timeout below is: re-journaling on every
  // `fg` would write the checkpoint from a signal listener. A resume only runs once this CLI is gone; if it stopped
  // for long before dying, the orphan may run past this bound and that resume refuses, naming the pid, where it could
  // have waited. It never acts under a running tool, which is what the bound is for.
  const bound = timeoutMs + graceMs;

  const start = (): Promise<ToolResult> => new Promise<ToolResult>((resolve, reject) => {
    const started = Date.now();
    let log: WriteStream | undefined;
    // The per-step log is a copy of what the events carry: one that cannot be written (a full disk,
    // a folder in its place, a read-only logs folder) is said once and dropped. Unhandled, the
    // stream's 'error' event ended the whole run at once, its steps unjournaled and its tools running.
    const dropLog = (error: unknown): void => {
      log = undefined;
      options.sink?.emit({
        level: 'warn',
        code: 'tool.log-unwritable',
        cluster: options.cluster,
        step: options.step,
        message: `cannot write the log ${options.logFile} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); ${command}'s output goes on in the events only. Free space or fix that path for later runs`,
      });
    };
    if (options.logFile) {
      try {
        mkdirSync(dirname(options.logFile), { recursive: true, mode: 0o700 });
        const stream = createWriteStream(options.logFile, { flags: 'a', mode: 0o600 });
        stream.once('error', dropLog);
        stream.on('error', () => undefined); // later errors of a dropped stream: already said
        log = stream;
        log.write(`$ ${shown}\n`);
      } catch (error) {
        dropLog(error);
      }
    }
    options.sink?.emit({
      level: 'debug',
      code: 'tool.start',
      cluster: options.cluster,
      step: options.step,
      message: `running ${shown}`,
      data: { argv: redactor.redactValue([...options.argv]), cwd: options.cwd },
    });

    const child = spawn(command, args, {
      cwd: options.cwd,
      env: childEnv(token === undefined ? options.env : { ...options.env, [CHILD_TOKEN_ENV]: token }),
      stdio: ['pipe', 'pipe', 'pipe'],
      shell: false,
      // Its own process group (a new session): only our forwarded signals reach it, to all it started. Terraform
      // must get ours alone: the terminal's SIGINT next to ours is a second interrupt, and two make it exit at
      // once ("data loss may have occurred"), state unwritten and lock left.
      detached: true,
    });
    crashAfterSpawn(tool);
    const pgid = child.pid;
    if (pgid !== undefined) {
      liveGroups.add(pgid);
      child.once('close', () => liveGroups.delete(pgid));
    }
    // A child the journal does not name (a read-only call: `helm template`, `terraform validate`, gcloud, kubectl)
    // must not outlive us, nor anything it started: an exit at a second signal, or a read-only command's first,
    // leaves none running (one that ignores SIGTERM would otherwise go on with nobody waiting for it). Until its
    // output closes: a leader gone with its grandchildren still writing is not done. A journaled one is left to
    // finish: `resume` waits for it.
    const forgetChild = token === undefined ? onProcessExit(() => signalGroup(child, 'SIGKILL')) : undefined;
    child.once('close', () => forgetChild?.());
    child.once('error', () => forgetChild?.());
    if (childJournal && options.target !== undefined && child.pid !== undefined) {
      journaled = childJournal.spawned({
        ...identify(child.pid),
        token,
        tool,
        target: options.target,
        startedAt: new Date(started).toISOString(),
        boundMs: bound,
      });
      journaled.catch(() => undefined); // observed below, once the child is done
    }

    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let aborted = false;
    let clearKillTimer: (() => void) | undefined;
    // 'error' (spawn failed) may be followed by 'close': settle and close the log once.
    let settled = false;

    // Until the output closes (settled): the leader may be gone while what it started runs on.
    const terminate = (): void => {
      if (settled || clearKillTimer !== undefined) return;
      signalGroup(child, killSignal);
      // Running time too: a stop in the grace period must not SIGKILL terraform on `fg` before it released its lock.
      clearKillTimer = setRunningTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
    };
    // Running time, not wall-clock time: a tool stopped with the job (Ctrl-Z) made no progress meanwhile, and was
    // killed as timed out the moment the job was continued.
    const clearTimer = setRunningTimeout(() => {
      timedOut = true;
      terminate();
    }, timeoutMs);
    const onAbort = (): void => {
      aborted = true;
      terminate();
    };
    const unsubscribe = options.signal ? onAbortOf(options.signal, onAbort) : undefined;

    const lineSplitter = (stream: 'stdout' | 'stderr') => {
      let pending = '';
      return (chunk: Buffer): void => {
        const text = chunk.toString('utf8');
        if (stream === 'stdout') {
          if (stdout.length < maxBuffer) stdout += text;
        } else if (stderr.length < maxBuffer) stderr += text;
        pending += text;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) emitLine(stream, line);
      };
    };
    const emitLine = (stream: 'stdout' | 'stderr', raw: string): void => {
      const line = redactor.redact(raw.replace(/\r$/, ''));
      log?.write(`${line}\n`);
      options.onLine?.(stream, line);
      options.sink?.emit({
        level: 'debug',
        code: `tool.${stream}`,
        cluster: options.cluster,
        step: options.step,
        message: line,
      });
    };

    child.stdout.on('data', lineSplitter('stdout'));
    child.stderr.on('data', lineSplitter('stderr'));
    child.stdin.on('error', () => undefined); // the tool may exit before reading its input
    child.stdin.end(options.input ?? '');

    const finish = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimer();
      clearKillTimer?.();
      unsubscribe?.();
      return true;
    };

    child.on('error', (error: NodeJS.ErrnoException) => {
      if (!finish()) return;
      log?.end();
      if (error.code === 'ENOENT') {
        reject(
          new WsdError('ToolMissing', `${command} is not installed or not on PATH; install it and try again`, {
            details: { command },
          }),
        );
      } else {
        reject(new WsdError('ToolFailed', `could not start ${command}: ${error.message}`, { cause: error }));
      }
    });

    child.on('close', (exitCode, signal) => {
      if (!finish()) return;
      const durationMs = Date.now() - started;
      log?.write(`# exit ${exitCode ?? signal} after ${durationMs} ms\n`);
      log?.end();
      const out = redactor.redact(stdout);
      const err = redactor.redact(stderr);
      if (aborted) {
        reject(new WsdError('Interrupted', `${command} was interrupted`, { details: { argv: shownArgv(), signal } }));
        return;
      }
      if (timedOut) {
        reject(
          new ToolFailedError(`${command} timed out after ${Math.round(timeoutMs / 1000)} s`, {
            argv: options.argv,
            exitCode,
            signal,
            stdout: out,
            stderr: err,
            timedOut: true,
          }),
        );
        return;
      }
      if (exitCode !== null && okCodes.includes(exitCode)) {
        resolve({ argv: options.argv, exitCode, stdout: out, stderr: err, durationMs });
        return;
      }
      const last = tail(err || out).split('\n').slice(-3).join(' | ');
      reject(
        new ToolFailedError(`${shown} failed with ${exitCode === null ? `signal ${signal}` : `exit code ${exitCode}`}: ${last}`, {
          argv: redactor.redactValue([...options.argv]),
          exitCode,
          signal,
          stdout: out,
          stderr: err,
        }),
      );
    });

    function shownArgv(): string[] {
      return redactor.redactValue([...options.argv]);
    }
  });
  if (!childJournal || options.target === undefined) return start();
  // The call is journaled before its child exists (by the token the child will carry) and again with
  // its pid; it is settled only once that second record is durable: a step's next action never comes
  // before it.
  const intent = { ...thisMachine(), token, tool, target: options.target, startedAt: new Date().toISOString(), boundMs: bound };
  const run = childJournal.spawned(intent).then(() =>
    options.signal?.aborted ? Promise.reject(new WsdError('Interrupted', `interrupted before starting ${command}`)) : start(),
  );
  return run.then(
    async (result) => {
      await journaled;
      return result;
    },
    async (error: unknown) => {
      await journaled?.catch(() => undefined);
      throw error;
    },
  );
}
