/**
 * The shift's {@link RegistryPort} over real registry connections: one
 * `RegistryClient` per meta cluster, opened once per shift (or retirement) and
 * closed at its end. Maps our client's types (structured admission constraints,
 * `UpdateProperty`) to the port's (canonical constraint strings, `RegistryChange`).
 *
 * Meta access is resolved as RegisterCluster resolves it: sandbox meta clusters
 * (`type: sandbox`) are served by the embedded registry simulator of the state
 * dir, every other meta cluster is reached as configured (direct or port-forward).
 */
import { resolveMetaAccess, type MetaClusterEntry } from '../sandbox/meta-access.js';
import { WsdError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import type { Redactor } from '../core/redact.js';
import type { RegistryClient } from '../registry/client.js';
import { connectToMeta, type MetaAccessInput, type RegistryConnection } from '../registry/connect.js';
import { parseConstraint } from '../registry/constraints.js';
import { constraintsText } from '../registry/format.js';
import type { ClusterStatus, UpdateProperty } from '../registry/types.js';
import type { RegistryChange, RegistryCluster, RegistryPort } from './shift-ports.js';

/** A meta cluster as the config lists it (access fields plus the sandbox marker). */
type MetaConfig = MetaClusterEntry;

/** The meta clusters of a config. */
export function metaClustersOf(config: { metaClusters: readonly unknown[] }): MetaConfig[] {
  return config.metaClusters as MetaConfig[];
}

/** True when every meta cluster is a sandbox one (the simulator provider and traffic apply). */
export function allSandbox(metas: readonly MetaConfig[]): boolean {
  return metas.length > 0 && metas.every((m) => m.type === 'sandbox');
}

/** Access for each meta cluster (sandbox ones point at the embedded simulator). */
export function resolveMetaAccessAll(metas: readonly MetaConfig[], sharedDir: string): Promise<MetaAccessInput[]> {
  return Promise.all(metas.map((meta) => resolveMetaAccess(meta, sharedDir)));
}

/** Converts a List row into the port's view. */
export function toRegistryCluster(status: ClusterStatus): RegistryCluster {
  return {
    name: status.name,
    state: status.state,
    // Kept so every reader says which state it saw (UNKNOWN(7)), not just that it could not read it.
    ...(status.unknownState !== undefined ? { unknownState: status.unknownState } : {}),
    score: status.score,
    maxScore: status.maxScore,
    static: status.static,
    // Unknown kinds stay visible so such a cluster keeps its own constraint set in the score split.
    admissionConstraints: constraintsText(status),
  };
}

/** Converts a port change into the one-property Update the client sends. */
function toUpdateProperty(change: RegistryChange): UpdateProperty {
  if ('score' in change) return { score: change.score };
  if ('maxScore' in change) return { maxScore: change.maxScore };
  if ('cordoned' in change) return { cordoned: change.cordoned };
  return { admissionConstraint: { add: change.admissionConstraint.add, constraint: parseConstraint(change.admissionConstraint.constraint) } };
}

/** Open connections to every meta cluster, usable as a {@link RegistryPort}. */
export interface ConnectedRegistry extends RegistryPort {
  readonly metas: readonly string[];
  /** The client of one meta (for Deregister, which the port does not carry). */
  client(meta: string): RegistryClient;
  close(): Promise<void>;
}

interface ConnectRegistryOptions {
  sink?: EventSink;
  redactor?: Redactor;
  /** Cancels every call; the clients are bound to it for their lifetime. */
  signal?: AbortSignal;
  deadlineMs?: number;
}

/** Connects to every meta (in order; closes what was opened when one fails). */
export async function connectRegistry(access: readonly MetaAccessInput[], options: ConnectRegistryOptions = {}): Promise<ConnectedRegistry> {
  const connections = new Map<string, RegistryConnection>();
  const closeAll = async () => {
    await Promise.allSettled([...connections.values()].map((c) => c.close()));
    connections.clear();
  };
  try {
    for (const meta of access) {
      connections.set(meta.name, await connectToMeta(meta, { sink: options.sink, redactor: options.redactor, signal: options.signal, deadlineMs: options.deadlineMs }));
    }
  } catch (error) {
    await closeAll();
    throw error;
  }
  const client = (meta: string): RegistryClient => {
    const c = connections.get(meta);
    if (!c) throw new WsdError('Internal', `no registry connection to meta cluster ${meta}`, { source: 'internal' });
    return c.client;
  };
  const checkSignal = (signal?: AbortSignal) => {
    // The clients carry the connection-wide signal; a call-level one is honoured before each call.
    if (signal?.aborted) throw new WsdError('Interrupted', 'interrupted before a registry call');
  };
  return {
    metas: access.map((m) => m.name),
    client,
    async list(meta, signal) {
      checkSignal(signal);
      return (await client(meta).list()).map(toRegistryCluster);
    },
    async update(meta, name, change, signal) {
      checkSignal(signal);
      await client(meta).update(name, toUpdateProperty(change));
    },
    close: closeAll,
  };
}
