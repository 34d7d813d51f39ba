/**
 * `@kubernetes/client-node` is loaded lazily and once: it costs ~0.4 s to
 * import, and most commands (validate, plan, the sandbox) never talk to a
 * Kubernetes API.
 */
import type * as K8s from '@kubernetes/client-node';

type KubeModule = typeof K8s;

let loading: Promise<KubeModule> | undefined;

/** The client library, loaded on first use. */
export function kubeModule(): Promise<KubeModule> {
  loading ??= import('@kubernetes/client-node');
  return loading;
}
