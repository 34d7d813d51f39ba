/**
 * The argv of each helm command the tool runs (and `plan` shows), for helm 3 and 4:
 * pure functions, so the flags are tested against both real binaries' `--help`
 * without running a release.
 */
import type { ChartSource, HelmMajor, ReleaseSpec } from './helm.js';
import { repoCredentials, type RepositoryConfig } from './helm-repo-credentials.js';

/** `helm list` of every status: helm 3 needs `--all`; helm 4 lists all by default and has no `--all` (read from both binaries' `list --help`). */
export function listAllArgs(major: HelmMajor): string[] {
  return major >= 4 ? [] : ['--all'];
}

/**
 * `[chart reference, --repo URL, --version V]` for a chart source. A repository with
 * credentials is named by its alias in a 0600 repositories file instead (`<alias>/<chart>
 * --repository-config <file>`, see helm-repo-credentials.ts): its URL never reaches argv.
 */
export function chartArgs(chart: ChartSource, repositoryConfig?: RepositoryConfig): string[] {
  const args: string[] = [];
  if (chart.path !== undefined) args.push(chart.path);
  else if (chart.repository?.startsWith('oci://')) args.push(`${chart.repository.replace(/\/+$/, '')}/${chart.name}`);
  else if (repositoryConfig !== undefined && repoCredentials(chart.repository)) args.push(`${repositoryConfig.alias}/${chart.name}`, '--repository-config', repositoryConfig.file);
  else args.push(chart.name, '--repo', chart.repository ?? '');
  if (chart.version !== undefined) args.push('--version', chart.version);
  return args;
}

/**
 * Escapes a `--set-string` value for helm's strvals parser: commas separate pairs, and a
 * value opening with `{` is a list to it (`--set-string k={a}` gives `["a"]`, real helm 3.18
 * and 4.1 alike), so a leading `{` is escaped too (`\{` reads back as `{`).
 */
function escapeSetValue(value: string): string {
  const escaped = value.replace(/\\/g, '\\\\').replace(/,/g, '\\,');
  return escaped.startsWith('{') ? `\\${escaped}` : escaped;
}

/**
 * `--set`/`--set-string`/`--set-json` pairs in a stable (sorted) order; strings stay strings,
 * numbers numbers. `--set` types only int64 and bool values: `--set k=0.5` (or `1e+21`) gives
 * the string "0.5", so a number that is not a safe integer goes as `--set-json` (helm >= 3.10).
 * Helm applies `--set-json`, then `--set`, then `--set-string` whatever the argv order; the
 * config refuses overlapping keys (config.ts), so that order never decides a value.
 */
export function setArgs(set: Readonly<Record<string, string | number | boolean>>): string[] {
  const args: string[] = [];
  for (const key of Object.keys(set).sort()) {
    const value = set[key];
    if (typeof value === 'string') args.push('--set-string', `${key}=${escapeSetValue(value)}`);
    else if (typeof value === 'number' && !Number.isSafeInteger(value)) args.push('--set-json', `${key}=${JSON.stringify(value)}`);
    else args.push('--set', `${key}=${String(value)}`);
  }
  return args;
}

/**
 * One `--values` path as helm reads it: the flag is a string slice, which helm 3 and 4 parse
 * as one CSV record, so `/a,b/v.yaml` would be the two files `/a` and `b/v.yaml`. A path
 * holding a comma or a double quote is quoted CSV style (real helm reads it whole). Control
 * characters helm refuses in any case (it parses each path as a URL first).
 */
function valuesPathArg(file: string): string {
  return /[",]/.test(file) ? `"${file.replace(/"/g, '""')}"` : file;
}

/** `--values` for each values file, then the secret values file (its path only: the values never reach argv). */
function valuesArgs(spec: Pick<ReleaseSpec, 'valuesFiles' | 'secretValuesFile'>): string[] {
  const files = spec.secretValuesFile === undefined ? spec.valuesFiles : [...spec.valuesFiles, spec.secretValuesFile];
  return files.flatMap((file) => ['--values', valuesPathArg(file)]);
}

/**
 * Roll back a failed upgrade and wait for readiness. Helm 4 deprecated `--atomic`
 * for `--rollback-on-failure` (both imply waiting; `--wait` alone means helm 4's
 * "watcher" strategy, the closest to helm 3's `--wait`).
 */
export function atomicFlags(major: HelmMajor): string[] {
  return major >= 4 ? ['--rollback-on-failure', '--wait'] : ['--atomic', '--wait'];
}

/** The full `helm upgrade --install` argv (also shown by `plan`, for the major of the helm found; helm 3 when none). */
export function upgradeArgv(spec: ReleaseSpec, kubeconfig: string, major: HelmMajor = 3): string[] {
  return [
    'helm', 'upgrade', '--install', spec.release, ...chartArgs(spec.chart, spec.repositoryConfig),
    '--kubeconfig', kubeconfig,
    '--namespace', spec.namespace, '--create-namespace',
    ...atomicFlags(major), '--timeout', `${spec.timeoutSeconds}s`,
    '--reset-values', '--history-max', '10',
    '--description', spec.description,
    ...valuesArgs(spec), ...setArgs(spec.set),
    '--output', 'json',
  ];
}

/** `helm lint` of the chart with the release's values (local charts only: lint needs a chart folder). */
export function lintArgv(spec: ReleaseSpec): string[] {
  return ['helm', 'lint', spec.chart.path ?? '', '--namespace', spec.namespace, ...valuesArgs(spec), ...setArgs(spec.set)];
}

/**
 * `helm repo update <alias>`: fetches the index of a repository with credentials into helm's
 * cache, from the repositories file. Helm 3.18 exits 0 when the fetch fails (a 401, say) unless
 * `--fail-on-repo-update-fail`; helm 4.1 fails by default and has no such flag (both binaries).
 */
export function repoUpdateArgv(repositoryConfig: RepositoryConfig, major: HelmMajor = 3): string[] {
  return ['helm', 'repo', 'update', repositoryConfig.alias, '--repository-config', repositoryConfig.file, ...(major >= 4 ? [] : ['--fail-on-repo-update-fail'])];
}

/** Client-side rendering (`--dry-run`, sandbox clusters): no cluster contact. */
export function templateArgv(spec: ReleaseSpec): string[] {
  return [
    'helm', 'template', spec.release, ...chartArgs(spec.chart, spec.repositoryConfig),
    '--namespace', spec.namespace,
    ...valuesArgs(spec), ...setArgs(spec.set),
  ];
}
