/**
 * Registry simulator: a ClusterService gRPC server with the bridge's semantics
 * plus simulated workspace starts. For tests and the sandbox only — a real
 * deployment always talks to a real ws-manager-bridge.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type * as Grpc from '@grpc/grpc-js';
import { WsdError } from '../../core/errors.js';
import type { UserProfile } from '../constraints.js';
import { loadClusterService } from '../proto.js';
import type { ClusterStatus } from '../types.js';
import { tcpReachability, type ReachabilityChecker } from './reachability.js';
import { RegistryModel, visibleClusters, zeroCounters, type BridgeVersion } from './registry-model.js';
import { emptyState } from './state-file.js';
import { seededRandom } from './random.js';
import { clusterServiceHandlers } from './service.js';
import { MAX_TRIES_PER_START, pickCluster } from './selection.js';
import { readState, type ClusterCounters, type SimCluster, type SimulatorState } from './state-file.js';

export type { ReachabilityChecker } from './reachability.js';
export { alwaysReachable, tcpReachability } from './reachability.js';
export type { ClusterCounters } from './state-file.js';
export type { BridgeVersion } from './registry-model.js';

/** A cluster from the bridge's own config: listed with `static = true` unless a database entry has its name; never changeable. */
export type StaticCluster = Omit<ClusterStatus, 'static' | 'region'> & { region?: string };

export interface SimulatorOptions {
  host?: string;
  /** 0 = an ephemeral port (default). */
  port?: number;
  /** JSON state file; created when missing, reloaded when present. */
  stateFile: string;
  /** Seed of the start simulation. Default 1. */
  seed?: number;
  /** Transport security of the simulator itself; absent = plaintext (like the bridge behind a port-forward). */
  tls?: { cert: Buffer; key: Buffer; ca?: Buffer; requireClientCert?: boolean };
  /** How Register checks the new cluster's ws-manager. Default: a TCP connect within 3 s. */
  reachability?: ReachabilityChecker;
  staticClusters?: StaticCluster[];
  /**
   * Which bridge to play (default `current`: governs every cluster, knows TLS
   * updates). `2023-02` takes `governed` from the legacy hint and ignores TLS updates.
   */
  bridgeVersion?: BridgeVersion;
  /**
   * A read-only simulator, for commands that only read (`clusters list` on a
   * read-only state dir): it creates no folder, writes no file and takes no
   * lock; List answers from the file on disk, and every mutation (over gRPC or
   * in-process) fails with the error `refusal` returns.
   */
  readOnly?: { refusal: () => Error };
}

/** Outcome of {@link RunningSimulator.simulateStarts}. */
export interface StartsOutcome {
  started: number;
  /** Starts where every tried cluster failed. */
  failed: number;
  /** Starts with no admissible cluster at all. */
  unplaced: number;
  /** Successful starts per cluster. */
  byCluster: Record<string, number>;
}

export interface RunningSimulator {
  /** `127.0.0.1:<port>`. */
  address: string;
  stop(): Promise<void>;
  /** Simulates `n` workspace starts by a user; `prebuild` starts count as prebuilds. */
  simulateStarts(n: number, user?: UserProfile, options?: { prebuild?: boolean }): Promise<StartsOutcome>;
  /** Per-cluster counters, including clusters already deregistered. */
  counters(): Record<string, ClusterCounters>;
  /** Probability in [0, 1] that a start placed on `name` fails. */
  setFailureRate(name: string, rate: number): Promise<void>;
  /** Every cluster back to failing no starts. */
  clearFailureRates(): Promise<void>;
  /** Sets the number of running regular workspaces (or prebuilds) on `name`. */
  setRunning(name: string, n: number, kind?: 'regular' | 'prebuild'): Promise<void>;
  /** The registry as List returns it. */
  list(): ClusterStatus[];
  /** Durable writes of the state file so far (concurrent mutations share one: group commit). */
  commits(): number;
  /** Empties the registry and every counter, then re-adds the static clusters (tests reuse one server). */
  reset(): Promise<void>;
}

/** Starts the simulator and resolves once it listens. */
export async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const { grpc, service } = await loadClusterService();
  if (!options.readOnly) await mkdir(dirname(options.stateFile), { recursive: true });
  // Read once now, so a corrupt file is refused before the server listens.
  const state = readState(options.stateFile);
  const model = new RegistryModel(state, options.stateFile, options.reachability ?? tcpReachability(), options.bridgeVersion ?? 'current', options.readOnly?.refusal);
  // The bridge reads its config at start: the static clusters are this start's, and the database's entries (even of a
  // static cluster's name) are kept.
  const addStaticTo = (target: SimulatorState) => {
    target.clusters = target.clusters.filter((c) => !c.static);
    for (const s of options.staticClusters ?? []) target.clusters.push({ ...s, region: s.region ?? '', static: true, registeredAt: new Date(0).toISOString() });
  };
  const addStatic = () => addStaticTo(state);
  // Also creates the file. Read-only, nothing is written: the static clusters are laid over each read instead.
  if (options.readOnly) model.overlay = addStaticTo;
  else await model.serialised(addStatic);
  const random = seededRandom(options.seed ?? 1);

  const server = new grpc.Server();
  server.addService(service, clusterServiceHandlers(model));
  const host = options.host ?? '127.0.0.1';
  const creds = options.tls
    ? grpc.ServerCredentials.createSsl(options.tls.ca ?? null, [{ cert_chain: options.tls.cert, private_key: options.tls.key }], options.tls.requireClientCert ?? false)
    : grpc.ServerCredentials.createInsecure();
  const port = await bind(server, `${host}:${options.port ?? 0}`, creds);

  const startOne = (user: UserProfile, prebuild: boolean, outcome: StartsOutcome) => {
    const tried = new Set<string>();
    for (let attempt = 0; attempt < MAX_TRIES_PER_START; attempt++) {
      const cluster: SimCluster | undefined = pickCluster(visibleClusters(state.clusters), user, tried, random);
      if (!cluster) break;
      tried.add(cluster.name);
      const counters = model.counters(cluster.name);
      counters.starts++;
      if (random() < (state.failureRates[cluster.name] ?? 0)) {
        counters.failures++;
        continue;
      }
      if (prebuild) counters.prebuilds++;
      else counters.running++;
      outcome.started++;
      outcome.byCluster[cluster.name] = (outcome.byCluster[cluster.name] ?? 0) + 1;
      return;
    }
    state.unplaced++;
    if (tried.size === 0) outcome.unplaced++;
    else outcome.failed++;
  };

  return {
    address: `${host}:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
      }),
    simulateStarts: (n, user = {}, opts = {}) =>
      model.serialised(() => {
        const outcome: StartsOutcome = { started: 0, failed: 0, unplaced: 0, byCluster: {} };
        for (let i = 0; i < n; i++) startOne(user, opts.prebuild ?? false, outcome);
        return outcome;
      }),
    counters: () => model.current().counters,
    setFailureRate: (name, rate) =>
      model.serialised(() => {
        if (!(rate >= 0 && rate <= 1)) throw new WsdError('UsageError', `failure rate ${rate} for ${name} must be between 0 and 1`);
        state.failureRates[name] = rate;
      }),
    clearFailureRates: () =>
      model.serialised(() => {
        state.failureRates = {};
      }),
    setRunning: (name, n, kind = 'regular') =>
      model.serialised(() => {
        const counters = (state.counters[name] ??= zeroCounters());
        if (kind === 'regular') counters.running = n;
        else counters.prebuilds = n;
      }),
    list: () => model.list(),
    commits: () => model.commits,
    reset: () =>
      model.serialised(() => {
        Object.assign(state, emptyState());
        addStatic();
      }),
  };
}

function bind(server: Grpc.Server, address: string, creds: Grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, creds, (error, port) => {
      if (error) reject(new WsdError('RegistryError', `registry simulator cannot listen on ${address}: ${error.message}`, { cause: error }));
      else resolve(port);
    });
  });
}
