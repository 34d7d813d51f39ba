/**
 * The simulator's registry: the ClusterService semantics of shared/design.md §3
 * on top of a state file. Methods throw {@link SimStatusError} carrying the gRPC
 * status the real bridge would answer with. Mutations run one at a time (the
 * bridge serialises them through a queue too), also across processes sharing
 * the file: each starts from the file's current content and is persisted
 * before it is acknowledged. Readers answer from the file.
 */
import { createHash } from 'node:crypto';
import { sameConstraint } from '../constraints.js';
import { GrpcStatus } from '../status-errors.js';
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

export const PREFERABILITY_SCORE: Record<Preferability, number> = { Prefer: 100, None: 50, DontSchedule: 0 };
export const MAX_SCORE = 100;

export function zeroCounters(): ClusterCounters {
  return { starts: 0, failures: 0, running: 0, prebuilds: 0, brokenByForce: 0 };
}

export class RegistryModel {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly state: SimulatorState,
    private readonly stateFile: string,
    private readonly reachability: ReachabilityChecker,
  ) {}

  /**
   * Runs `fn` after every earlier mutation of this process finished, holding the
   * file's mutex, on the file's current content; persists when it succeeds.
   */
  serialised<T>(fn: () => Promise<T> | T, persist = true): Promise<T> {
    const run = this.queue.then(() =>
      withStateMutex(this.stateFile, async () => {
        // In place: callers hold references to `state` itself.
        Object.assign(this.state, readState(this.stateFile));
        const result = await fn();
        if (persist) await writeState(this.stateFile, this.state);
        return result;
      }),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }

  find(name: string): SimCluster | undefined {
    return this.state.clusters.find((c) => c.name === name);
  }

  counters(name: string): ClusterCounters {
    return (this.state.counters[name] ??= zeroCounters());
  }

  register(input: RegisterInput): Promise<void> {
    return this.serialised(async () => {
      if (!input.name) throw new SimStatusError(GrpcStatus.INVALID_ARGUMENT, 'name is required');
      if (!input.url) throw new SimStatusError(GrpcStatus.INVALID_ARGUMENT, 'url is required');
      if (!input.tls.ca || !input.tls.crt || !input.tls.key) throw new SimStatusError(GrpcStatus.INVALID_ARGUMENT, 'missing required TLS config');
      if (this.find(input.name)) {
        throw new SimStatusError(GrpcStatus.ALREADY_EXISTS, `a WorkspaceCluster with name ${input.name} already exists in the DB`);
      }
      if (this.state.clusters.some((c) => c.url === input.url)) {
        throw new SimStatusError(GrpcStatus.ALREADY_EXISTS, `a WorkspaceCluster with url ${input.url} already exists in the DB`);
      }
      const unreachable = await this.reachability({ name: input.name, url: input.url, tls: input.tls }).catch((e: unknown) => String((e as Error)?.message ?? e));
      if (unreachable) throw new SimStatusError(GrpcStatus.FAILED_PRECONDITION, `cannot reach ${input.url}: ${unreachable}`);
      this.state.clusters.push({
        name: input.name,
        url: input.url,
        state: input.hints.cordoned ? 'CORDONED' : 'AVAILABLE',
        score: PREFERABILITY_SCORE[input.hints.preferability],
        maxScore: MAX_SCORE,
        governed: input.hints.govern,
        static: false,
        admissionConstraints: [...input.admissionConstraints],
        admissionPreferences: [...input.admissionPreferences],
        tlsFingerprint: createHash('sha256').update(input.tls.ca).update(input.tls.crt).update(input.tls.key).digest('hex'),
        registeredAt: new Date().toISOString(),
      });
      this.counters(input.name);
    });
  }

  /** Static clusters live outside the bridge's database: for Update/Deregister they do not exist. */
  private dynamic(name: string): SimCluster {
    const cluster = this.find(name);
    if (!cluster || cluster.static) {
      throw new SimStatusError(GrpcStatus.NOT_FOUND, `a WorkspaceCluster with name ${name} does not exist in the DB!`);
    }
    return cluster;
  }

  update(name: string, property: UpdateProperty | undefined): Promise<void> {
    return this.serialised(() => {
      const cluster = this.dynamic(name);
      if (!property) throw new SimStatusError(GrpcStatus.INVALID_ARGUMENT, 'update needs exactly one property');
      if ('score' in property) cluster.score = property.score;
      else if ('maxScore' in property) cluster.maxScore = property.maxScore;
      else if ('cordoned' in property) cluster.state = property.cordoned ? 'CORDONED' : 'AVAILABLE';
      else if ('admissionConstraint' in property) {
        const { add, constraint } = property.admissionConstraint;
        // Like the bridge: add appends (even a duplicate), remove drops every equal one.
        cluster.admissionConstraints = add
          ? [...cluster.admissionConstraints, constraint]
          : cluster.admissionConstraints.filter((c) => !sameConstraint(c, constraint));
      } else {
        const { add, preference } = property.admissionPreference;
        cluster.admissionPreferences = add
          ? [...cluster.admissionPreferences, preference]
          : cluster.admissionPreferences.filter((p) => p.level !== preference.level);
      }
    });
  }

  deregister(name: string, force: boolean): Promise<void> {
    return this.serialised(() => {
      this.dynamic(name);
      const counters = this.counters(name);
      if (counters.running > 0 && !force) {
        const ids = Array.from({ length: counters.running }, (_, i) => `${name}-ws-${i + 1}`);
        throw new SimStatusError(GrpcStatus.FAILED_PRECONDITION, `cluster is not empty (${counters.running} instances remaining)[${ids.join(',')}]`);
      }
      // Forcing stops the remaining sessions: that is what --force breaks.
      counters.brokenByForce += counters.running;
      counters.running = 0;
      counters.prebuilds = 0;
      this.state.clusters = this.state.clusters.filter((c) => c.name !== name);
    });
  }

  /** The registry as it is on disk now (atomic renames: never half a write). */
  current(): SimulatorState {
    return readState(this.stateFile);
  }

  /** Dynamic clusters first, then static ones (as the bridge lists them). */
  list(): ClusterStatus[] {
    const { clusters } = this.current();
    const ordered = [...clusters.filter((c) => !c.static), ...clusters.filter((c) => c.static)];
    return ordered.map((c) => ({
      name: c.name,
      url: c.url,
      state: c.state,
      score: c.score,
      maxScore: c.maxScore,
      governed: c.governed,
      static: c.static,
      admissionConstraints: [...c.admissionConstraints],
      admissionPreferences: [...c.admissionPreferences],
    }));
  }
}
