/**
 * A typed wrapper around the terraform CLI for one working directory (the root
 * module written by `writeRootModule`). Always non-interactive (`-input=false`,
 * `TF_IN_AUTOMATION`), reads the `-json` UI stream instead of scraping text,
 * isolates its CLI config and plugin cache (see run-env.ts), and stops terraform
 * with SIGINT so it can release its state lock. Failures become `ToolFailed`
 * errors whose `transient` flag comes from the curated transient-error list.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { WsdError } from '../../core/errors.js';
import { ToolFailedError, runTool, type ToolResult, type ToolScope } from '../exec.js';
import { progressReporter, type ProgressReporter } from '../../core/progress.js';
import { ApplyProgress } from './apply-progress.js';
import { OUTPUT_ARGV, applyArgv, destroyArgv, initArgv, planArgv } from './argv.js';
import { changeSummary, diagnostics, type ChangeSummary } from './json-stream.js';
import { rebaseMovedModules } from './moved-modules.js';
import { relinkMovedProviders } from './moved-providers.js';
import { dropTornBackendCache } from './torn-backend-cache.js';
import { describeRunEnv, prepareRunEnv, type RunEnvOptions } from './run-env.js';
import { classifyTerraformError } from './transient-errors.js';

/** `signal` is the default abort signal of every operation (each call may pass its own). */
interface TerraformOptions extends RunEnvOptions, ToolScope {
  /** Absolute path of the working dir holding the generated root module. */
  workDir: string;
  /** Terraform binary (looked up on PATH). Default `terraform`. */
  binary?: string;
  /** Per-command timeout. Default 60 minutes (GKE creation takes 10-20). */
  timeoutMs?: number;
  /** Time terraform gets after SIGINT to finish in-flight calls and unlock state. Default 120 s. */
  killGraceMs?: number;
  /** `-lock-timeout` for commands that lock the state, e.g. `30s`. Default: terraform's (no wait). */
  lockTimeout?: string;
}

interface CallOptions {
  signal?: AbortSignal;
}

/** One root-module output as `terraform output -json` reports it. */
export interface TerraformOutput {
  value: unknown;
  sensitive: boolean;
  type?: unknown;
}

interface PlanResult {
  hasChanges: boolean;
  changes: ChangeSummary;
}

const NO_CHANGES: ChangeSummary = { add: 0, change: 0, remove: 0, import: 0 };

export class Terraform {
  private readonly options: TerraformOptions;

  constructor(options: TerraformOptions) {
    if (!isAbsolute(options.workDir)) {
      throw new WsdError('Internal', `terraform working dir "${options.workDir}" must be absolute`, { source: 'internal' });
    }
    if (options.lockTimeout !== undefined && !/^\d+[smh]$/.test(options.lockTimeout)) {
      throw new WsdError('ConfigInvalid', `terraform lock timeout "${options.lockTimeout}" must look like 30s, 5m or 1h`);
    }
    this.options = options;
    // The connection string carries a password: keep it out of every log line.
    if (options.pgConnStr) options.redactor?.add(options.pgConnStr);
  }

  get workDir(): string {
    return this.options.workDir;
  }

  /**
   * `terraform init`: backend, modules and providers (into this dir's own plugin cache).
   * `-reconfigure` when the working dir was copied or moved with its state dir: its
   * `.terraform` still names the old dir's local state file, and the generated
   * backend (written from the dir in use) is the truth — never migrate from, or
   * touch, the old dir's state. Its module folders and provider links are this dir's own
   * (moved-modules.ts, moved-providers.ts).
   */
  async init(call: CallOptions = {}): Promise<void> {
    rebaseMovedModules(this.options.workDir);
    const torn = dropTornBackendCache(this.options.workDir);
    const o = this.options;
    if (torn) o.sink?.emit({ level: 'warn', code: 'terraform.backend-cache-torn', cluster: o.cluster, step: o.step, message: torn });
    relinkMovedProviders(this.options.workDir, describeRunEnv(this.options).pluginCacheDir);
    await this.run('init', initArgv({ reconfigure: localBackendMoved(this.options.workDir), lockTimeout: this.options.lockTimeout }), call);
  }

  /**
   * `terraform plan -out=planFile -detailed-exitcode`: exit 0 = no changes,
   * 2 = changes, anything else = error.
   */
  async plan(planFile: string, options: CallOptions & { destroy?: boolean } = {}): Promise<PlanResult> {
    const argv = planArgv(this.path(planFile), { lockTimeout: this.options.lockTimeout, destroy: options.destroy });
    const result = await this.run('plan', argv, options, [0, 2], { locks: true });
    return { hasChanges: result.exitCode === 2, changes: changeSummary(result.stdout) ?? NO_CHANGES };
  }

  /** Applies a saved plan (no approval prompt: a saved plan is the approval). */
  async apply(planFile: string, call: CallOptions = {}): Promise<ChangeSummary> {
    const argv = applyArgv(this.path(planFile), { lockTimeout: this.options.lockTimeout });
    const result = await this.run('apply', argv, call, [0], { progress: new ApplyProgress('apply'), locks: true });
    return changeSummary(result.stdout) ?? NO_CHANGES;
  }

  /** Destroys everything in the state (`apply -destroy -auto-approve`). */
  async destroy(call: CallOptions = {}): Promise<ChangeSummary> {
    const argv = destroyArgv({ lockTimeout: this.options.lockTimeout });
    const result = await this.run('destroy', argv, call, [0], { progress: new ApplyProgress('destroy'), locks: true });
    return changeSummary(result.stdout) ?? NO_CHANGES;
  }

  /**
   * Root-module outputs. Values arrive in clear text (sensitive ones too), so the
   * output is neither streamed to the sink nor written to the step log.
   */
  async output(call: CallOptions = {}): Promise<Record<string, TerraformOutput>> {
    const result = await this.run('output', [...OUTPUT_ARGV], call, [0], { quiet: true });
    const parsed = parseJson(result.stdout, 'terraform output -json') as Record<string, { value?: unknown; sensitive?: boolean; type?: unknown }>;
    const outputs: Record<string, TerraformOutput> = {};
    for (const [name, entry] of Object.entries(parsed)) {
      outputs[name] = { value: entry.value, sensitive: entry.sensitive === true, type: entry.type };
    }
    return outputs;
  }

  /** Resource addresses in the state; empty when there is no state yet. */
  async stateList(call: CallOptions = {}): Promise<string[]> {
    try {
      const result = await this.run('state list', ['state', 'list', '-no-color'], call, [0], { raw: true });
      return result.stdout.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
    } catch (error) {
      if (error instanceof ToolFailedError && /No state file was found/.test(error.stderr + error.stdout)) return [];
      throw this.wrap('state list', error);
    }
  }

  /** The saved plan as Terraform's JSON plan representation (holds sensitive values: not logged). */
  async showPlan(planFile: string, call: CallOptions = {}): Promise<Record<string, unknown>> {
    const result = await this.run('show', ['show', '-json', '-no-color', this.path(planFile)], call, [0], { quiet: true });
    return parseJson(result.stdout, 'terraform show -json') as Record<string, unknown>;
  }

  private path(file: string): string {
    return isAbsolute(file) ? file : resolve(this.options.workDir, file);
  }

  private async run(
    command: string,
    args: string[],
    call: CallOptions,
    okExitCodes: readonly number[] = [0],
    /** `locks`: the command holds the state lock (plan, apply, destroy): its child is journaled (runTool's `target`). */
    mode: { quiet?: boolean; raw?: boolean; progress?: ApplyProgress; locks?: boolean } = {},
  ): Promise<ToolResult> {
    const o = this.options;
    const { env } = await prepareRunEnv(o);
    const quiet = mode.quiet === true;
    o.sink?.emit({ level: 'info', code: 'terraform.command', cluster: o.cluster, step: o.step, message: `terraform ${command} in ${o.workDir}` });
    try {
      return await runTool({
        argv: [o.binary ?? 'terraform', ...args],
        env,
        cwd: o.workDir,
        timeoutMs: o.timeoutMs ?? 60 * 60_000,
        killGraceMs: o.killGraceMs ?? 120_000,
        // In its own process group (as every tool): our SIGINT is its only one; a second makes it stop at once.
        killSignal: 'SIGINT',
        signal: call.signal ?? o.signal,
        sink: quiet ? undefined : o.sink,
        cluster: o.cluster,
        step: o.step,
        logFile: quiet ? undefined : o.logFile,
        redactor: o.redactor,
        okExitCodes,
        ...(mode.locks ? { target: o.workDir } : {}),
        ...(mode.progress ? { onLine: progressLines(mode.progress, progressReporter({ sink: o.sink, cluster: o.cluster, step: o.step })) } : {}),
      });
    } catch (error) {
      if (mode.raw) throw error;
      throw this.wrap(command, error);
    }
  }

  /** Turns a failed run into an error naming terraform's own diagnostic, classified transient or not. */
  private wrap(command: string, error: unknown): unknown {
    if (!(error instanceof ToolFailedError) || error.code === 'ToolTimeout') return error;
    const diags = diagnostics(error.stdout).filter((d) => d.severity === 'error');
    const text = [...diags.map((d) => `${d.summary}\n${d.detail}`), error.stderr, diags.length ? '' : error.stdout].join('\n');
    const classification = classifyTerraformError(text);
    const first = diags[0];
    const reason = first
      ? `${first.summary}${first.detail ? `: ${first.detail.split('\n')[0]}` : ''}${first.where ? ` (${first.where})` : ''}`
      : lastLine(error.stderr || error.stdout) || `exit code ${error.exitCode}`;
    const lock = first?.summary === 'Error acquiring the state lock' ? lockAdvice(first.detail, this.options.workDir) : undefined;
    const provider = providerAdvice(diags, this.options.providerMirror, classification.transient);
    const next = lock
      ? lock
      : provider
        ? provider
        : classification.transient
        ? 'this looks transient; retrying may help'
        : 'fix the cause and run again';
    return new WsdError('ToolFailed', `terraform ${command} failed in ${this.options.workDir}: ${reason}; ${next}`, {
      transient: classification.transient,
      cause: error,
      details: {
        command,
        exitCode: error.exitCode,
        transientPattern: classification.pattern,
        diagnostics: diags.map((d) => ({ summary: d.summary, detail: d.detail, where: d.where })),
      },
    });
  }
}

/** A field of terraform's "Lock Info:" block ("  Who:       root@vm"). */
function lockInfo(detail: string, field: string): string | undefined {
  return new RegExp(`^\\s*${field}:[ \\t]*(\\S.*)$`, 'm').exec(detail)?.[1]?.trim();
}

/**
 * Who holds the state lock, from the "Error acquiring the state lock" diagnostic: its first line is only
 * "resource temporarily unavailable", and the operator must know whose run it is (and its ID to unlock).
 */
function lockHolder(detail: string): string | undefined {
  const id = lockInfo(detail, 'ID');
  if (!/Lock Info:/.test(detail) || !id) return undefined;
  const who = lockInfo(detail, 'Who') ?? 'unknown';
  const operation = lockInfo(detail, 'Operation')?.replace(/^OperationType/, '').toLowerCase() ?? 'an operation';
  const since = lockInfo(detail, 'Created');
  return `the state is locked by ${who} for ${operation}${since ? ` since ${since}` : ''} (lock ID ${id})`;
}

/** Diagnostics of `init` that could not get a provider (from the registry, or from the configured mirror). */
const PROVIDER_INSTALL = /^(?:Failed to query available provider packages|Failed to install provider|Failed to resolve provider packages)/;

/**
 * What to do when `init` cannot get a provider: name it, and the way to install it without the registry
 * (a machine offline or firewalled retried "transient" DNS errors and was told only to retry).
 */
function providerAdvice(diags: ReadonlyArray<{ summary: string; detail: string }>, mirror: string | undefined, transient: boolean): string | undefined {
  const failed = diags.find((d) => PROVIDER_INSTALL.test(d.summary));
  if (!failed) return undefined;
  const provider = /\bprovider ((?:[\w.-]+\/)?[\w.-]+\/[\w.-]+)/.exec(failed.detail)?.[1] ?? 'a provider';
  const mirrorCommand = (dir: string) => `\`terraform providers mirror ${dir}\` (run where the registry is reachable, in a module that requires ${provider})`;
  if (mirror !== undefined) return `terraform installs providers only from terraform.providerMirror ${mirror}, and ${provider} is not there in a version the module accepts: add it with ${mirrorCommand(mirror)}, then run again`;
  return (
    `terraform could not get ${provider} from its registry${transient ? ' (if the registry was unreachable for a moment, retrying helps)' : ''}; ` +
    `on a machine without registry access, set terraform.providerMirror to a folder made with ${mirrorCommand('<folder>')}`
  );
}

/** Backends whose lock lives only as long as its holder's process (a kernel file lock, a database session). */
const PROCESS_BOUND_LOCKS = new Set(['local', 'pg']);

/**
 * What to do about a state lock, by the backend the working dir was initialised with. A local or pg lock
 * ends with the process holding it: it is never stale, and `force-unlock` cannot release it (terraform
 * answers "LocalState not locked"); the pg backend's "Lock Info" is even this run's own, not the holder's.
 * Other backends (gcs) keep a lock object a killed run leaves behind: force-unlock, once that run is gone.
 */
function lockAdvice(detail: string, workDir: string): string | undefined {
  const unwritable = lockFileUnwritable(detail);
  if (unwritable) return unwritable;
  const backend = savedBackend(workDir)?.type;
  if (typeof backend === 'string' && PROCESS_BOUND_LOCKS.has(backend)) {
    const holder = backend === 'pg' ? 'another terraform run holds the pg state lock (terraform does not say which)' : lockHolder(detail);
    return `${holder ?? 'another terraform run holds the state lock'}; a ${backend} state lock is held only while that terraform process runs: wait for it to finish or stop it (one SIGINT lets it write its state and unlock), then run again; \`terraform force-unlock\` cannot release it`;
  }
  const holder = lockHolder(detail);
  return holder && `${holder}; if that run is certainly gone, release it with \`terraform force-unlock ${lockInfo(detail, 'ID')}\` in ${workDir}`;
}

/**
 * A local lock terraform could not write (its `.lock.info` file) is no lock anyone holds: a full disk said "another
 * terraform run holds the state lock ... wait for it", sending the operator after a run that did not exist.
 */
function lockFileUnwritable(detail: string): string | undefined {
  const failed = /could not write lock info for "[^"]*": (?:write|open) ([^:\n]+): ([^\n]+)/.exec(detail);
  if (!failed) return undefined;
  const [, file = '', reason = ''] = failed;
  const fix = /no space left on device/i.test(reason) ? 'the disk holding the state is full: free space' : `make ${file} a file terraform can write (remove what is there, or fix its folder's permissions)`;
  return `terraform could not write its lock file ${file} (${reason.trim()}), so nobody holds the state lock; ${fix}, then run again`;
}

/** Feeds stdout lines to the counter and reports its text (throttled; the last change always). */
function progressLines(progress: ApplyProgress, reporter: ProgressReporter): (stream: 'stdout' | 'stderr', line: string) => void {
  return (stream, line) => {
    if (stream !== 'stdout') return;
    const text = progress.onLine(line);
    if (text) reporter.report(text, { final: progress.complete() });
  };
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter((l) => l.trim()).slice(-1)[0]?.trim() ?? '';
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new WsdError('ToolFailed', `${what} printed something that is not JSON; check the terraform version (>= 1.9 needed)`, {
      cause: error,
    });
  }
}


/** The backend the last `init` saved in the working dir (`.terraform/terraform.tfstate`), if any. */
function savedBackend(workDir: string): { type?: unknown; config?: { path?: unknown } } | undefined {
  try {
    const saved = JSON.parse(readFileSync(join(workDir, '.terraform', 'terraform.tfstate'), 'utf8')) as { backend?: { type?: unknown; config?: { path?: unknown } } };
    return saved.backend ?? undefined;
  } catch {
    return undefined; // not initialised yet, or not ours
  }
}

/** The local state path a backend config names, if it is the local backend. */
function localPath(read: () => string, pick: (json: Record<string, unknown>) => unknown): string | undefined {
  try {
    const path = pick(JSON.parse(read()) as Record<string, unknown>);
    return typeof path === 'string' ? path : undefined;
  } catch {
    return undefined; // not initialised yet, or not ours: terraform init decides
  }
}

/**
 * True when `.terraform/terraform.tfstate` (what the last `init` saved) names another local
 * state file than the generated `backend.tf.json`: the working dir came from another state dir.
 */
export function localBackendMoved(workDir: string): boolean {
  const backend = savedBackend(workDir);
  const saved = backend?.type === 'local' && typeof backend.config?.path === 'string' ? backend.config.path : undefined;
  const generated = localPath(
    () => readFileSync(join(workDir, 'backend.tf.json'), 'utf8'),
    (j) => (j.terraform as { backend?: { local?: { path?: unknown } } } | undefined)?.backend?.local?.path,
  );
  return saved !== undefined && generated !== undefined && saved !== generated;
}
