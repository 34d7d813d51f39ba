/**
 * Helm the way helmfile users expect: `upgrade --install --atomic --wait`, one
 * kubeconfig per cluster passed explicitly, helm's own config/cache/data dirs
 * per cluster (so parallel runs never share ~/.config/helm), machine-readable
 * output (`-o json`) instead of scraped text, and errors classified into
 * transient (API server unreachable, timeouts) and permanent (template errors).
 */
import { join } from 'node:path';
import { WsdError, isWsdError } from '../core/errors.js';
import { ToolFailedError, runTool, type ToolResult, type ToolScope } from './exec.js';
import { resolveHelmBinary, type HelmBinary } from './helm-binary.js';

/** The oldest helm still supported upstream when helm 4 came out; both 3.x (>= 3.12) and 4.x work. */
export const HELM_MIN_VERSION = [3, 12, 0] as const;
const INSTALL_HINT = 'install helm >= 3.12 from https://helm.sh/docs/intro/install/ and make sure it is on PATH';

/** Helm's major version: the flags of `upgrade` differ between 3 and 4. */
export type HelmMajor = 3 | 4;

/** Where a chart comes from (see `chartSchema`). */
export interface ChartSource {
  repository?: string;
  path?: string;
  name: string;
  version?: string;
}

/** One release as we want it. Values files are absolute and in application order. */
export interface ReleaseSpec {
  release: string;
  namespace: string;
  chart: ChartSource;
  valuesFiles: readonly string[];
  set: Readonly<Record<string, string | number | boolean>>;
  timeoutSeconds: number;
  /** Written with `--description`; carries the values digest so the next run can compare. */
  description: string;
}

/** The fields of `helm status -o json` we read. */
export interface HelmRelease {
  name: string;
  namespace: string;
  /** Revision number. */
  version: number;
  info: { status: string; description?: string };
  chart?: { metadata?: { name?: string; version?: string } };
  manifest?: string;
}

/** The fields of one `helm list -o json` entry we read. */
export interface HelmListEntry {
  name: string;
  /** `<chart name>-<chart version>`, e.g. `gitpod-1.2.3`. */
  chart?: string;
}

/** Splits helm list's `gitpod-1.2.3-rc.1` at the dash before the SemVer version (chart names may hold dashes and digits). */
export function parseChartRef(chart: string | undefined): { name?: string; version?: string } {
  const match = /^(.+?)-(v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?)$/.exec(chart ?? '');
  return match ? { name: match[1], version: match[2] } : {};
}

/** One entry of `helm history -o json`. */
export interface HelmRevision {
  revision: number;
  status: string;
  chart: string;
  description?: string;
}

/** Run-scoped facts every helm call needs. */
export interface HelmContext extends ToolScope {
  /** The cluster's own kubeconfig file; never the default one. Absent for client-side rendering. */
  kubeconfig?: string;
  /** Helm's config/cache/data live under this folder (per cluster). */
  homeDir: string;
}

/**
 * Helm's own release-storage settings, passed through from our environment when
 * the operator set them: `HELM_DRIVER` (secret, configmap, sql) and, for sql, its
 * connection string. Everything else helm reads from the environment is ours.
 */
export const HELM_STORAGE_ENV = ['HELM_DRIVER', 'HELM_DRIVER_SQL_CONNECTION_STRING'] as const;

/** The helm environment: private dirs, the cluster's kubeconfig, the release storage, nothing else beyond runTool's allow-list. */
export function helmEnv(ctx: Pick<HelmContext, 'homeDir' | 'kubeconfig'>, env: NodeJS.ProcessEnv = process.env): Record<string, string | undefined> {
  const storage = Object.fromEntries(HELM_STORAGE_ENV.filter((key) => env[key]).map((key) => [key, env[key]]));
  return {
    HELM_CONFIG_HOME: join(ctx.homeDir, 'config'),
    HELM_CACHE_HOME: join(ctx.homeDir, 'cache'),
    HELM_DATA_HOME: join(ctx.homeDir, 'data'),
    KUBECONFIG: ctx.kubeconfig,
    ...storage,
  };
}

/** `helm list` of every status: helm 3 needs `--all`; helm 4 lists all by default and has no `--all` (read from both binaries' `list --help`). */
export function listAllArgs(major: HelmMajor): string[] {
  return major >= 4 ? [] : ['--all'];
}

/** `[chart reference, --repo URL, --version V]` for a chart source. */
export function chartArgs(chart: ChartSource): string[] {
  const args: string[] = [];
  if (chart.path !== undefined) args.push(chart.path);
  else if (chart.repository?.startsWith('oci://')) args.push(`${chart.repository.replace(/\/+$/, '')}/${chart.name}`);
  else args.push(chart.name, '--repo', chart.repository ?? '');
  if (chart.version !== undefined) args.push('--version', chart.version);
  return args;
}

/** Escapes a `--set-string` value for helm's strvals parser (commas separate pairs). */
function escapeSetValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/,/g, '\\,');
}

/** `--set`/`--set-string` pairs in a stable (sorted) order; strings stay strings. */
export function setArgs(set: Readonly<Record<string, string | number | boolean>>): string[] {
  const args: string[] = [];
  for (const key of Object.keys(set).sort()) {
    const value = set[key];
    if (typeof value === 'string') args.push('--set-string', `${key}=${escapeSetValue(value)}`);
    else args.push('--set', `${key}=${String(value)}`);
  }
  return args;
}

function valuesArgs(files: readonly string[]): string[] {
  return files.flatMap((file) => ['--values', file]);
}

/**
 * Roll back a failed upgrade and wait for readiness. Helm 4 deprecated `--atomic`
 * for `--rollback-on-failure` (both imply waiting; `--wait` alone means helm 4's
 * "watcher" strategy, the closest to helm 3's `--wait`).
 */
export function atomicFlags(major: HelmMajor): string[] {
  return major >= 4 ? ['--rollback-on-failure', '--wait'] : ['--atomic', '--wait'];
}

/** The full `helm upgrade --install` argv (also shown by `plan`, for helm 3 unless told). */
export function upgradeArgv(spec: ReleaseSpec, kubeconfig: string, major: HelmMajor = 3): string[] {
  return [
    'helm', 'upgrade', '--install', spec.release, ...chartArgs(spec.chart),
    '--kubeconfig', kubeconfig,
    '--namespace', spec.namespace, '--create-namespace',
    ...atomicFlags(major), '--timeout', `${spec.timeoutSeconds}s`,
    '--reset-values', '--history-max', '10',
    '--description', spec.description,
    ...valuesArgs(spec.valuesFiles), ...setArgs(spec.set),
    '--output', 'json',
  ];
}

/** `helm lint` of the chart with the release's values (local charts only: lint needs a chart folder). */
export function lintArgv(spec: ReleaseSpec): string[] {
  return ['helm', 'lint', spec.chart.path ?? '', '--namespace', spec.namespace, ...valuesArgs(spec.valuesFiles), ...setArgs(spec.set)];
}

/** Client-side rendering (`--dry-run`, sandbox clusters): no cluster contact. */
export function templateArgv(spec: ReleaseSpec): string[] {
  return [
    'helm', 'template', spec.release, ...chartArgs(spec.chart),
    '--namespace', spec.namespace,
    ...valuesArgs(spec.valuesFiles), ...setArgs(spec.set),
  ];
}

/** Patterns of helm/Kubernetes client errors that a later attempt may not see. */
const TRANSIENT = /connection refused|i\/o timeout|tls handshake timeout|context deadline exceeded|timed out waiting for the condition|connection reset by peer|no such host|server is currently unable to handle the request|etcdserver: request timed out|client\.timeout exceeded|too many requests|service unavailable|http2: server sent goaway|unexpected eof/i;
/** Rendering errors: the chart or values are wrong, retrying cannot help. */
const PERMANENT = /parse error|execution error|template: |yaml: |unable to build kubernetes objects|values don't meet the specifications|chart requires kubeversion/i;

/** Turns a failed helm invocation into a WsdError with the right transient flag. */
export function classifyHelmError(error: unknown, what: string): WsdError {
  if (!isWsdError(error)) return new WsdError('ToolFailed', `${what} failed: ${String(error)}`, { cause: error });
  if (error.code === 'ToolMissing') {
    return new WsdError('ToolMissing', `helm is not installed or not on PATH; ${INSTALL_HINT}`, { details: { command: 'helm' } });
  }
  if (error.code === 'Interrupted') return error;
  if (error.code === 'ToolTimeout') {
    return new WsdError('ToolTimeout', `${what} timed out; the API server may be slow or unreachable, it will be retried`, {
      transient: true,
      details: error.details,
      cause: error,
    });
  }
  const output = error instanceof ToolFailedError ? `${error.stderr}\n${error.stdout}` : error.message;
  const transient = !PERMANENT.test(output) && TRANSIENT.test(output);
  const last = output.trim().split('\n').filter(Boolean).slice(-3).join(' | ');
  return new WsdError('ToolFailed', `${what} failed: ${last}${transient ? ' (transient, will be retried)' : ''}`, {
    transient,
    details: error.details,
    cause: error,
  });
}

/**
 * Parses helm's `-o json` output. Some helm versions print a human line such as
 * `Release "x" does not exist. Installing it now.` before the JSON on stdout,
 * so parsing starts at the first line that opens a JSON value.
 */
export function parseJsonOutput<T>(stdout: string, what: string): T {
  const lines = stdout.split('\n');
  const start = lines.findIndex((line) => /^\s*[[{]/.test(line));
  try {
    if (start < 0) throw new Error('no JSON in the output');
    return JSON.parse(lines.slice(start).join('\n')) as T;
  } catch (error) {
    throw new WsdError('ToolFailed', `${what} printed no valid JSON (${(error as Error).message}); run it by hand to see why`, {
      details: { stdout: stdout.slice(0, 500) },
      cause: error,
    });
  }
}

function parseVersion(text: string): [number, number, number] | undefined {
  const match = /v?(\d+)\.(\d+)\.(\d+)/.exec(text);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

function atLeast(found: readonly number[], wanted: readonly number[]): boolean {
  for (let i = 0; i < wanted.length; i++) {
    const f = found[i] ?? 0;
    const w = wanted[i] ?? 0;
    if (f !== w) return f > w;
  }
  return true;
}

/** Runs helm for one cluster. Every call is non-interactive and uses the cluster's own files. */
export class Helm {
  private versionChecked: Promise<string> | undefined;
  private binary: HelmBinary | undefined;
  private majorVersion: HelmMajor = 3;

  constructor(private readonly ctx: HelmContext) {}

  private requireKubeconfig(): string {
    if (!this.ctx.kubeconfig) throw new WsdError('Internal', 'helm needs the cluster kubeconfig for this call', { source: 'internal' });
    return this.ctx.kubeconfig;
  }

  private clusterArgs(namespace: string): string[] {
    return ['--kubeconfig', this.requireKubeconfig(), '--namespace', namespace];
  }

  /** Runs `helm …` (argv includes "helm"); errors are classified. */
  async run(argv: string[], what: string, timeoutSeconds = 300, okExitCodes?: number[]): Promise<ToolResult> {
    await this.ensureVersion();
    return this.exec(argv, what, timeoutSeconds, okExitCodes);
  }

  private async exec(argv: string[], what: string, timeoutSeconds: number, okExitCodes?: number[], logged = true): Promise<ToolResult> {
    this.binary ??= resolveHelmBinary();
    try {
      return await runTool({
        argv: [this.binary.path, ...argv.slice(1)],
        env: helmEnv(this.ctx),
        // Helm gets its own --timeout; ours is a backstop a minute later.
        timeoutMs: (timeoutSeconds + 60) * 1000,
        signal: this.ctx.signal,
        sink: this.ctx.sink,
        cluster: this.ctx.cluster,
        step: this.ctx.step,
        logFile: logged ? this.ctx.logFile : undefined,
        redactor: this.ctx.redactor,
        okExitCodes,
      });
    } catch (error) {
      throw classifyHelmError(error, what);
    }
  }

  /** The major version of the helm found (valid after {@link ensureVersion}). */
  get major(): HelmMajor {
    return this.majorVersion;
  }

  /** Where the helm binary came from (valid after {@link ensureVersion}). */
  get source(): HelmBinary['source'] | undefined {
    return this.binary?.source;
  }

  /** Checks helm is there and recent enough; returns its version. Cached per instance. */
  ensureVersion(): Promise<string> {
    this.versionChecked ??= (async () => {
      // Not written to the step log: when helm is missing, runTool would write to the
      // log after closing it on spawn failure (ENOENT), which crashes the process.
      const result = await this.exec(['helm', 'version', '--template', '{{.Version}}'], 'helm version', 30, undefined, false);
      const version = parseVersion(result.stdout);
      if (!version || !atLeast(version, HELM_MIN_VERSION)) {
        throw new WsdError('ToolMissing', `found helm ${result.stdout.trim() || 'of unknown version'}; ws-deployment needs helm >= 3.12: ${INSTALL_HINT}`, {
          details: { command: 'helm', found: result.stdout.trim() },
        });
      }
      this.majorVersion = version[0] >= 4 ? 4 : 3;
      return result.stdout.trim();
    })();
    return this.versionChecked;
  }

  /** The release as helm knows it, or undefined when it does not exist (decided by `helm list`, not by error text). */
  async status(release: string, namespace: string): Promise<HelmRelease | undefined> {
    await this.ensureVersion();
    const listed = await this.run(
      ['helm', 'list', ...this.clusterArgs(namespace), ...listAllArgs(this.majorVersion), '--filter', `^${release}$`, '--output', 'json'],
      `helm list ${release}`,
    );
    const entries = parseJsonOutput<HelmListEntry[]>(listed.stdout || '[]', 'helm list');
    const entry = entries.find((e) => e.name === release);
    if (!entry) return undefined;
    const result = await this.run(['helm', 'status', release, ...this.clusterArgs(namespace), '--output', 'json'], `helm status ${release}`);
    const status = parseJsonOutput<HelmRelease>(result.stdout, 'helm status');
    // `helm status -o json` carries no chart (helm 3.18 and 4.1 both leave it out); `helm list` names it.
    return status.chart?.metadata?.version ? status : { ...status, chart: { metadata: parseChartRef(entry.chart) } };
  }

  async history(release: string, namespace: string): Promise<HelmRevision[]> {
    const result = await this.run(
      ['helm', 'history', release, ...this.clusterArgs(namespace), '--max', '256', '--output', 'json'],
      `helm history ${release}`,
    );
    return parseJsonOutput<HelmRevision[]>(result.stdout, 'helm history');
  }

  /** `helm upgrade --install …`; returns the deployed release (with its manifest). */
  async upgradeInstall(spec: ReleaseSpec): Promise<HelmRelease> {
    await this.ensureVersion();
    const result = await this.run(upgradeArgv(spec, this.requireKubeconfig(), this.majorVersion), `helm upgrade --install ${spec.release}`, spec.timeoutSeconds);
    return parseJsonOutput<HelmRelease>(result.stdout, 'helm upgrade --install');
  }

  async rollback(release: string, namespace: string, revision: number, timeoutSeconds: number): Promise<void> {
    await this.run(
      ['helm', 'rollback', release, String(revision), ...this.clusterArgs(namespace), '--wait', '--timeout', `${timeoutSeconds}s`],
      `helm rollback ${release} ${revision}`,
      timeoutSeconds,
    );
  }

  async uninstall(release: string, namespace: string, timeoutSeconds: number): Promise<void> {
    await this.run(
      ['helm', 'uninstall', release, ...this.clusterArgs(namespace), '--wait', '--timeout', `${timeoutSeconds}s`],
      `helm uninstall ${release}`,
      timeoutSeconds,
    );
  }

  /** Lints a local chart with the release's values; returns helm's report (warnings included). */
  async lint(spec: ReleaseSpec): Promise<string> {
    const result = await this.run(lintArgv(spec), `helm lint ${spec.release}`, spec.timeoutSeconds);
    return result.stdout;
  }

  /** Renders the chart client-side; returns the manifest text. */
  async template(spec: ReleaseSpec): Promise<string> {
    const result = await this.run(templateArgv(spec), `helm template ${spec.release}`, spec.timeoutSeconds);
    return result.stdout;
  }
}
