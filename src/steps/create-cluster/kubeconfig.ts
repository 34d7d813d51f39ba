/**
 * A per-cluster kubeconfig in the state dir. Never ~/.kube/config: parallel
 * clusters must never share (or clobber) one kubeconfig.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function kubeconfigPath(clusterDir: string): string {
  return join(clusterDir, 'kubeconfig');
}

/** Writes a kubeconfig for a cluster whose module outputs its endpoint and CA (sandbox, k3s). */
export function writeKubeconfigFromOutputs(path: string, input: { name: string; endpoint: string; caCertificate: string }): void {
  const server = /^https?:\/\//.test(input.endpoint) ? input.endpoint : `https://${input.endpoint}`;
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
