/**
 * Kubernetes access for the registry code: kubeconfig loading (the lazy module
 * and API error mapping are `tools/kube/`'s). `@kubernetes/client-node` is imported
 * lazily, like grpc: commands that never touch a cluster must not pay for it at start-up.
 */
import type * as K8s from '@kubernetes/client-node';
import { WsdError } from '../core/errors.js';
import { kubeModule } from '../tools/kube/kube-module.js';

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
