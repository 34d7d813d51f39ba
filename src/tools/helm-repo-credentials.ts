/**
 * Credentials of a chart repository (`https://user:pass@host/charts`) reach helm in a
 * repositories file, never in its argv: `--repo URL` or `--username/--password` would
 * show them in `ps` and /proc/PID/cmdline to every user of the machine. Helm has no
 * `--password-stdin` for `upgrade`/`template`, and `--repo` fetches the index with the
 * flags' credentials only, so the repository is named instead: a 0600 repositories file
 * (helm's own `repositories.yaml` format) lists it with its username and password under
 * an alias, `helm repo update <alias>` fetches its index into helm's per-cluster cache,
 * and the chart is referenced as `<alias>/<chart>` (checked offline against real helm
 * 3.18 and 4.1 with a basic-auth repository on 127.0.0.1). The file lives in the
 * cluster's state folder for the call only, as the secret values file does.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { ChartSource } from './helm.js';
import { writePrivate } from './helm-secret-values.js';

/** A repository URL split into where it is and who logs in. */
export interface RepoCredentials {
  /** The URL without its userinfo. */
  url: string;
  username: string;
  password: string;
}

/** The credentials in an http(s) repository URL, or undefined when it holds none (or is oci:// or not a URL). */
export function repoCredentials(repository: string | undefined): RepoCredentials | undefined {
  if (repository === undefined || !/^https?:\/\//i.test(repository)) return undefined;
  let url: URL;
  try {
    url = new URL(repository);
  } catch {
    return undefined;
  }
  if (url.username === '' && url.password === '') return undefined;
  const username = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  url.username = '';
  url.password = '';
  return { url: url.toString().replace(/\/+$/, ''), username, password };
}

/** The name the repositories file gives a release's repository (`<alias>/<chart>` in argv). */
export function repoAlias(release: string): string {
  return `ws-deployment-${release}`;
}

/** Where a release's repositories file lives while helm runs (in the cluster's private state folder). */
export function repositoriesPath(clusterDir: string, release: string): string {
  return join(clusterDir, 'values', `${release}.secret-repositories.yaml`);
}

/** What a release with repository credentials passes helm: its alias and the file. */
export interface RepositoryConfig {
  alias: string;
  file: string;
}

/** The repositories file's text: helm's `repositories.yaml` with the one entry. */
function repositoriesYaml(alias: string, credentials: RepoCredentials): string {
  return stringify({
    apiVersion: '',
    generated: '0001-01-01T00:00:00Z',
    repositories: [{ name: alias, url: credentials.url, username: credentials.username, password: credentials.password }],
  });
}

/** Runs `call` with the repositories file in place (0600), removing it afterwards whatever the outcome. */
export async function withRepositoryConfig<T>(chart: ChartSource, config: RepositoryConfig | undefined, call: () => Promise<T>): Promise<T> {
  const credentials = repoCredentials(chart.repository);
  if (config === undefined || credentials === undefined) return call();
  writePrivate(config.file, repositoriesYaml(config.alias, credentials));
  try {
    return await call();
  } finally {
    rmSync(config.file, { force: true });
  }
}
