/**
 * Whether the kubeconfig in a cluster's folder still points at that cluster. It is a cache of what
 * create-cluster wrote (kubeconfig.ts); another cluster's kubeconfig copied over it (a "gone" file put back
 * from the wrong folder, a cluster folder copied from another deployment) was used as it was, and helm
 * installed into that other cluster. The current context is what helm and client-node use, so that is compared:
 *
 * - GKE: `gcloud container clusters get-credentials` names the context, its cluster and user
 *   `gke_<project>_<location>_<cluster>` (googlecloudsdk/api_lib/container/util.py,
 *   `ClusterConfig.KUBECONTEXT_FORMAT`, `GenKubeconfig`). The name alone let a file with the right name and another
 *   server through (a cluster deleted and created again under its name, an entry edited by hand): create-cluster
 *   journals the server and CA gcloud wrote (`kubeServer`, `kubeCa`), compared as for other types; journals written
 *   before that are judged by the name alone. A current cluster not named `gke_…` was not written by gcloud and is
 *   left alone.
 * - other types: the server and CA of the current context's cluster against the `endpoint` and
 *   `ca_certificate` create-cluster journaled. Users are never compared: credentials added by hand stay.
 *
 * A file that cannot be read, is not YAML, or names no current context with a cluster is not judged here: it
 * points nowhere else, and helm says what is wrong with it.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { ClusterTarget } from '../step.js';
import { kubeconfigServer } from './kubeconfig.js';

interface Named<T> {
  name?: unknown;
  context?: T;
  cluster?: T;
}

/** The context gcloud's get-credentials writes for a cluster (regional: the location is the region). */
export function gkeContextName(project: string, region: string, name: string): string {
  return `gke_${project}_${region}_${name}`;
}

/** The current context's cluster entry: its name and fields, or undefined where the file does not say. */
function currentCluster(text: string): { name: string; server?: unknown; ca?: unknown } | undefined {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    return undefined;
  }
  if (!doc || typeof doc !== 'object') return undefined;
  const config = doc as { 'current-context'?: unknown; contexts?: unknown; clusters?: unknown };
  const entries = <T>(list: unknown): Array<Named<T>> => (Array.isArray(list) ? (list.filter((e) => e && typeof e === 'object') as Array<Named<T>>) : []);
  const context = entries<{ cluster?: unknown }>(config.contexts).find((c) => c.name === config['current-context'])?.context;
  if (typeof context?.cluster !== 'string') return undefined;
  const cluster = entries<Record<string, unknown>>(config.clusters).find((c) => c.name === context.cluster)?.cluster;
  return { name: context.cluster, server: cluster?.server, ca: cluster?.['certificate-authority-data'] };
}

/** The server and CA of the kubeconfig's current context (what gcloud wrote), for create-cluster to journal; {} where it does not say. */
export function kubeconfigTarget(path: string): { kubeServer?: string; kubeCa?: string } {
  let current;
  try {
    current = currentCluster(readFileSync(path, 'utf8'));
  } catch {
    return {};
  }
  return {
    ...(typeof current?.server === 'string' ? { kubeServer: current.server } : {}),
    ...(typeof current?.ca === 'string' ? { kubeCa: current.ca } : {}),
  };
}

/**
 * Why the kubeconfig at `path` is not `cluster`'s (words for the operator), or undefined when it is, or when the
 * file does not say (see the header). `created` is the create-cluster outputs as journaled.
 */
export function foreignKubeconfig(path: string, cluster: Pick<ClusterTarget, 'name' | 'region' | 'type'>, config: { project: { id: string } }, created: Record<string, unknown>): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const current = currentCluster(text);
  if (!current) return undefined;
  if (cluster.type === 'gke') {
    // Only a kubeconfig gcloud wrote names a GKE cluster: one written by hand (a proxy, a test API server) is the operator's choice.
    if (!current.name.startsWith('gke_')) return undefined;
    const expected = gkeContextName(config.project.id, cluster.region, cluster.name);
    if (current.name !== expected) return `its current context's cluster is ${current.name}, not ${expected} (gcloud get-credentials of ${cluster.name})`;
    const { kubeServer, kubeCa } = created;
    if (typeof kubeServer !== 'string') return undefined; // journaled by an older version: the name is all there is to compare
    if (current.server !== kubeServer) return `its current context (${current.name}) points at server ${String(current.server)}, not ${kubeServer} that create-cluster journaled`;
    if (typeof kubeCa === 'string' && typeof current.ca === 'string' && current.ca !== kubeCa) return `its current context's cluster (${current.name}, server ${kubeServer}) has another CA than create-cluster journaled`;
    return undefined;
  }
  const { endpoint, ca_certificate: ca } = created;
  if (typeof endpoint !== 'string' || typeof ca !== 'string') return undefined; // journaled by an older version: nothing to compare
  const server = kubeconfigServer(endpoint);
  if (current.server !== server) return `its current context points at server ${String(current.server)}, not ${server} that create-cluster journaled`;
  if (typeof current.ca === 'string' && current.ca !== ca) return `its current context's cluster (server ${server}) has another CA than create-cluster journaled`;
  return undefined;
}
