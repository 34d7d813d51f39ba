/**
 * Helm the way helmfile users expect: `upgrade --install --atomic --wait`, one
 * kubeconfig per cluster passed explicitly, helm's own config/cache/data dirs
 * per cluster (so parallel runs never share ~/.config/helm), machine-readable
 * output (`-o json`) instead of scraped text, and errors classified into
 * transient (API server unreachable, timeouts) and permanent (template errors).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WsdError, isWsdError } from '../core/errors.js';
import { DEFAULT_KILL_GRACE_MS, runTool, type ToolResult, type ToolScope } from './exec.js';
import { resolveHelmBinary, type HelmBinary } from './helm-binary.js';
import { lintArgv, listAllArgs, repoUpdateArgv, templateArgv, upgradeArgv } from './helm-argv.js';
import { withRepositoryConfig, type RepositoryConfig } from './helm-repo-credentials.js';
import { withSecretValues } from './helm-secret-values.js';
import { renderedHooks } from './helm-hooks.js';
import { HELM_INSTALL_HINT as INSTALL_HINT, classifyHelmError, parseJsonOutput } from './helm-errors.js';
import { BACKSTOP_SLACK_SECONDS, backstopSeconds, backstopText, hookRuns, upgradeHookRuns, type HelmCallKind, type HookList } from './helm-deadline.js';

/** The oldest helm still supported upstream when helm 4 came out; both 3.x (>= 3.12) and 4.x work. */
const HELM_MIN_VERSION = [3, 12, 0] as const;

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
  /** `--set`/`--set-string` pairs: never secret ones (helm's argv shows in `ps` and in the plan). */
  set: Readonly<Record<string, string | number | boolean>>;
  /** Secret values (nested): written to {@link secretValuesFile} (0600) for the call only, see helm-secret-values.ts. */
  secretValues?: Readonly<Record<string, unknown>>;
  /** Where the secret values file lives during a call; passed as the last `--values`. */
  secretValuesFile?: string;
  /** For a repository URL with credentials: its alias and the 0600 repositories file naming it (helm-repo-credentials.ts). */
  repositoryConfig?: RepositoryConfig;
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
  /** `last_deployed`: when this revision was created (for a pending one: when its run started), RFC 3339. */
  info: { status: string; description?: string; last_deployed?: string };
  chart?: { metadata?: { name?: string; version?: string } };
  manifest?: string;
  /** The release's hooks (omitted by helm when there are none): they bound how long helm may run. */
  hooks?: Array<{ events?: string[] }>;
}

/** The fields of one `helm list -o json` entry we read. */
interface HelmListEntry {
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
  /** When the revision was created (its `last_deployed`), RFC 3339. */
  updated?: string;
}

/** Run-scoped facts every helm call needs. */
interface HelmContext extends ToolScope {
  /** The cluster's own kubeconfig file; never the default one. Absent for client-side rendering. */
  kubeconfig?: string;
  /** Helm's config/cache/data live under this folder (per cluster). */
  homeDir: string;
  /** Added to helm's longest legitimate run before the backstop kills it (default {@link BACKSTOP_SLACK_SECONDS}). */
  backstopSlackSeconds?: number;
}

/** How long a call may run: its kind, helm's --timeout, and the hook runs it may make. */
interface CallBound {
  kind: HelmCallKind;
  timeoutSeconds: number;
  hooks?: number;
  /** Called right before helm starts, with how long it may run at most (backstop plus kill grace), for the caller to journal. */
  beforeStart?: BeforeStart;
}

/**
 * Told right before a mutating helm call starts, with the most it may run (ms: its backstop plus
 * the kill grace): the step journals then what the call will create, and until when (pending-release.ts).
 */
export type BeforeStart = (boundMs: number) => Promise<void>;

/**
 * Helm's own release-storage settings, passed through from our environment when
 * the operator set them: `HELM_DRIVER` (secret, configmap, sql) and, for sql, its
 * connection string. Everything else helm reads from the environment is ours.
 */
const HELM_STORAGE_ENV = ['HELM_DRIVER', 'HELM_DRIVER_SQL_CONNECTION_STRING'] as const;

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

/**
 * The major version of the helm a deploy would run, for `plan` to show that helm's
 * flags (`--atomic` or `--rollback-on-failure`). `helm version` reads nothing under
 * its home dir, so an unused temp path keeps plan free of side effects. Undefined
 * when there is no usable helm: deploy would stop on that with the fix.
 */
export async function installedHelmMajor(signal?: AbortSignal): Promise<HelmMajor | undefined> {
  const helm = new Helm({ homeDir: join(tmpdir(), 'ws-deployment-plan-helm'), signal });
  try {
    await helm.ensureVersion();
    return helm.major;
  } catch {
    return undefined;
  }
}

/** What a mutating helm call works on, as journaled with its child (see child-journal.ts). */
function releaseTarget(release: string, namespace: string): string {
  return `release ${release} in namespace ${namespace}`;
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

  /** Runs `helm …` (argv includes "helm"); errors are classified. `target`: the release a mutating call works on (runTool's). */
  async run(argv: string[], what: string, timeoutSeconds: number | CallBound = 300, okExitCodes?: number[], target?: string): Promise<ToolResult> {
    await this.ensureVersion();
    const bound = typeof timeoutSeconds === 'number' ? { kind: 'other' as const, timeoutSeconds } : timeoutSeconds;
    return this.exec(argv, what, bound, okExitCodes, true, target);
  }

  private async exec(argv: string[], what: string, bound: CallBound, okExitCodes?: number[], logged = true, target?: string): Promise<ToolResult> {
    this.binary ??= resolveHelmBinary();
    // Helm bounds each of its waits with --timeout, not the whole run (helm-deadline.ts): the backstop
    // allows every wait helm may legitimately make, so it only ever stops a helm that hangs.
    const hooks = bound.hooks ?? 0;
    const backstop = backstopSeconds(bound.kind, bound.timeoutSeconds, hooks, this.ctx.backstopSlackSeconds ?? BACKSTOP_SLACK_SECONDS);
    await bound.beforeStart?.(backstop * 1000 + DEFAULT_KILL_GRACE_MS);
    try {
      return await runTool({
        argv: [this.binary.path, ...argv.slice(1)],
        env: helmEnv(this.ctx),
        timeoutMs: backstop * 1000,
        signal: this.ctx.signal,
        sink: this.ctx.sink,
        cluster: this.ctx.cluster,
        step: this.ctx.step,
        logFile: logged ? this.ctx.logFile : undefined,
        redactor: this.ctx.redactor,
        okExitCodes,
        target,
      });
    } catch (error) {
      if (target !== undefined && isWsdError(error) && error.code === 'ToolTimeout') {
        // A mutating call past its own limits: retrying would find the release pending (maybe at a
        // rollback revision no journal names), so this is for a human, said as what helm was doing.
        throw new WsdError('ToolTimeout', `${what} on ${target}: ${backstopText(bound.kind, bound.timeoutSeconds, hooks, backstop)}`, {
          transient: false,
          details: error.details,
          cause: error,
        });
      }
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
      const result = await this.exec(['helm', 'version', '--template', '{{.Version}}'], 'helm version', { kind: 'other', timeoutSeconds: 30 }, undefined, false);
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
    if (this.majorVersion >= 4) return this.storedStatus(release, namespace, entry);
    const result = await this.run(['helm', 'status', release, ...this.clusterArgs(namespace), '--output', 'json'], `helm status ${release}`);
    const status = parseJsonOutput<HelmRelease>(result.stdout, 'helm status');
    // `helm status -o json` carries no chart (helm 3.18 and 4.1 both leave it out); `helm list` names it.
    return status.chart?.metadata?.version ? status : { ...status, chart: { metadata: parseChartRef(entry.chart) } };
  }

  /**
   * helm 4's `status` also reads every resource of the release from the API server (it has no
   * `--show-resources` to turn that off), so an API server slow to list them holds it up to its bound.
   * What the step decides on is in the release storage: the latest revision's status, description and
   * time from `helm history --max 1`, its hooks from `helm get hooks`; the chart from `helm list`.
   */
  private async storedStatus(release: string, namespace: string, entry: HelmListEntry): Promise<HelmRelease> {
    const result = await this.run(['helm', 'history', release, ...this.clusterArgs(namespace), '--max', '1', '--output', 'json'], `helm history ${release} --max 1`);
    const latest = parseJsonOutput<HelmRevision[]>(result.stdout, 'helm history').at(-1);
    if (!latest) throw new WsdError('ToolFailed', `helm history ${release} --max 1 showed no revision of release ${release} in namespace ${namespace}, which helm list shows; run again`, { transient: true });
    const { hooks } = (await this.hooksAt(release, namespace, latest.revision)) ?? {};
    return {
      name: release,
      namespace,
      version: latest.revision,
      info: { status: latest.status, description: latest.description, last_deployed: latest.updated },
      chart: { metadata: parseChartRef(entry.chart) },
      ...(hooks && hooks.length > 0 ? { hooks } : {}),
    };
  }

  /** The hooks helm stored with one revision of the release (`helm status --revision`; helm 4: `helm get hooks`, which reads no resources). */
  async hooksAt(release: string, namespace: string, revision: number): Promise<HookList> {
    await this.ensureVersion();
    if (this.majorVersion >= 4) {
      const hooks = await this.run(['helm', 'get', 'hooks', release, ...this.clusterArgs(namespace), '--revision', String(revision)], `helm get hooks ${release} --revision ${revision}`);
      return renderedHooks(hooks.stdout);
    }
    const result = await this.run(['helm', 'status', release, ...this.clusterArgs(namespace), '--revision', String(revision), '--output', 'json'], `helm status ${release} --revision ${revision}`);
    return { hooks: parseJsonOutput<HelmRelease>(result.stdout, 'helm status').hooks };
  }

  async history(release: string, namespace: string): Promise<HelmRevision[]> {
    const result = await this.run(
      ['helm', 'history', release, ...this.clusterArgs(namespace), '--max', '256', '--output', 'json'],
      `helm history ${release}`,
    );
    return parseJsonOutput<HelmRevision[]>(result.stdout, 'helm history');
  }

  /**
   * `helm upgrade --install …`; returns the deployed release (with its manifest). How long helm may
   * run (helm-deadline.ts) counts the hooks of the chart it installs and the rollback hooks of
   * `current`, the release as helm stored it, which an atomic rollback goes back to. The chart is
   * rendered first (`helm template`) to count its hooks, for an upgrade too: a chart version that
   * adds hooks runs them, which the stored release's do not tell. The larger of the two counts is
   * taken, as a render without the cluster (no `lookup`, default capabilities) may show fewer.
   */
  async upgradeInstall(spec: ReleaseSpec, current?: Pick<HelmRelease, 'hooks'>, beforeStart?: BeforeStart): Promise<HelmRelease> {
    await this.ensureVersion();
    const result = await this.withChart(spec, async () => {
      const chart = await this.chartHooks(spec);
      const hooks = Math.max(upgradeHookRuns(chart, current), current ? upgradeHookRuns(current, current) : 0);
      const bound: CallBound = { kind: 'upgrade', timeoutSeconds: spec.timeoutSeconds, hooks, beforeStart };
      return this.run(upgradeArgv(spec, this.requireKubeconfig(), this.majorVersion), `helm upgrade --install ${spec.release}`, bound, undefined, releaseTarget(spec.release, spec.namespace));
    });
    return parseJsonOutput<HelmRelease>(result.stdout, 'helm upgrade --install');
  }

  /** The hooks the chart of `spec` renders, as helm will install them (helm-hooks.ts); called inside {@link withChart}. */
  private async chartHooks(spec: ReleaseSpec): Promise<HookList> {
    const rendered = await this.run(templateArgv(spec), `helm template ${spec.release} (to count its hooks)`, spec.timeoutSeconds);
    return renderedHooks(rendered.stdout);
  }

  /** `current`: the release as helm stored it, whose hooks bound how long helm may run. */
  async rollback(release: string, namespace: string, revision: number, timeoutSeconds: number, current?: Pick<HelmRelease, 'hooks'>, beforeStart?: BeforeStart): Promise<void> {
    await this.run(
      ['helm', 'rollback', release, String(revision), ...this.clusterArgs(namespace), '--wait', '--timeout', `${timeoutSeconds}s`],
      `helm rollback ${release} ${revision}`,
      { kind: 'rollback', timeoutSeconds, hooks: hookRuns(current, 'rollback'), beforeStart },
      undefined,
      releaseTarget(release, namespace),
    );
  }

  /** `current`: the release as helm stored it, whose hooks bound how long helm may run. */
  async uninstall(release: string, namespace: string, timeoutSeconds: number, current?: Pick<HelmRelease, 'hooks'>): Promise<void> {
    await this.run(
      ['helm', 'uninstall', release, ...this.clusterArgs(namespace), '--wait', '--timeout', `${timeoutSeconds}s`],
      `helm uninstall ${release}`,
      { kind: 'uninstall', timeoutSeconds, hooks: hookRuns(current, 'uninstall') },
      undefined,
      releaseTarget(release, namespace),
    );
  }

  /**
   * Runs `call` with the files a release's chart and values need in place: the secret values
   * file, and for a repository with credentials the repositories file, whose index
   * `helm repo update` fetches first (the chart is then `<alias>/<chart>`).
   */
  private withChart<T>(spec: ReleaseSpec, call: () => Promise<T>): Promise<T> {
    const config = spec.repositoryConfig;
    return withSecretValues(spec, () =>
      withRepositoryConfig(spec.chart, config, async () => {
        if (config !== undefined) {
          await this.ensureVersion(); // the flags of `repo update` differ between helm 3 and 4
          await this.run(repoUpdateArgv(config, this.majorVersion), `helm repo update for ${spec.release}'s chart repository`, spec.timeoutSeconds);
        }
        return call();
      }),
    );
  }

  /** Lints a local chart with the release's values; returns helm's report (warnings included). */
  async lint(spec: ReleaseSpec): Promise<string> {
    const result = await withSecretValues(spec, () => this.run(lintArgv(spec), `helm lint ${spec.release}`, spec.timeoutSeconds));
    return result.stdout;
  }

  /** Renders the chart client-side; returns the manifest text. */
  async template(spec: ReleaseSpec): Promise<string> {
    const result = await this.withChart(spec, () => this.run(templateArgv(spec), `helm template ${spec.release}`, spec.timeoutSeconds));
    return result.stdout;
  }
}
