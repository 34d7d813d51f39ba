/**
 * How to reach a meta cluster's registry: sandbox meta clusters are served by
 * the embedded registry (started on first use), the others as configured
 * (a direct bridge address or a port-forward).
 */
import { withRegistry, type ConnectOptions, type MetaAccessInput } from '../registry/connect.js';
import { readState } from '../registry/simulator/state-file.js';
import { sandboxRegistry, sandboxRegistryStateFile, type SandboxRegistryOptions } from './sandbox-registry.js';

export type MetaClusterEntry = MetaAccessInput & { type?: 'gke' | 'sandbox' };

/** `readOnly`: the caller only lists, so a sandbox registry starts without writing (works on a read-only state dir). */
export async function resolveMetaAccess(meta: MetaClusterEntry, sharedDir: string, options: SandboxRegistryOptions = {}): Promise<MetaAccessInput> {
  if (meta.type !== 'sandbox') return meta;
  const sim = await sandboxRegistry(sharedDir, meta.name, options);
  return { name: meta.name, bridge: { address: sim.address }, bridgeTimeout: meta.bridgeTimeout };
}

/**
 * Every name registered with any of `metas` (List on each). Read-only: a sandbox
 * registry is read from its file, without starting a server or creating state,
 * so `plan` can use it too.
 */
export async function registeredNames(metas: readonly MetaClusterEntry[], sharedDir: string, options: ConnectOptions = {}): Promise<Set<string>> {
  const lists = await Promise.all(
    metas.map(async (meta) =>
      meta.type === 'sandbox'
        ? readState(sandboxRegistryStateFile(sharedDir, meta.name)).clusters.map((c) => c.name)
        : withRegistry(meta, options, async (client) => (await client.list()).map((c) => c.name)),
    ),
  );
  return new Set(lists.flat());
}
