/**
 * A per-cluster kubeconfig in the state dir. Never ~/.kube/config: parallel
 * clusters must never share (or clobber) one kubeconfig.
 *
 * It is a cache, like the snapshot: GKE's comes from `gcloud … get-credentials`,
 * another type's from its module's `endpoint` and `ca_certificate` outputs, which
 * create-cluster journals for that reason. So a later step finding it gone (a
 * state dir restored without it, a run journaled in PostgreSQL resumed in a fresh
 * work dir) writes it again instead of failing with a fix `resume` cannot carry out.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { WsdError } from '../../core/errors.js';
import { getCredentials } from '../../tools/gcloud.js';
import type { StepContext } from '../step.js';

export function kubeconfigPath(clusterDir: string): string {
  return join(clusterDir, 'kubeconfig');
}

/** Module outputs a non-GKE cluster's kubeconfig is written from (public: the API address and its CA). */
export const KUBECONFIG_OUTPUTS = ['endpoint', 'ca_certificate'] as const;

type KubeconfigContext = Pick<StepContext, 'cluster' | 'config' | 'sink' | 'signal' | 'logFile' | 'redactor'>;

/** Writes `path` for `ctx.cluster`: with gcloud for GKE, else from the module's `outputs` (live or journaled). */
export async function writeClusterKubeconfig(ctx: KubeconfigContext, path: string, outputs: Record<string, unknown>): Promise<void> {
  if (ctx.cluster.type === 'gke') {
    await getCredentials({ name: ctx.cluster.name, project: ctx.config.project.id, region: ctx.cluster.region, kubeconfigPath: path, credFile: ctx.config.project.gcpSACredFile, sink: ctx.sink, signal: ctx.signal, logFile: ctx.logFile, redactor: ctx.redactor });
    return;
  }
  const { endpoint, ca_certificate: ca } = outputs;
  if (typeof endpoint !== 'string' || typeof ca !== 'string') {
    throw new WsdError('ToolFailed', `the terraform module of ${ctx.cluster.name} did not output endpoint and ca_certificate; a ${ctx.cluster.type} cluster module must`);
  }
  writeKubeconfigFromOutputs(path, { name: ctx.cluster.name, endpoint, caCertificate: ca });
}

/** The server URL a kubeconfig gets for a module's `endpoint` (an address, or a URL as it is). */
export function kubeconfigServer(endpoint: string): string {
  return /^https?:\/\//.test(endpoint) ? endpoint : `https://${endpoint}`;
}

/** Writes a kubeconfig for a cluster whose module outputs its endpoint and CA (sandbox, k3s). */
export function writeKubeconfigFromOutputs(path: string, input: { name: string; endpoint: string; caCertificate: string }): void {
  const server = kubeconfigServer(input.endpoint);
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: input.name, cluster: { server, 'certificate-authority-data': input.caCertificate } }],
    contexts: [{ name: input.name, context: { cluster: input.name, user: input.name } }],
    'current-context': input.name,
    users: [{ name: input.name, user: {} }],
  };
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // JSON is valid YAML; kubectl and client-node read it as a kubeconfig.
  writeFileSync(path, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
}
