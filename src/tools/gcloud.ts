/**
 * The gcloud calls ws-deployment makes: "does this GKE cluster exist?" (the
 * CreateCluster pre-run check) and "write a kubeconfig for it". Argv only, no
 * shell; credentials reach gcloud through `CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE`
 * for that one process, never through our own environment or `gcloud auth`.
 * "Absent" is only ever concluded from gcloud's own NOT_FOUND for that cluster:
 * an auth, permission or network failure is an error, because treating it as
 * "absent" would let a re-run create a duplicate cluster.
 */
import { chmod, mkdir, open } from 'node:fs/promises';
import { dirname, isAbsolute } from 'node:path';
import { WsdError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { gkeNameProblem } from '../names/names.js';
import { ToolFailedError, runTool, type ToolScope } from './exec.js';

interface GcloudCallOptions extends ToolScope {
  /** Service-account key file; used by this gcloud process only. */
  credFile?: string;
  /** More variables for the gcloud process (e.g. CLOUDSDK_CONFIG for an isolated config dir). */
  env?: Record<string, string>;
  /** Default 5 minutes. */
  timeoutMs?: number;
  /** gcloud binary on PATH. Default `gcloud`. */
  binary?: string;
}

interface ClusterRef {
  name: string;
  project: string;
  region: string;
}

type DescribeResult = { exists: false } | { exists: true; cluster: Record<string, unknown> };

/** Refuses values that are not GCP names: they go into argv, and a leading dash would be read as a flag. */
function assertRef(ref: ClusterRef): void {
  const problem = gkeNameProblem(ref.name);
  if (problem) throw new WsdError('ConfigInvalid', `cluster name: ${problem}`);
  if (!/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/.test(ref.project)) {
    throw new WsdError('ConfigInvalid', `gcp project "${ref.project}" is not a project id; use the id (e.g. my-project-123), not the display name`);
  }
  if (!/^[a-z]+-[a-z]+[0-9]+$/.test(ref.region)) {
    throw new WsdError('ConfigInvalid', `gcp region "${ref.region}" is not a region such as europe-west1`);
  }
}

function gcloudEnv(options: GcloudCallOptions, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...options.env,
    ...extra,
    // gcloud must never stop to ask a question in CI.
    CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
    ...(options.credFile ? { CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE: options.credFile } : {}),
  };
}

/** Drops the tool's stdout lines (cluster descriptions are long and may hold legacy client keys). */
function withoutStdout(sink: EventSink | undefined): EventSink | undefined {
  if (!sink) return undefined;
  return { emit: (event) => (event.code === 'tool.stdout' ? undefined : sink.emit(event)) };
}

/** True when gcloud's error says that exactly this cluster does not exist. */
export function isClusterNotFound(stderr: string, ref: ClusterRef): boolean {
  const notFound = /\bcode=404\b|\bNOT_FOUND\b|\bNot found: projects\//.test(stderr);
  const names = new RegExp(`/clusters/${ref.name.replace(/-/g, '\\-')}(?![-a-z0-9])`).test(stderr);
  return notFound && names;
}

/** The arguments of the existence check (also shown by `plan`). */
export function describeArgs(ref: ClusterRef): string[] {
  return ['container', 'clusters', 'describe', ref.name, '--project', ref.project, '--region', ref.region, '--format=json'];
}

/** The arguments that write a cluster's kubeconfig (also shown by `plan`). */
export function getCredentialsArgs(ref: ClusterRef): string[] {
  return ['container', 'clusters', 'get-credentials', ref.name, '--project', ref.project, '--region', ref.region];
}

/**
 * `gcloud container clusters describe NAME --project P --region R --format=json`.
 * Resolves `{ exists: false }` only on gcloud's NOT_FOUND for this cluster; any
 * other failure rejects with a ToolFailed error that says what went wrong.
 */
export async function describeCluster(ref: ClusterRef & GcloudCallOptions): Promise<DescribeResult> {
  assertRef(ref);
  const argv = [ref.binary ?? 'gcloud', ...describeArgs(ref)];
  try {
    const result = await runTool({
      argv,
      env: gcloudEnv(ref),
      timeoutMs: ref.timeoutMs ?? 5 * 60_000,
      signal: ref.signal,
      sink: withoutStdout(ref.sink),
      cluster: ref.cluster,
      step: ref.step,
      redactor: ref.redactor,
    });
    let cluster: unknown;
    try {
      cluster = JSON.parse(result.stdout);
    } catch (error) {
      throw new WsdError('ToolFailed', `gcloud describe of cluster ${ref.name} printed something that is not JSON; check the gcloud installation`, { cause: error });
    }
    if (!cluster || typeof cluster !== 'object' || Array.isArray(cluster)) {
      throw new WsdError('ToolFailed', `gcloud describe of cluster ${ref.name} printed no cluster object; check the gcloud installation`);
    }
    return { exists: true, cluster: cluster as Record<string, unknown> };
  } catch (error) {
    if (error instanceof ToolFailedError && error.code === 'ToolFailed' && isClusterNotFound(error.stderr, ref)) {
      return { exists: false };
    }
    if (error instanceof ToolFailedError) {
      const reason = gcloudReason(error.stderr || error.stdout);
      throw new WsdError(
        'ToolFailed',
        `could not tell whether cluster ${ref.name} exists in project ${ref.project} (${ref.region}): ${reason}; check the gcp credentials and permissions (container.clusters.get) and the network`,
        { cause: error, details: { exitCode: error.exitCode, argv: error.details.argv } },
      );
    }
    throw error;
  }
}

/** The `ERROR: (gcloud.…) …` line, which says why gcloud failed. */
function gcloudReason(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => l.startsWith('ERROR:')) ?? lines.slice(-1)[0] ?? 'gcloud failed without a message';
}

/**
 * `gcloud container clusters get-credentials` into `kubeconfigPath` (created with
 * mode 0600) through `KUBECONFIG`, so ~/.kube/config is never touched.
 */
export async function getCredentials(ref: ClusterRef & GcloudCallOptions & { kubeconfigPath: string }): Promise<{ kubeconfigPath: string }> {
  assertRef(ref);
  if (!isAbsolute(ref.kubeconfigPath)) {
    throw new WsdError('Internal', `kubeconfig path "${ref.kubeconfigPath}" must be absolute`, { source: 'internal' });
  }
  await mkdir(dirname(ref.kubeconfigPath), { recursive: true, mode: 0o700 });
  // Create it 0600 before gcloud writes client credentials into it.
  await (await open(ref.kubeconfigPath, 'a', 0o600)).close();
  await chmod(ref.kubeconfigPath, 0o600);
  const argv = [ref.binary ?? 'gcloud', ...getCredentialsArgs(ref)];
  try {
    await runTool({
      argv,
      env: gcloudEnv(ref, { KUBECONFIG: ref.kubeconfigPath, USE_GKE_GCLOUD_AUTH_PLUGIN: 'True' }),
      timeoutMs: ref.timeoutMs ?? 5 * 60_000,
      signal: ref.signal,
      sink: ref.sink,
      cluster: ref.cluster,
      step: ref.step,
      logFile: ref.logFile,
      redactor: ref.redactor,
    });
  } catch (error) {
    if (error instanceof ToolFailedError) {
      throw new WsdError('ToolFailed', `could not fetch credentials of cluster ${ref.name}: ${gcloudReason(error.stderr || error.stdout)}; check that the cluster exists and the credentials may read it`, {
        cause: error,
        details: { exitCode: error.exitCode },
      });
    }
    throw error;
  }
  await chmod(ref.kubeconfigPath, 0o600);
  return { kubeconfigPath: ref.kubeconfigPath };
}
