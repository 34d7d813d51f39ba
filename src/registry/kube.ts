/**
 * Kubernetes access for the registry code: kubeconfig loading and API error
 * mapping. `@kubernetes/client-node` is imported lazily, like grpc: commands
 * that never touch a cluster must not pay for it at start-up.
 */
import type * as K8s from '@kubernetes/client-node';
import { WsdError } from '../core/errors.js';
import { kubeModule } from '../tools/kube/kube-module.js';

export { kubeModule, type KubeModule } from '../tools/kube/kube-module.js';

/** Where to find a cluster's API: a kubeconfig file (default $KUBECONFIG / ~/.kube/config) and a context. */
export interface KubeTarget {
  kubeconfig?: string;
  context?: string;
}

/** Loads a kubeconfig and selects the context; names the file and the contexts it has when the context is missing. */
export async function loadKubeConfig(target: KubeTarget): Promise<K8s.KubeConfig> {
  const k8s = await kubeModule();
  const kc = new k8s.KubeConfig();
  const source = target.kubeconfig ?? 'the default kubeconfig ($KUBECONFIG or ~/.kube/config)';
  try {
    if (target.kubeconfig) kc.loadFromFile(target.kubeconfig);
    else kc.loadFromDefault();
  } catch (error) {
    throw new WsdError('ConfigInvalid', `cannot load ${source}: ${(error as Error).message}; check the kubeconfig path`, { cause: error });
  }
  if (target.context) {
    const names = kc.getContexts().map((c) => c.name);
    if (!names.includes(target.context)) {
      throw new WsdError(
        'ConfigInvalid',
        `context "${target.context}" is not in ${source}; it has ${names.length ? names.join(', ') : 'no contexts'}`,
      );
    }
    kc.setCurrentContext(target.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new WsdError('ConfigInvalid', `${source} selects no cluster; set "context" to one of its contexts`);
  }
  return kc;
}

/** Maps a client-node failure (ApiException with an HTTP code, or a network error) to a WsdError. */
export function kubeError(error: unknown, what: string): WsdError {
  if (error instanceof WsdError) return error;
  const code = (error as { code?: unknown }).code;
  const status = typeof code === 'number' ? code : undefined;
  const message = (error as Error)?.message ?? String(error);
  const hint =
    status === 401 || status === 403
      ? 'the credentials of this kubeconfig context are not allowed to do this; refresh them or use another context'
      : status === 404
        ? 'it does not exist; check the namespace and name'
        : status === undefined
          ? 'the Kubernetes API is unreachable; check the context and your network'
          : 'see the Kubernetes API server logs';
  return new WsdError('KubernetesError', `${what} failed${status ? ` (HTTP ${status})` : ''}: ${firstLine(message)}; ${hint}`, {
    transient: status === undefined || status >= 500 || status === 429,
    details: { httpStatus: status },
    cause: error,
  });
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
