/**
 * How to reach a meta cluster's registry: sandbox meta clusters are served by
 * the embedded registry (started on first use), the others as configured
 * (a direct bridge address or a port-forward).
 */
import type { MetaAccessInput } from '../registry/connect.js';
import { sandboxRegistry } from './sandbox-registry.js';

export type MetaClusterEntry = MetaAccessInput & { type?: 'gke' | 'sandbox' };

export async function resolveMetaAccess(meta: MetaClusterEntry, sharedDir: string): Promise<MetaAccessInput> {
  if (meta.type !== 'sandbox') return meta;
  const sim = await sandboxRegistry(sharedDir, meta.name);
  return { name: meta.name, bridge: { address: sim.address } };
}
