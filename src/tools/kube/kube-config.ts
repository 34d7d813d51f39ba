/**
 * Kubernetes API access for one cluster. The kubeconfig always comes from the
 * cluster's own file (written by create-cluster); the default ~/.kube/config is
 * never read, so two clusters deployed in parallel can never cross.
 */
import { existsSync } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';
import { WsdError, isWsdError } from '../../core/errors.js';
import { setRunningTimeout } from '../../core/job-pause.js';
import { kubeModule } from './kube-module.js';


/** Loads the cluster's kubeconfig file (and nothing else). */
export async function loadClusterKubeConfig(file: string): Promise<KubeConfig> {
  if (!existsSync(file)) {
    throw new WsdError('KubernetesError', `kubeconfig ${file} does not exist; run create-cluster for this cluster first`, { details: { file } });
  }
  const kc = new (await kubeModule()).KubeConfig();
  try {
    kc.loadFromFile(file);
  } catch (error) {
    throw new WsdError('KubernetesError', `kubeconfig ${file} cannot be loaded: ${(error as Error).message}`, { details: { file }, cause: error });
  }
  if (!kc.getCurrentCluster()) {
    throw new WsdError('KubernetesError', `kubeconfig ${file} has no current cluster; set current-context in it`, { details: { file } });
  }
  return kc;
}

/** Network-level failures of the HTTP client (node-fetch `FetchError`, Node socket errors). */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'EPIPE']);

/** What to do about an API answer, by HTTP status. */
function hintFor(status: number): string {
  if (status === 401 || status === 403) return 'the credentials of this kubeconfig context are not allowed to do this; refresh them or use another context';
  if (status === 404) return 'it does not exist; check the namespace and name';
  if (status === 429 || status >= 500) return 'the API server is overloaded or failing; will be retried';
  return 'see the Kubernetes API server logs';
}

/**
 * Maps a client-node failure to a WsdError with what to do next. Transient: an
 * unreachable API server (network errors), 429 and 5xx; everything else (bad
 * kubeconfig, 4xx) is permanent, so it is not retried in vain.
 */
export function kubeError(error: unknown, what: string): WsdError {
  if (isWsdError(error)) return error;
  const status = httpStatus(error);
  if (status !== undefined) {
    const body = (error as { body?: unknown }).body as { message?: string } | string | undefined;
    const message = typeof body === 'object' && body?.message ? body.message : `HTTP ${status}`;
    return new WsdError('KubernetesError', `${what} failed: ${firstLine(message)} (HTTP ${status}); ${hintFor(status)}`, {
      transient: status === 429 || status >= 500,
      details: { status },
      cause: error,
    });
  }
  const code = (error as { code?: string; errno?: string }).code ?? (error as { errno?: string }).errno;
  const message = error instanceof Error ? error.message : String(error);
  const transient = (code !== undefined && NETWORK_CODES.has(code)) || /socket hang up|network timeout/i.test(message);
  const hint = transient ? 'the Kubernetes API is unreachable, will be retried' : 'check the kubeconfig and its context';
  return new WsdError('KubernetesError', `${what} failed: ${firstLine(message)} (${hint})`, {
    transient,
    details: { code },
    cause: error,
  });
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/** HTTP status of a client-node error, if it has one. */
export function httpStatus(error: unknown): number | undefined {
  // client-node's ApiException (matched by shape: the library is loaded lazily).
  if (error instanceof Error && error.name === 'ApiException') return (error as Error & { code?: number }).code;
  const e = error as { code?: unknown; body?: unknown; headers?: unknown } | undefined;
  return e && typeof e === 'object' && typeof e.code === 'number' && 'body' in e && 'headers' in e ? e.code : undefined;
}

/**
 * Bounds one API call: the generated client has no request timeout, and a
 * black-holed API server would otherwise hang a step forever. Running time: a
 * call in flight across a Ctrl-Z is not failed on `fg` before its answer is read.
 */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let clear: (() => void) | undefined;
  const deadline = new Promise<never>((_, reject) => {
    clear = setRunningTimeout(() => reject(new WsdError('KubernetesError', `${what} got no answer within ${Math.round(ms / 1000)} s`, { transient: true })), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clear?.();
  }
}

