/**
 * Files that hold credentials should be readable by their owner only, as ssh
 * insists for a private key (and helm warns for a kubeconfig). Here it is a
 * warning, not an error: CI secret mounts are often 0644 (Kubernetes'
 * defaultMode) and refusing them would block runs that are safe in their pod.
 */
import { statSync } from 'node:fs';
import { resolveConfigPath } from '../sections/paths.js';
import { asList, asRecord, type RuleIssue } from './rule.js';

/** Config keys whose file is a credential, with what it is for the message. */
function credentialFiles(config: unknown): Array<{ path: (string | number)[]; value: unknown; what: string }> {
  const root = asRecord(config);
  const provider = asRecord(asRecord(asRecord(root?.trafficShift)?.analysis)?.provider);
  return [
    { path: ['project', 'gcpSACredFile'], value: asRecord(root?.project)?.gcpSACredFile, what: 'service account key file' },
    ...asList(root?.metaClusters).flatMap((item, index) => {
      const meta = asRecord(item);
      return [
        { path: ['metaClusters', index, 'kubeconfig'], value: meta?.kubeconfig, what: 'kubeconfig' },
        { path: ['metaClusters', index, 'bridge', 'tls', 'key'], value: asRecord(asRecord(meta?.bridge)?.tls)?.key, what: 'bridge client key' },
      ];
    }),
    { path: ['trafficShift', 'analysis', 'provider', 'bearerTokenFile'], value: provider?.bearerTokenFile, what: 'bearer token file' },
  ];
}

/** Warnings (not errors) for credential files that group or others may read or write. */
export function credentialFileWarnings(config: unknown): RuleIssue[] {
  return credentialFiles(config).flatMap(({ path, value, what }) => {
    if (typeof value !== 'string' || value.length === 0) return [];
    const absolute = resolveConfigPath(value);
    let mode: number;
    try {
      const stat = statSync(absolute, { throwIfNoEntry: false });
      if (!stat?.isFile()) return []; // the schema reports a missing or odd path
      mode = stat.mode & 0o777;
    } catch {
      return [];
    }
    if ((mode & 0o077) === 0) return [];
    const octal = mode.toString(8).padStart(4, '0');
    return [{ path, message: `the ${what} ${absolute} has permissions ${octal}: group or others may read or change it; run chmod 600 ${absolute}` }];
  });
}
