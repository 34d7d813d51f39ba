/**
 * The simulator's registry: the ClusterService semantics of shared/design.md §3
 * (the current bridge, or optionally a 2023-02 one) on top of a state file. Methods throw {@link SimStatusError} carrying the gRPC
 * status the real bridge would answer with. Mutations take effect one at a time
 * (the bridge serialises them through a queue too), also across processes
 * sharing the file: each starts from the file's current content and is
 * persisted before it is acknowledged; concurrent ones share one durable write
 * (group commit). Readers answer from the file.
 */
import { createHash } from 'node:crypto';
import { sameConstraint } from '../constraints.js';
import { GrpcStatus } from '../status-errors.js';
import { bridgeRegionProblem } from '../region.js';
import type { ClusterStatus, Preferability, RegisterInput, UpdateProperty } from '../types.js';
import type { ReachabilityChecker } from './reachability.js';
import { readState, writeState, type ClusterCounters, type SimCluster, type SimulatorState } from './state-file.js';
import { withStateMutex } from './state-mutex.js';

/** A refusal with the gRPC status code the bridge uses for it. */
export class SimStatusError extends Error {
  constructor(
    readonly code: number,
    readonly details: string,
  ) {
    super(details);
  }
}

const PREFERABILITY_SCORE: Record<Preferability, number> = { Prefer: 100, None: 50, DontSchedule: 0 };
const MAX_SCORE = 100;

/**
 * Which bridge the simulator plays. `current`: every cluster governed, TLS
 * updates. `2023-02`: the last bridge that took `governed` from the hint; it
 * knows `region` but not UpdateRequest.tls, so a TLS update reaches it as an
 * Update with no property (accepted, nothing changes).
 */
export type BridgeVersion = 'current' | '2023-02';

export function zeroCounters(): ClusterCounters {
  return { starts: 0, failures: 0, running: 0, prebuilds: 0, brokenByForce: 0 };
}

/** One mutation waiting for its turn, and who waits for its answer. */
interface PendingMutation {
  fn: () => unknown;
  persist: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Mutations applied under one lock and one durable write at most (bounds the time the file's mutex is held). */
const MAX_BATCH = 500;

export class RegistryModel {
  private readonly pending: PendingMutation[] = [];
  private draining = false;
  /** Durable writes of the state file so far (a batch of concurrent mutations shares one). */
  commits = 0;
  /** Applied to every read from disk (a read-only model's static clusters, which it never writes). */
  overlay?: (state: SimulatorState) => void;

  constructor(
    readonly state: SimulatorState,
    private readonly stateFile: string,
    private readonly reachability: ReachabilityChecker,
    private readonly version: BridgeVersion = 'current',
    /** Set = read-only: no lock, no write; every mutation fails with this error. */
    private readonly readOnlyRefusal?: () => Error,
  ) {}

  /**
   * Runs `fn` after every earlier mutation of this process, holding the file's
   * mutex, on the file's current content; resolves once its change is durable.
   *
   * Like the bridge, mutations take effect one at a time in arrival order; like
   * a database's group commit, the ones that arrive while a write is under way
   * share the next lock, read and write (fsync) instead of paying one each, so
   * concurrent callers are not serialised behind each other's disk flushes.
   * A mutation must throw before it changes anything (every one here validates
   * first): its batch's other changes are still written.
   */
  serialised<T>(fn: () => Promise<T> | T, persist = true): Promise<T> {
    if (this.readOnlyRefusal) return Promise.reject(this.readOnlyRefusal());
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ fn, persist, resolve: resolve as (value: unknown) => void, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.pending.length > 0) {
        // A commit is synchronous file work: yield once to the poll phase first, so calls that
        // arrived meanwhile (already in the socket buffers) join this batch instead of the next.
        await new Promise<void>((resolve) => setImmediate(resolve));
        await this.commit(this.pending.splice(0, MAX_BATCH));
      }
    } finally {
      this.draining = false;
    }
  }

  /** Applies a batch in order under the mutex and writes it once; answers each caller only after the write. */
  private async commit(batch: PendingMutation[]): Promise<void> {
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      await withStateMutex(this.stateFile, async () => {
        // In place: callers hold references to `state` itself.
        Object.assign(this.state, readState(this.stateFile));
        let changed = false;
        for (const op of batch) {
          try {
            outcomes.push({ ok: true, value: await op.fn() });
            changed ||= op.persist;
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
        if (changed) {
          await writeState(this.stateFile, this.state);
          this.commits++;
        }
      });
    } catch (error) {
      // The lock or the write failed: nothing of this batch is acknowledged (the next batch re-reads the file).
      for (const op of batch) op.reject(error);
      return;
    }
    batch.forEach((op, i) => {
      const outcome = outcomes[i] as (typeof outcomes)[number];
      if (outcome.ok) op.resolve(outcome.value);
      else op.reject(outcome.error);
    });
  }

  /**
   * The bridge's database entry of `name`. Register, Update and Deregister look at the database only: a static
   * cluster (the bridge's own config) of that name is not there for them (see {@link visibleClusters}).
   */
  find(name: string): SimCluster | undefined {
    return this.state.clusters.find((c) => c.name === name && !c.static);
  }

  counters(name: string): ClusterCounters {
    return (this.state.counters[name] ??= zeroCounters());
  }

  /**
   * Register, with the checks in the deployed bridge's order (each stops at the first failure):
   * 1. region not one the bridge accepts → INVALID_ARGUMENT (before anything else, as the bridge does since 2023-02);
   * 2. name, then url already in the database → ALREADY_EXISTS (a static cluster's name or url is not: the bridge
   *    takes such a Register, and List then shows the new entry instead of the static one);
   * 3. unknown preferability → INVALID_ARGUMENT;
   * 4. no TlsConfig at all → INVALID_ARGUMENT "missing required TLS config";
   * 5. the dial of the new ws-manager → FAILED_PRECONDITION. Empty name, empty
   *    url or empty TLS fields pass 1–4 (they are well-formed proto3 values) and
   *    fail here: there is nothing to dial, or nothing to dial with.
   */
  register(
    input: Omit<RegisterInput, 'tls' | 'hints'> & { tls?: RegisterInput['tls']; hints: Omit<RegisterInput['hints'], 'preferability'> & { preferability: string | number } },
  ): Promise<void> {
    return this.serialised(async () => {
      const regionProblem = bridgeRegionProblem(input.region);
      if (regionProblem) throw new SimStatusError(GrpcStatus.INVALID_ARGUMENT, `invalid region: ${regionProblem}`);
      if (this.find(input.name)) {
        throw new SimStatusError(GrpcStatus.ALREADY_EXISTS, `a WorkspaceCluster with name ${input.name} already exists in the DB`);
      }
      if (this.state.clusters.some((c) => c.url === input.url && !c.static)) {
        throw new SimStatusError(GrpcStatus.ALREADY_EXISTS, `a WorkspaceCluster with url ${input.url} already exists in the DB`);
      }
      const preferability = input.hints.preferability;
      if (typeof preferability !== 'string' || !Object.hasOwn(PREFERABILITY_SCORE, preferability)) {
        throw new SimStatusError(GrpcStatus.INVALID_ARGUMENT, `unknown preferability ${String(preferability)}`);
      }
      const tls = input.tls;
      if (!tls) throw new SimStatusError(GrpcStatus.INVALID_ARGUMENT, 'missing required TLS config');
      const unreachable = await this.dial(input.name, input.url, tls);
      if (unreachable) throw new SimStatusError(GrpcStatus.FAILED_PRECONDITION, `cannot reach ${input.url || '(empty url)'}: ${unreachable}`);
      this.state.clusters.push({
        name: input.name,
        url: input.url,
        state: input.hints.cordoned ? 'CORDONED' : 'AVAILABLE',
        score: PREFERABILITY_SCORE[preferability as Preferability],
        maxScore: MAX_SCORE,
        // Since 2023-03 the bridge governs every cluster it registers; before, the hint decided.
        governed: this.version === 'current' ? true : input.hints.govern,
        static: false,
        admissionConstraints: [...input.admissionConstraints],
        region: input.region,
        tlsFingerprint: fingerprint(tls),
        registeredAt: new Date().toISOString(),
      });
      this.counters(input.name);
    });
  }

  /** What dialling the new cluster's ws-manager would say; undefined = reachable. */
  private async dial(name: string, url: string, tls: RegisterInput['tls']): Promise<string | undefined> {
    if (!url) return 'the url is empty';
    if (!name) return 'the cluster has no name to connect as';
    if (!tls.ca || !tls.crt || !tls.key) return 'the TLS config is incomplete (ca, crt and key are all needed to dial ws-manager)';
    return this.reachability({ name, url, tls }).catch((e: unknown) => String((e as Error)?.message ?? e));
  }

  /** Static clusters live outside the bridge's database: for Update/Deregister they do not exist. */
  private dynamic(name: string): SimCluster {
    const cluster = this.find(name);
    if (!cluster) {
      throw new SimStatusError(GrpcStatus.NOT_FOUND, `a WorkspaceCluster with name ${name} does not exist in the DB!`);
    }
    return cluster;
  }

  /**
   * Update: unknown (or static) name → NOT_FOUND first; then a request that
   * sets no property (or an empty constraint) is accepted and changes nothing.
   * TLS (current bridge): a part missing → INVALID_ARGUMENT; the same material → OK at once; new material is
   * dialled with first → FAILED_PRECONDITION when ws-manager cannot be reached with it (the old one stays).
   */
  update(name: string, property: UpdateProperty | undefined): Promise<void> {
    return this.serialised(async () => {
      const cluster = this.dynamic(name);
      if (!property) return;
      if ('score' in property) cluster.score = property.score;
      else if ('maxScore' in property) cluster.maxScore = property.maxScore;
      else if ('cordoned' in property) cluster.state = property.cordoned ? 'CORDONED' : 'AVAILABLE';
      else if ('tls' in property) {
        // A 2023-02 bridge does not know field 7: to it, this Update sets nothing.
        if (this.version !== 'current') return;
        // The bridge refuses material with a part missing; new material must dial ws-manager before it is kept.
        const tls = property.tls;
        if (!tls.ca || !tls.crt || !tls.key) throw new SimStatusError(GrpcStatus.INVALID_ARGUMENT, 'missing required TLS config');
        if (fingerprint(tls) === cluster.tlsFingerprint) return;
        const unreachable = await this.dial(cluster.name, cluster.url, tls);
        if (unreachable) throw new SimStatusError(GrpcStatus.FAILED_PRECONDITION, `cannot reach ${cluster.url || '(empty url)'}: ${unreachable}`);
        cluster.tlsFingerprint = fingerprint(tls);
      } else {
        const { add, constraint } = property.admissionConstraint;
        // Add appends (even a duplicate), remove drops every equal one.
        cluster.admissionConstraints = add
          ? [...cluster.admissionConstraints, constraint]
          : cluster.admissionConstraints.filter((c) => !sameConstraint(c, constraint));
      }
    });
  }

  /**
   * Deregister: regular workspaces still running under that name → FAILED_PRECONDITION
   * unless forced; otherwise the DB entry of that name goes, if there is one (an
   * unknown, empty or static name deletes nothing and is accepted; a static cluster hidden by it is listed again).
   */
  deregister(name: string, force: boolean): Promise<void> {
    return this.serialised(() => {
      const counters = this.state.counters[name];
      const running = counters?.running ?? 0;
      if (running > 0 && !force) {
        const ids = Array.from({ length: running }, (_, i) => `${name}-ws-${i + 1}`);
        throw new SimStatusError(GrpcStatus.FAILED_PRECONDITION, `cluster is not empty (${running} instances remaining)[${ids.join(',')}]`);
      }
      const cluster = this.find(name);
      if (!cluster) return;
      // Forcing stops the remaining sessions: that is what --force breaks.
      const own = this.counters(name);
      own.brokenByForce += own.running;
      own.running = 0;
      own.prebuilds = 0;
      this.state.clusters = this.state.clusters.filter((c) => c !== cluster);
    });
  }

  /** The registry as it is on disk now (atomic renames: never half a write). */
  current(): SimulatorState {
    const state = readState(this.stateFile);
    this.overlay?.(state);
    return state;
  }

  /** What List answers: {@link visibleClusters} of the file as it is now. */
  list(): ClusterStatus[] {
    return visibleClusters(this.current().clusters).map((c) => ({
      name: c.name,
      url: c.url,
      state: c.state,
      score: c.score,
      maxScore: c.maxScore,
      governed: c.governed,
      static: c.static,
      // A state file from before 2022-07-style kinds were refused may hold one: the bridge would not list it.
      admissionConstraints: c.admissionConstraints.filter((k) => k.type === 'has-feature-preview' || k.type === 'has-permission'),
      // State files written before regions existed have none.
      region: c.region ?? '',
    }));
  }
}

/**
 * The clusters as the bridge sees them, in its List order: the database's, then the static ones (its config) whose
 * name the database does not have. A database entry of a static cluster's name hides it (ws-manager-bridge
 * cluster-service-server.ts `list`, every version since static clusters were listed, 2021-05), and the server's
 * selection takes the database entry's state and score too (the server's composite cluster source: its database source, bound
 * after the config, overrides by name).
 */
export function visibleClusters<T extends Pick<SimCluster, 'name' | 'static'>>(clusters: readonly T[]): T[] {
  const inDatabase = clusters.filter((c) => !c.static);
  const names = new Set(inDatabase.map((c) => c.name));
  return [...inDatabase, ...clusters.filter((c) => c.static && !names.has(c.name))];
}

/** sha256 of the TLS material: proves what was sent without keeping the key on disk. */
export function fingerprint(tls: RegisterInput['tls']): string {
  return createHash('sha256').update(tls.ca).update('\0').update(tls.crt).update('\0').update(tls.key).digest('hex');
}
