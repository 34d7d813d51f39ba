/**
 * Registry operations of the shift, applied to every meta cluster: each meta
 * keeps its own registry (design §3), so a change is only done when it is done
 * everywhere. Metas run in parallel (bounded); changes within one meta run in
 * order (score before uncordon, so a new cluster never takes traffic at its
 * registration score). Transient failures are retried, bounded and visible.
 *
 * The bound per update: the client retries a refused connection itself (about a
 * second) and gives up on a bridge that takes a call and never answers after two
 * deadlines (`metaClusters[].bridgeTimeout`), with `registry.waiting` lines while
 * it waits. On top, the shift retries a refused connection {@link ATTEMPTS} times
 * (1 s, 2 s apart: a bridge pod restarting), but never a call that went
 * unanswered: retrying that would multiply the client's wait (3 × 2 deadlines).
 * So one update costs at most 2 × bridgeTimeout + about 5 s. The drift check
 * before a step runs inside the same per-meta work: a bridge that leaves its
 * List unanswered fails that meta cluster at once, with that List's error,
 * instead of then waiting on updates too (a hung meta cluster costs a step
 * 2 × bridgeTimeout, not 4). Changes with a cordon flag are preceded by the same
 * List: a cordon flag replaces any state, and one this tool cannot read (a newer
 * bridge's) is never replaced by an uncordon (see `unknown-state.ts`).
 */
import { isWsdError, WsdError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import type { ExpectedTraffic } from './judges/cluster-judge.js';
import { mapLimit } from './judges/fetch-values.js';
import { compileScores, constraintSetKey, type ScoreCluster } from './scores.js';
import type { Clock, OriginalSnapshot, RegistryChange, RegistryCluster, RegistryPort, ShiftCluster } from './shift-ports.js';
import { describeState, hasUnknownState, unknownStateProblem, unknownStateRemedy, unknownStateSeen } from './unknown-state.js';

/** What shifting onto a new cluster in an unknown state would do. */
const UNKNOWN_NEW = 'the shift would uncordon it, replacing that state, and send it new starts, so it refuses to shift onto it';
/** What shifting from an old cluster in an unknown state would do. */
const UNKNOWN_OLD =
  'the shift cannot tell whether it takes new starts (so not weigh its share) and would cordon it at the end, replacing that state; ' +
  'it refuses to shift from it (leave it out with trafficShift.oldClusters if it is not of this generation)';

/**
 * Clusters updated at once on one meta cluster. The bridge takes calls one at a
 * time through its queue, so in-flight calls do not load it more; keeping many
 * in flight hides the link's round trip (10–30 ms through a port-forward) behind
 * the bridge's own work instead of paying it once per few clusters. The bound
 * keeps a fleet of hundreds of clusters from opening hundreds of streams at once.
 */
export const CLUSTER_CONCURRENCY = 64;
const META_CONCURRENCY = 8;
export const ATTEMPTS = 3;
const RETRY_BASE_MS = 1_000;

interface NamedChange {
  name: string;
  change: RegistryChange;
}

export class ShiftRegistry {
  /** The score this run last set, per `meta/cluster`: a different one found later was set by someone else. */
  private readonly lastScores = new Map<string, number>();

  constructor(
    private readonly registry: RegistryPort,
    private readonly metas: readonly string[],
    private readonly clock: Clock,
    private readonly sink: EventSink,
    /** The deployment whose shift this is: the command a drift warning suggests names it. */
    private readonly deploymentId: string,
  ) {}

  /**
   * Lists every meta and keeps the state of the shift's clusters; refuses missing or static ones, and ones in a state
   * this tool does not know (`newNames`: the clusters traffic moves onto), before anything is changed.
   */
  async snapshot(names: readonly string[], signal?: AbortSignal, newNames: readonly string[] = []): Promise<OriginalSnapshot> {
    const lists = await mapLimit(this.metas, META_CONCURRENCY, async (meta) => [meta, await this.registry.list(meta, signal)] as const);
    const out: OriginalSnapshot = {};
    const unknown: string[] = [];
    for (const [meta, list] of lists) {
      const byName = new Map(list.map((c) => [c.name, c]));
      out[meta] = {};
      for (const name of names) {
        const c = byName.get(name);
        if (!c) throw new WsdError('PreCheckRefused', `cluster ${name} is not registered with meta cluster ${meta}; register it everywhere before shifting traffic`);
        if (c.static) throw new WsdError('PreCheckRefused', `cluster ${name} is static in meta cluster ${meta} (from the bridge config) and cannot be changed; remove it from the shift`);
        if (hasUnknownState(c)) unknown.push(unknownStateProblem(c, meta, newNames.includes(name) ? UNKNOWN_NEW : UNKNOWN_OLD));
        out[meta][name] = { ...c, admissionConstraints: [...c.admissionConstraints] };
      }
    }
    // Never a state to shift onto or from: the shift would overwrite it (cordon flags), and no Update sets it back.
    if (unknown.length > 0) throw new WsdError('PreCheckRefused', `${unknown.join('; ')}; nothing was changed`, { details: { unknownState: unknown } });
    return out;
  }

  /**
   * Applies per-meta change lists on every meta; throws after all metas finished if any failed. `checkDrift`:
   * first report scores changed outside the shift on each meta (see {@link checkDrift}).
   */
  async apply(changesFor: (meta: string) => NamedChange[], signal?: AbortSignal, options: { checkDrift?: boolean } = {}): Promise<void> {
    const failures: string[] = [];
    /** Per meta cluster that failed, its first error (what the operator is told about it). */
    const failedMetas: Record<string, string> = {};
    let allTransient = true;
    await mapLimit(this.metas, META_CONCURRENCY, async (meta) => {
      const changes = changesFor(meta);
      // A cordon flag replaces whatever state the cluster is in: look first, so a state this tool cannot read is not
      // overwritten unseen (also one the bridge set after the shift saved its state, or while it waited at a gate).
      const flags = changes.some((c) => 'cordoned' in c.change);
      const drift = options.checkDrift === true && [...this.lastScores.keys()].some((key) => key.startsWith(`${meta}/`));
      const listed = drift || flags ? await this.listBefore(meta, drift, signal) : {};
      if (listed.hung) {
        // Its updates would wait on the same queue: the meta cluster fails now, on the List's own wait.
        allTransient &&= listed.hung.transient;
        failures.push(`${meta} (List before the change): ${listed.hung.message}`);
        failedMetas[meta] = listed.hung.message;
        return;
      }
      // Order matters only within one cluster (score before uncordon): clusters are updated concurrently.
      const byCluster = new Map<string, RegistryChange[]>();
      for (const { name, change } of this.sparingUnknownStates(meta, changes, listed.list ?? [])) byCluster.set(name, [...(byCluster.get(name) ?? []), change]);
      await mapLimit([...byCluster], CLUSTER_CONCURRENCY, async ([name, changes]) => {
        for (const change of changes) {
          try {
            await this.updateWithRetry(meta, name, change, signal);
          } catch (error) {
            if (signal?.aborted) throw error;
            allTransient &&= isWsdError(error) && error.transient;
            const message = error instanceof Error ? error.message : String(error);
            failures.push(`${meta}/${name} ${JSON.stringify(change)}: ${message}`);
            failedMetas[meta] ??= message;
            return; // this cluster's later changes depend on this one
          }
        }
      });
    });
    if (failures.length > 0) {
      // Retrying the step only helps when every failure may pass (an unreachable bridge); a cluster
      // that is not registered, or a refused change, stays so.
      throw new WsdError('RegistryError', `registry update failed on ${Object.keys(failedMetas).length} meta cluster(s): ${failures.join('; ')}; ${allTransient ? 're-run to resume' : 'fix the cause, then resume'}`, {
        transient: allTransient,
        details: { failures, failedMetas },
      });
    }
  }

  /** The scores this run saw a meta cluster accept, per cluster (what is known to be in effect there). */
  confirmedScores(meta: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [key, score] of this.lastScores) if (key.startsWith(`${meta}/`)) out[key.slice(meta.length + 1)] = score;
    return out;
  }

  /**
   * Lists `meta` before a change. `drift`: warns about scores someone changed outside the shift since it set them (a
   * manual `clusters update` mid-shift): the shift's next change overwrites them, so say so. Best effort: a registry
   * that cannot be listed now is not a reason to stop, except one that took the List and never answered (`hung`):
   * its updates would wait the same deadlines again.
   */
  private async listBefore(meta: string, drift: boolean, signal?: AbortSignal): Promise<{ hung?: WsdError; list?: RegistryCluster[] }> {
    let list;
    try {
      list = await this.registry.list(meta, signal);
    } catch (error) {
      if (signal?.aborted) throw error;
      return isWsdError(error) && error.details['unanswered'] !== undefined ? { hung: error } : {};
    }
    for (const c of drift ? list : []) {
      const mine = this.lastScores.get(`${meta}/${c.name}`);
      if (mine === undefined || c.score === mine) continue;
      this.sink.emit({
        level: 'warn',
        code: 'traffic.drift',
        step: 'traffic-shift',
        message: `${c.name} on ${meta} has score ${c.score}, not the ${mine} the shift set: it was changed outside the shift, and the shift's next change overwrites it (\`ws-deployment shift pause ${this.deploymentId}\` holds a manual change)`,
        data: { meta, name: c.name, score: c.score, expected: mine },
      });
    }
    return { list };
  }

  /**
   * The changes without an uncordon of a cluster in a state this tool does not know (it would replace that state with
   * AVAILABLE and open the cluster to new starts: a rollback's restore or a step's uncordon); a cordon stays (it takes
   * new starts off the cluster, which a rollback and the end of a shift need), and either is said, with the state seen.
   */
  private sparingUnknownStates(meta: string, changes: NamedChange[], listed: readonly RegistryCluster[]): NamedChange[] {
    const unknown = new Map(listed.filter(hasUnknownState).map((c) => [c.name, c]));
    return changes.filter(({ name, change }) => {
      const c = unknown.get(name);
      if (!c || !('cordoned' in change)) return true;
      const message = change.cordoned
        ? `${unknownStateSeen(c, meta)}: cordoned all the same, replacing that state, so that it takes no new starts from the shift; ${unknownStateRemedy(name, meta)} if it should take them`
        : `${unknownStateSeen(c, meta)}: not uncordoned (that would replace the state with AVAILABLE and send it new starts), left as the bridge has it; ${unknownStateRemedy(name, meta)}`;
      this.sink.emit({ level: 'warn', code: 'traffic.unknown-state', step: 'traffic-shift', message, data: { meta, name, state: describeState(c), cordoned: change.cordoned } });
      return change.cordoned;
    });
  }

  private async updateWithRetry(meta: string, name: string, change: RegistryChange, signal?: AbortSignal): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.registry.update(meta, name, change, signal);
        if ('score' in change) this.lastScores.set(`${meta}/${name}`, change.score);
        return;
      } catch (error) {
        const transient = isWsdError(error) && error.transient;
        // A bridge that took the call and never answered already cost the client its two deadlines: not again.
        const unanswered = isWsdError(error) && error.details['unanswered'] !== undefined;
        if (!transient || unanswered || attempt >= ATTEMPTS || signal?.aborted) throw error;
        const waitMs = RETRY_BASE_MS * 2 ** (attempt - 1);
        this.sink.emit({ level: 'warn', code: 'traffic.registry.retry', step: 'traffic-shift', message: `retrying update of ${name} on ${meta} in ${waitMs} ms (attempt ${attempt + 1} of ${ATTEMPTS})`, data: { meta, name, change } });
        await this.clock.sleep(waitMs, signal);
      }
    }
  }
}

function scoreClusters(original: OriginalSnapshot[string] | undefined, news: readonly ShiftCluster[], olds: readonly ShiftCluster[]): ScoreCluster[] {
  const toScore = (c: ShiftCluster, role: 'new' | 'old'): ScoreCluster => {
    const s = original?.[c.name];
    return {
      name: c.name,
      role,
      region: c.region,
      // New clusters are uncordoned by the shift; their constraints are dropped after the staff stage.
      state: role === 'new' ? 'AVAILABLE' : (s?.state ?? 'UNKNOWN'),
      ...(role === 'old' && s?.unknownState !== undefined ? { unknownState: s.unknownState } : {}),
      score: s?.score ?? 0,
      maxScore: s?.maxScore ?? 100,
      constraintSet: role === 'new' ? '' : constraintSetKey(s?.admissionConstraints ?? []),
    };
  };
  return [...news.map((c) => toScore(c, 'new')), ...olds.map((c) => toScore(c, 'old'))];
}

/** Score changes that put `percent` % of new starts on the new clusters, compiled against one meta's original state. */
export function scoreChanges(percent: number, original: OriginalSnapshot[string] | undefined, news: readonly ShiftCluster[], olds: readonly ShiftCluster[]): NamedChange[] {
  return compileScores(percent, scoreClusters(original, news, olds)).flatMap((r) =>
    r.assignments.filter((a) => a.score !== undefined).map((a) => ({ name: a.name, change: { score: a.score as number } })),
  );
}

/**
 * The new starts a new cluster should get at `percent`, by full cluster name: its share of its region's
 * (and constraint set's) new starts, the old clusters' share, and which old clusters take that share (full
 * names). The gates weigh a new cluster's silence with it: no start in a quiet region is no evidence.
 */
export function expectedTraffic(percent: number, original: OriginalSnapshot[string] | undefined, news: readonly ShiftCluster[], olds: readonly ShiftCluster[]): Record<string, ExpectedTraffic> {
  const full = new Map([...news, ...olds].map((c) => [c.name, c.cluster]));
  const out: Record<string, ExpectedTraffic> = {};
  for (const region of compileScores(percent, scoreClusters(original, news, olds))) {
    const taking = region.assignments.filter((a) => a.role === 'old' && a.score !== undefined);
    const oldShare = taking.reduce((sum, a) => sum + a.share, 0);
    const competitors = taking.map((a) => full.get(a.name) ?? a.name);
    for (const a of region.assignments) if (a.role === 'new' && a.score !== undefined) out[full.get(a.name) ?? a.name] = { share: a.share, oldShare, competitors };
  }
  return out;
}

/** Instant rollback for one meta: new clusters score 0 + cordoned + added constraints removed; old scores and cordon state restored. */
export function rollbackChanges(original: OriginalSnapshot[string] | undefined, news: readonly ShiftCluster[], olds: readonly ShiftCluster[], staffConstraint?: string): NamedChange[] {
  const out: NamedChange[] = [];
  for (const c of news) {
    out.push({ name: c.name, change: { score: 0 } }, { name: c.name, change: { cordoned: true } });
    if (staffConstraint) {
      // Remove drops every copy; re-adding once restores a constraint the cluster was registered with
      // (the staff stage removed it), so a later uncordon cannot expose the cluster to everyone.
      out.push({ name: c.name, change: { admissionConstraint: { add: false, constraint: staffConstraint } } });
      if (original?.[c.name]?.admissionConstraints.includes(staffConstraint)) {
        out.push({ name: c.name, change: { admissionConstraint: { add: true, constraint: staffConstraint } } });
      }
    }
  }
  for (const c of olds) {
    const s = original?.[c.name];
    if (!s) continue;
    out.push({ name: c.name, change: { score: s.score } });
    // Only AVAILABLE/CORDONED map to the cordoned flag; a DRAINING cluster is left draining.
    if (s.state === 'AVAILABLE' || s.state === 'CORDONED') out.push({ name: c.name, change: { cordoned: s.state === 'CORDONED' } });
  }
  return out;
}
