/**
 * The calls of one registry client (client.ts): its channel, replaced after a failed connection; a deadline per
 * call; for idempotent calls (List, an Update of an absolute value) retries of UNAVAILABLE / DEADLINE_EXCEEDED with
 * capped backoff, at most `unanswered` of them ending at the deadline; a `registry.waiting` line while the bridge
 * keeps quiet; every failure as a WsdError (`status-errors.ts`). What a lost answer of a call that must not be
 * repeated means is `lost-answer.ts`'s.
 *
 * Deadlines are wall-clock (grpc-js takes an absolute one), so a stop of the job (Ctrl-Z, core/job-pause.ts) across
 * a call can run its deadline out while we, not the bridge, were paused: such a call is sent again with a fresh
 * deadline and not counted as unanswered (a call that must not be repeated goes through List first, as a lost answer).
 */
import { sleep } from '../core/sleep.js';
import type * as Grpc from '@grpc/grpc-js';
import { WsdError, isWsdError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { pausedMs, runningClock } from '../core/job-pause.js';
import type { Redactor } from '../core/redact.js';
import { GrpcStatus, registryError, type CallContext, type GrpcErrorLike } from './status-errors.js';

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

/**
 * A dropped connection (a port-forward reset) is usually back at once: the first
 * retry comes after 50 ms, so a reset mid-rollback costs a round trip, not a
 * quarter second; later ones back off (50, 100, 200, 400 ms) for a bridge that
 * is really gone, and the shift retries the step on top of that.
 */
export const DEFAULT_RETRY: RetryOptions = { attempts: 5, initialDelayMs: 50, maxDelayMs: 2_000, unanswered: 2 };
const DEFAULT_PROGRESS_MS = 5_000;
/** A short deadline (`bridgeTimeout: 2s`) still gets its waiting lines, at most this often. */
const MIN_PROGRESS_MS = 250;

type Unary = (request: unknown, metadata: Grpc.Metadata, options: Grpc.CallOptions, callback: (error: Grpc.ServiceError | null, response?: unknown) => void) => Grpc.ClientUnaryCall;

/** What a {@link CallRunner} needs of its client's options. */
export interface CallRunnerOptions {
  address: string;
  /** Meta cluster name, used in messages. */
  meta: string;
  retry: RetryOptions;
  redactor: Redactor;
  sink?: EventSink;
  progressMs?: number;
  signal?: AbortSignal;
}

/** Runs the calls of one client on its channel. */
export class CallRunner {
  readonly meta: string;
  readonly address: string;
  private readonly retry: RetryOptions;
  private readonly redactor: Redactor;

  /** Calls under way on {@link client}: a channel is replaced only when none is. */
  private inFlight = 0;
  private closed = false;

  constructor(
    private readonly grpc: typeof Grpc,
    private client: Grpc.Client,
    private readonly open: () => Grpc.Client,
    private readonly options: CallRunnerOptions,
  ) {
    this.address = options.address;
    this.meta = options.meta;
    this.retry = options.retry;
    this.redactor = options.redactor;
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

  /** Sends `method`; an idempotent call is retried on UNAVAILABLE / DEADLINE_EXCEEDED within the bounds of `retry`. */
  async call(method: string, request: unknown, ctx: Omit<CallContext, 'meta' | 'address'>, idempotent: boolean): Promise<unknown> {
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
        // A database that failed on the way (bridge-db-errors.ts) is as passing as a dropped connection.
        const database = error.details['database'] === 'transient';
        const retryable = code === GrpcStatus.UNAVAILABLE || code === GrpcStatus.DEADLINE_EXCEEDED || database;
        const giveUp = !retryable || attempt >= attempts || timedOut >= unanswered || this.options.signal?.aborted;
        if (giveUp) {
          if (idempotent && code === GrpcStatus.DEADLINE_EXCEEDED) throw this.unanswered(error, full, timedOut, clock() - started);
          throw database && attempt > 1 ? triedTimes(error, attempt, clock() - started) : error;
        }
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
        `(${seconds(ctx.deadlineMs)} each, ${seconds(elapsedMs)} in all${mayHaveApplied(ctx)}): the bridge is hung or overloaded; check its pod in ${ctx.meta} ` +
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

/** A retried call's last error, with how long it was tried. */
function triedTimes(error: WsdError, attempts: number, elapsedMs: number): WsdError {
  return new WsdError(error.code, `${error.message} (${attempts} attempts in ${seconds(elapsedMs)})`, { transient: error.transient, details: { ...error.details, attempts }, cause: error });
}

/** `list`, or an update with its cluster: `update of eu18 (score 50)`. */
/**
 * Only List is unanswered without consequence: a bridge that takes an Update applies it before it answers (one queue),
 * so one that answers too late, or only after a restart, may have changed the cluster all the same.
 */
function mayHaveApplied(ctx: CallContext): string {
  return ctx.operation === 'list' ? '' : '; it may have applied it all the same, as `clusters list` shows';
}

function callWords(ctx: CallContext): string {
  return ctx.change && ctx.cluster ? `${ctx.operation} of ${ctx.cluster} (${ctx.change})` : (ctx.change ?? ctx.operation);
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
