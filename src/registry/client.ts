/**
 * Typed client of one meta cluster's cluster registry (ws-manager-bridge
 * ClusterService). Every call has a deadline; idempotent calls (List, and
 * Update of an absolute value) retry UNAVAILABLE / DEADLINE_EXCEEDED with capped
 * backoff, a call the bridge takes but never answers at most `unanswered`
 * times, with a `registry.waiting` line while it waits; every failure becomes
 * a WsdError (see `status-errors.ts`). When the answer to a call that must not
 * be repeated is lost (Register, Deregister, a constraint change), List tells
 * whether it went through, and that is what the caller hears; when List shows a
 * call lost with its connection not done, it is sent once more (an add, then
 * checked by List: the first copy may have landed too).
 *
 * Deadlines are wall-clock (grpc-js takes an absolute one), so a stop of the job (Ctrl-Z, core/job-pause.ts) across
 * a call can run its deadline out while we, not the bridge, were paused: such a call is sent again with a fresh
 * deadline and not counted as unanswered (a call that must not be repeated goes through List first, as a lost answer).
 */
import { sleep } from '../core/sleep.js';
import type * as Grpc from '@grpc/grpc-js';
import { WsdError, isWsdError, toWsdError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { pausedMs, runningClock } from '../core/job-pause.js';
import { Redactor } from '../core/redact.js';
import { loadClusterService } from './proto.js';
import { GrpcStatus, registryError, type CallContext, type GrpcErrorLike } from './status-errors.js';
import type { AdmissionConstraint, ClusterStatus, RegisterInput, UpdateProperty, WireListResponse } from './types.js';
import { formatConstraint, sameConstraint } from './constraints.js';
import { describeUpdate, registerToWire, statusFromWire, updateToWire } from './wire.js';

/** PEM contents for a TLS channel to the bridge (all optional: CA alone = server-auth TLS). */
export interface ChannelTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export interface RetryOptions {
  /** Total attempts including the first. */
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  /**
   * Of those, attempts that may end at the deadline (default 2). A bridge that takes the call and never answers
   * is hung, not blinking: five full deadlines were 76 s of silence, this bounds the wait to about two.
   */
  unanswered?: number;
}

interface RegistryClientOptions {
  /** `host:port` of the bridge (a port-forward's local end, or a direct address). */
  address: string;
  /** Meta cluster name, used in messages; defaults to the address. */
  meta?: string;
  /** Absent: plaintext (the bridge listens on localhost in its pod, reached by port-forward). */
  tls?: ChannelTls;
  /** Deadline per call. Default 15 s; Register gets at least 60 s because the bridge dials ws-manager. */
  deadlineMs?: number;
  retry?: RetryOptions;
  /** Scrubs TLS material the bridge might echo back in an error. */
  redactor?: Redactor;
  /** Receives `registry.retry`, `registry.waiting` and `registry.answer-lost` events. */
  sink?: EventSink;
  /** How often a `registry.waiting` line reports a call still unanswered. Default 5 s, or a third of a shorter deadline. */
  progressMs?: number;
  signal?: AbortSignal;
}

const DEFAULT_DEADLINE_MS = 15_000;
const REGISTER_DEADLINE_MS = 60_000;
/**
 * A dropped connection (a port-forward reset) is usually back at once: the first
 * retry comes after 50 ms, so a reset mid-rollback costs a round trip, not a
 * quarter second; later ones back off (50, 100, 200, 400 ms) for a bridge that
 * is really gone, and the shift retries the step on top of that.
 */
const DEFAULT_RETRY: RetryOptions = { attempts: 5, initialDelayMs: 50, maxDelayMs: 2_000, unanswered: 2 };
const DEFAULT_PROGRESS_MS = 5_000;
/** A short deadline (`bridgeTimeout: 2s`) still gets its waiting lines, at most this often. */
const MIN_PROGRESS_MS = 250;

/** What a Register, Deregister or Update that went through reports. */
interface CallOutcome {
  /** The answer was lost; List showed that the call went through. */
  answerLost?: string;
}

type Unary = (request: unknown, metadata: Grpc.Metadata, options: Grpc.CallOptions, callback: (error: Grpc.ServiceError | null, response?: unknown) => void) => Grpc.ClientUnaryCall;

/** Client of one registry. Create with {@link RegistryClient.connect}; {@link close} when done. */
export class RegistryClient {
  readonly meta: string;
  readonly address: string;
  private readonly deadlineMs: number;
  private readonly retry: RetryOptions;
  private readonly redactor: Redactor;

  /** Calls under way on {@link client}: a channel is replaced only when none is. */
  private inFlight = 0;
  private closed = false;

  private constructor(
    private readonly grpc: typeof Grpc,
    private client: Grpc.Client,
    private readonly open: () => Grpc.Client,
    private readonly options: RegistryClientOptions,
  ) {
    this.address = options.address;
    this.meta = options.meta ?? options.address;
    this.deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.redactor = options.redactor ?? new Redactor();
  }

  /** Loads the protocol (lazily, once per process) and opens a channel; no call is made yet. */
  static async connect(options: RegistryClientOptions): Promise<RegistryClient> {
    const { grpc, Client } = await loadClusterService();
    const creds = options.tls
      ? grpc.credentials.createSsl(options.tls.ca ?? null, options.tls.key ?? null, options.tls.cert ?? null)
      : grpc.credentials.createInsecure();
    // Retries are ours, and so is the connection: grpc-js otherwise shares one among clients of an address, and a
    // client opened after a reset, or after the bridge came back, inherits a dead connection or a reconnect backoff.
    const open = () =>
      new Client(options.address, creds, { 'grpc.max_reconnect_backoff_ms': 2_000, 'grpc.enable_retries': 0, 'grpc.use_local_subchannel_pool': 1 });
    return new RegistryClient(grpc, open(), open, options);
  }

  /**
   * Registers a cluster. Not retried blindly: a lost answer after success would turn a retry into ALREADY_EXISTS.
   * Sent once more only when List shows a Register lost with its connection not done (`resend`).
   */
  async register(input: RegisterInput, resend = true): Promise<CallOutcome> {
    this.redactor.add(input.tls.key);
    try {
      await this.call('Register', registerToWire(input), {
        operation: 'register',
        cluster: input.name,
        url: input.url,
        deadlineMs: Math.max(this.deadlineMs, REGISTER_DEADLINE_MS),
      }, false);
      return {};
    } catch (error) {
      if (lostAnswer(error)) {
        const again = async () => {
          try {
            return await this.register(input, false);
          } catch (retryError) {
            // ALREADY_EXISTS for our very name and url: the lost one was still on its way and landed first.
            if (isWsdError(retryError) && retryError.details['alreadyRegistered'] === true) return { answerLost: String(error.details['answerLost']) };
            throw retryError;
          }
        };
        const registered = (clusters: ClusterStatus[]) => clusters.some((c) => c.name === input.name && c.url === input.url);
        return this.settleLostAnswer(error, seen(`show ${input.name} registered at ${input.url}`), registered, resend ? again : undefined);
      }
      throw await this.refineAlreadyExists(error, input);
    }
  }

  /**
   * A call that must not be repeated lost its answer: List says whether it went through. Done → the caller
   * goes on (with a warning saying so); not done → the bridge had not done it and retrying is safe (a retry
   * that finds it done after all says so), so a call lost with its connection is sent `again`, once (a reset
   * port-forward or bridge: the first call on the dead connection is lost, the next one goes through); List
   * failing too → the original "may have" error, with List's failure added.
   */
  private async settleLostAnswer(
    error: WsdError,
    says: { done: string; notDone: string },
    done: (clusters: ClusterStatus[]) => boolean,
    again?: () => Promise<CallOutcome>,
  ): Promise<CallOutcome> {
    const lost = String(error.details['answerLost']);
    // One List settles it: the bridge runs every call through one queue, so a List it takes after the lost call
    // is answered after that call was applied or refused. Only a request still in transit can land later, and no
    // number of Lists or pauses bounds that: the error says so, and the next run's List or ALREADY_EXISTS finds it.
    let clusters: ClusterStatus[];
    try {
      clusters = await this.list();
    } catch (listError) {
      throw new WsdError(error.code, `${error.message} (List to find out failed too: ${toWsdError(listError).message})`, {
        transient: true,
        details: error.details,
        cause: error,
      });
    }
    if (done(clusters)) {
      this.options.sink?.emit({
        level: 'warn',
        code: 'registry.answer-lost',
        message: `${lost}; List on ${this.meta} ${says.done}, so it went through`,
        data: { meta: this.meta, operation: error.details['operation'], cluster: error.details['cluster'] },
      });
      return { answerLost: lost };
    }
    // Past the deadline the bridge may still be at it (Register dials ws-manager): sending it again would wait
    // another deadline behind it, so that one is left to the operator. Unless the deadline ran out while the job was
    // stopped: then the bridge had all that time, and List, answered after the call, says it had not done it.
    if (again && (error.details['grpcCode'] === GrpcStatus.UNAVAILABLE || typeof error.details['stoppedMs'] === 'number')) {
      this.options.sink?.emit({
        level: 'warn',
        code: 'registry.retry',
        message: `${lost}; List on ${this.meta} right after ${says.notDone}, so the bridge had not done it: sending it once more`,
        data: { meta: this.meta, operation: error.details['operation'], cluster: error.details['cluster'], resent: true },
      });
      return again();
    }
    // Past the deadline the bridge may still be at it (Register dials ws-manager): "not yet", not "never".
    const outcome =
      error.details['grpcCode'] === GrpcStatus.DEADLINE_EXCEEDED
        ? ', but the bridge may still be at it (a retry that finds it done says so)'
        : ', so the bridge had not done it (a request still in transit could land later: a retry that finds it done says so)';
    throw new WsdError('RegistryUnavailable', `${lost}; List on ${this.meta} right after ${says.notDone}${outcome}; retry once the bridge answers`, {
      transient: true,
      details: { ...error.details, answerLost: lost, applied: false },
      cause: error,
    });
  }

  /**
   * ALREADY_EXISTS for the very name and url asked for is an earlier Register that went through (its answer lost):
   * "deregister the old entry" would remove the cluster just registered, so say what is there instead.
   */
  private async refineAlreadyExists(error: unknown, input: RegisterInput): Promise<unknown> {
    if (!isWsdError(error) || error.code !== 'RegistryConflict') return error;
    const same = (await this.list().catch(() => undefined))?.find((c) => c.name === input.name && c.url === input.url);
    if (!same) return error;
    return new WsdError(
      'RegistryConflict',
      `${input.name} is already registered with ${this.meta} at ${input.url} (${same.state}, score ${same.score}, region ${same.region || '"" (any)'}): ` +
        `an earlier register went through; nothing was changed (deregister it first only to register it with other settings)`,
      { details: { ...error.details, alreadyRegistered: true }, cause: error },
    );
  }

  /** Changes exactly one property of a registered cluster; `resend` as in {@link register}. */
  async update(name: string, property: UpdateProperty, resend = true): Promise<CallOutcome> {
    const keys = Object.keys(property);
    if (keys.length !== 1) {
      throw new WsdError('Internal', `registry update of ${name} must change exactly one property, got ${keys.join(', ') || 'none'}`, {
        source: 'internal',
      });
    }
    // Setting an absolute value (TLS material included) twice is harmless; adding a constraint twice is not.
    const repeatable = !('admissionConstraint' in property);
    try {
      await this.call('Update', updateToWire(name, property), { operation: 'update', cluster: name, change: describeUpdate(property), repeatable, deadlineMs: this.deadlineMs }, repeatable);
      return {};
    } catch (error) {
      if (lostAnswer(error) && 'admissionConstraint' in property) {
        const { add, constraint } = property.admissionConstraint;
        const has = (clusters: ClusterStatus[]) => clusters.find((c) => c.name === name)?.admissionConstraints.some((k) => sameConstraint(k, constraint)) ?? false;
        // Sent again, a copy still in transit may land too: List after the second send finds an add there twice.
        const again = resend
          ? async () => {
              const outcome = await this.update(name, property, false);
              if (add) await this.keepOnce(name, constraint);
              return outcome;
            }
          : undefined;
        return this.settleLostAnswer(error, seen(`show ${name} ${add ? 'with' : 'without'} ${formatConstraint(constraint)}`), (clusters) => has(clusters) === add, again);
      }
      throw await this.refineNotFound(error, name);
    }
  }

  /**
   * After an add sent twice, List: when both copies landed (the first one was still on its way), the bridge holds
   * the constraint twice (it appends, and would keep both), so it is removed (which drops every copy) and added once.
   * In between the cluster lacks it for a round trip, as it did just before the add (List said so). A first copy
   * landing after this List is out of reach; the shift's constraint sets count a constraint once all the same.
   */
  private async keepOnce(name: string, constraint: AdmissionConstraint): Promise<void> {
    let clusters: ClusterStatus[];
    try {
      clusters = await this.list();
    } catch (error) {
      this.options.sink?.emit({
        level: 'warn',
        code: 'registry.duplicate-unknown',
        message: `added ${formatConstraint(constraint)} to ${name} on ${this.meta} with a second send, and could not List to check that it is there once (${toWsdError(error).message}); \`ws-deployment clusters list --meta ${this.meta}\` shows it`,
        data: { meta: this.meta, cluster: name, constraint: formatConstraint(constraint) },
      });
      return;
    }
    const copies = clusters.find((c) => c.name === name)?.admissionConstraints.filter((k) => sameConstraint(k, constraint)).length ?? 0;
    if (copies <= 1) return;
    const text = formatConstraint(constraint);
    this.options.sink?.emit({
      level: 'warn',
      code: 'registry.duplicate-removed',
      message: `${name} on ${this.meta} lists ${text} ${copies} times: the first add landed after all, besides the second; removing it and adding it once`,
      data: { meta: this.meta, cluster: name, constraint: text, copies },
    });
    try {
      await this.update(name, { admissionConstraint: { add: false, constraint } }, false);
      await this.update(name, { admissionConstraint: { add: true, constraint } }, false);
    } catch (error) {
      const cause = toWsdError(error);
      throw new WsdError(
        cause.code,
        `${name} on ${this.meta} listed ${text} ${copies} times after a second add, and setting it back to once failed: ${cause.message}; ` +
          `check with \`ws-deployment clusters list --meta ${this.meta}\`, and if ${text} is missing add it with \`ws-deployment clusters update --meta ${this.meta} --name ${name} admission-constraint add ${text}\``,
        { transient: cause.transient, details: { ...cause.details, duplicate: copies }, cause },
      );
    }
  }

  /**
   * Removes a cluster. Without `force` the bridge refuses while regular workspaces run on it. `resend` as in
   * {@link register}: the bridge accepts a Deregister of a name it does not have, so a second one is harmless.
   */
  async deregister(request: { name: string; force: boolean }, resend = true): Promise<CallOutcome> {
    try {
      await this.call('Deregister', { name: request.name, force: request.force }, { operation: 'deregister', cluster: request.name, force: request.force, deadlineMs: this.deadlineMs }, false);
      return {};
    } catch (error) {
      if (lostAnswer(error)) {
        const again = resend ? () => this.deregister(request, false) : undefined;
        return this.settleLostAnswer(error, { done: `no longer lists ${request.name}`, notDone: `still lists ${request.name}` }, (clusters) => !clusters.some((c) => c.name === request.name), again);
      }
      throw await this.refineNotFound(error, request.name);
    }
  }

  /** All clusters the registry knows, static ones included. */
  async list(): Promise<ClusterStatus[]> {
    const response = (await this.call('List', {}, { operation: 'list', deadlineMs: this.deadlineMs }, true)) as WireListResponse;
    return (response.status ?? []).map(statusFromWire);
  }

  close(): void {
    this.closed = true;
    this.client.close();
  }

  /** A fresh channel in place of the current one, unless another call still runs on it (or the client is closed). */
  private reopen(): void {
    if (this.inFlight > 0 || this.closed) return;
    this.client.close();
    this.client = this.open();
  }

  /**
   * The bridge keeps static clusters outside its database, so changing one
   * answers NOT_FOUND; List tells the two cases apart for a better message.
   */
  private async refineNotFound(error: unknown, name: string): Promise<unknown> {
    if (!isWsdError(error) || error.code !== 'RegistryNotFound') return error;
    const clusters = await this.list().catch(() => undefined);
    if (clusters?.some((c) => c.name === name && c.static)) {
      return new WsdError(
        'RegistryRefused',
        `cluster ${name} is static on ${this.meta} (defined in the bridge's own config), so the registry cannot change it; edit the bridge config instead`,
        { details: { ...error.details, static: true }, cause: error },
      );
    }
    return error;
  }

  private async call(method: string, request: unknown, ctx: Omit<CallContext, 'meta' | 'address'>, idempotent: boolean): Promise<unknown> {
    const full: CallContext = { ...ctx, meta: this.meta, address: this.address };
    const attempts = idempotent ? Math.max(1, this.retry.attempts) : 1;
    const unanswered = Math.max(1, this.retry.unanswered ?? DEFAULT_RETRY.unanswered ?? 1);
    // Times said (so far, in all) are running time: a stop of the job is not time the bridge kept us waiting.
    const clock = runningClock();
    const started = clock();
    const pausedAtStart = pausedMs();
    let delay = this.retry.initialDelayMs;
    let timedOut = 0;
    for (let attempt = 1; ; attempt++) {
      const pausedAtSend = pausedMs();
      try {
        return await this.once(method, request, full, { attempt, of: attempts, started, pausedAtStart });
      } catch (raw) {
        if (isWsdError(raw)) throw raw;
        const code = (raw as GrpcErrorLike).code;
        const stoppedMs = code === GrpcStatus.DEADLINE_EXCEEDED ? pausedMs() - pausedAtSend : 0;
        if (stoppedMs > 0 && idempotent) {
          this.resendAfterStop(full, attempt, attempts, stoppedMs);
          attempt--;
          continue;
        }
        if (code === GrpcStatus.DEADLINE_EXCEEDED) timedOut++;
        const mapped = registryError(raw as GrpcErrorLike, full, this.redactor);
        // Not sent again blindly: the lost-answer path (List first) decides, told why the deadline ran out.
        const error = stoppedMs > 0 ? pastDeadlineWhileStopped(mapped, full, stoppedMs) : mapped;
        const retryable = code === GrpcStatus.UNAVAILABLE || code === GrpcStatus.DEADLINE_EXCEEDED;
        const giveUp = !retryable || attempt >= attempts || timedOut >= unanswered || this.options.signal?.aborted;
        if (giveUp) throw idempotent && code === GrpcStatus.DEADLINE_EXCEEDED ? this.unanswered(error, full, timedOut, clock() - started) : error;
        const why =
          code === GrpcStatus.DEADLINE_EXCEEDED
            ? `no answer within ${seconds(full.deadlineMs)} (gives up after ${unanswered} unanswered)`
            : `failed (${error.message})`;
        this.options.sink?.emit({
          level: 'warn',
          code: 'registry.retry',
          message:
            `${ctx.operation} on ${this.meta}: ${why}; attempt ${attempt + 1} of ${attempts} in ${delay} ms, ${seconds(clock() - started)} so far`,
          data: { meta: this.meta, operation: ctx.operation, attempt, attempts, delayMs: delay },
        });
        await sleep(delay, this.options.signal);
        // The old channel may sit in grpc-js's reconnect backoff (1 s and more) and fail every attempt fast,
        // although the bridge is back: each retry after a failed connection gets a channel that connects now.
        if (code === GrpcStatus.UNAVAILABLE) this.reopen();
        delay = Math.min(delay * 2, this.retry.maxDelayMs);
      }
    }
  }

  /**
   * An idempotent call whose deadline ran out while the job was stopped: said (not as a warning, nothing is wrong
   * with the bridge) and sent again at once as the same attempt.
   */
  private resendAfterStop(ctx: CallContext, attempt: number, attempts: number, stoppedMs: number): void {
    this.options.sink?.emit({
      level: 'info',
      code: 'registry.resend-after-stop',
      message:
        `${callWords(ctx)} on ${this.meta}: its ${seconds(ctx.deadlineMs)} deadline ran out while the job was stopped (${seconds(stoppedMs)}); ` +
        `sending it again, still attempt ${attempt} of ${attempts}`,
      data: { meta: this.meta, operation: ctx.operation, attempt, attempts, stoppedMs },
    });
  }

  /**
   * The final error of a call the bridge took and did not answer, `timedOut` times: name the bridge and what to do
   * about it. What to do next is the caller's (run the command again, resume the shift): the message is quoted
   * inside theirs (`details.unanswered` marks it), so it ends with the bridge.
   */
  private unanswered(error: WsdError, ctx: CallContext, timedOut: number, elapsedMs: number): WsdError {
    return new WsdError(
      'RegistryUnavailable',
      `the cluster registry of ${ctx.meta} (ws-manager-bridge at ${ctx.address}) took ${callWords(ctx)} ${timedOut} times and never answered ` +
        `(${seconds(ctx.deadlineMs)} each, ${seconds(elapsedMs)} in all): the bridge is hung or overloaded; check its pod in ${ctx.meta} ` +
        `(logs, restart it)`,
      { transient: true, details: { ...error.details, unanswered: timedOut }, cause: error },
    );
  }

  private once(
    method: string,
    request: unknown,
    ctx: CallContext,
    progress: { attempt: number; of: number; started: number; pausedAtStart: number },
  ): Promise<unknown> {
    const fn = (this.client as unknown as Record<string, Unary>)[method];
    if (!fn) throw new WsdError('Internal', `ClusterService has no method ${method}`, { source: 'internal' });
    const signal = this.options.signal;
    if (signal?.aborted) return Promise.reject(new WsdError('Interrupted', `interrupted before ${method} on ${this.meta}`));
    const sink = this.options.sink;
    const sent = Date.now();
    const clock = runningClock();
    const sentRunning = clock();
    const pausedAtSend = pausedMs();
    // A line every few seconds while the bridge keeps quiet: at 3 a.m. silence reads as a hung tool.
    const waiting = sink
      ? setInterval(() => {
          // Its deadline ran out while the job was stopped: it is about to be sent again, not waited on.
          if (pausedMs() > pausedAtSend && Date.now() >= sent + ctx.deadlineMs) return;
          const now = clock();
          const stopped = pausedMs() - progress.pausedAtStart;
          sink.emit({
            level: 'warn',
            code: 'registry.waiting',
            message:
              `still waiting for the cluster registry of ${this.meta} (${this.address}) to answer ${callWords(ctx)}: ` +
              `${seconds(now - sentRunning)} into attempt ${progress.attempt} of ${progress.of} (gives up after ${seconds(ctx.deadlineMs)}), ${seconds(now - progress.started)} in all` +
              (stopped > 0 ? `, not counting ${seconds(stopped)} the job was stopped` : ''),
            data: { meta: this.meta, operation: ctx.operation, attempt: progress.attempt, attempts: progress.of, waitedMs: now - progress.started },
          });
        }, this.options.progressMs ?? Math.min(DEFAULT_PROGRESS_MS, Math.max(MIN_PROGRESS_MS, Math.floor(ctx.deadlineMs / 3))))
      : undefined;
    waiting?.unref();
    this.inFlight++;
    return new Promise((resolve, reject) => {
      const call = fn.call(this.client, request, new this.grpc.Metadata(), { deadline: sent + ctx.deadlineMs }, (error, response) => {
        this.inFlight--;
        clearInterval(waiting);
        signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(response);
      });
      // Cancelling surfaces as CANCELLED, which maps to Interrupted.
      const onAbort = () => call.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** What List says, either way, about a state it can show ("show eu1 registered at …"). */
function seen(state: string): { done: string; notDone: string } {
  return { done: `${state.replace(/^show /, 'shows ')}`, notDone: `does not ${state}` };
}

/**
 * The "did not answer within" of a call that must not be repeated, when its deadline ran out while the job was
 * stopped: the bridge is not to blame, and `stoppedMs` lets the lost-answer path send it again after List.
 */
function pastDeadlineWhileStopped(error: WsdError, ctx: CallContext, stoppedMs: number): WsdError {
  const lost = error.details['answerLost'];
  if (typeof lost !== 'string' || !error.message.startsWith(lost)) return error;
  const what =
    `${ctx.change ?? ctx.operation} of ${ctx.cluster ?? '(no name)'} on ${ctx.meta} ran out its ${seconds(ctx.deadlineMs)} deadline ` +
    `while the job was stopped (${seconds(stoppedMs)}), so its answer, if any, came too late`;
  return new WsdError(error.code, what + error.message.slice(lost.length), {
    transient: error.transient,
    details: { ...error.details, answerLost: what, stoppedMs },
    cause: error,
  });
}

/** A Register, Deregister or constraint change whose answer was lost (see `outcomeUnknown` in status-errors.ts). */
function lostAnswer(error: unknown): error is WsdError {
  return isWsdError(error) && typeof error.details['answerLost'] === 'string';
}

/** `list`, or an update with its cluster: `update of eu18 (score 50)`. */
function callWords(ctx: CallContext): string {
  return ctx.change && ctx.cluster ? `${ctx.operation} of ${ctx.cluster} (${ctx.change})` : (ctx.change ?? ctx.operation);
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
