/**
 * Typed client of one meta cluster's cluster registry (ws-manager-bridge
 * ClusterService): what each call means. Every call has a deadline; idempotent
 * calls (List, and Update of an absolute value) are retried, and a call the
 * bridge takes but never answers is bounded (`call-runner.ts`); every failure
 * becomes a WsdError (`status-errors.ts`). When the answer to a call that must
 * not be repeated is lost (Register, Deregister, a constraint change), List
 * tells whether it went through, and that is what the caller hears
 * (`lost-answer.ts`).
 */
import type * as Grpc from '@grpc/grpc-js';
import { WsdError, isWsdError } from '../core/errors.js';
import type { EventSink } from '../core/events.js';
import { Redactor } from '../core/redact.js';
import { CallRunner, DEFAULT_RETRY, type RetryOptions } from './call-runner.js';
import { keepOnce, lostAnswer, seen, settleLostAnswer, type CallOutcome, type LostAnswerPeer } from './lost-answer.js';
import { loadClusterService } from './proto.js';
import type { CallContext } from './status-errors.js';
import type { ClusterStatus, RegisterInput, UpdateProperty, WireListResponse } from './types.js';
import { formatConstraint, sameConstraint } from './constraints.js';
import { DUPLICATE_NAME_WHY, duplicateNameFix, duplicateNames, stateWords } from './format.js';
import { assertTlsUpdateKept } from './tls-update-check.js';
import { registerToWire, statusFromWire, updateToWire, describeUpdate } from './wire.js';

/** PEM contents for a TLS channel to the bridge (all optional: CA alone = server-auth TLS). */
export interface ChannelTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
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

/**
 * The largest answer read from a bridge. grpc-js's default (4 MiB) is a List of some tens of thousands of clusters, which a
 * bridge sends without a limit of its own; 64 MiB stays bounded and far above any real registry.
 */
export const MAX_ANSWER_BYTES = 64 * 1024 * 1024;
const REGISTER_DEADLINE_MS = 60_000;

/** Client of one registry. Create with {@link RegistryClient.connect}; {@link close} when done. */
export class RegistryClient {
  readonly meta: string;
  readonly address: string;
  private readonly deadlineMs: number;
  private readonly redactor: Redactor;
  private readonly runner: CallRunner;

  private constructor(grpc: typeof Grpc, client: Grpc.Client, open: () => Grpc.Client, private readonly options: RegistryClientOptions) {
    this.address = options.address;
    this.meta = options.meta ?? options.address;
    this.deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
    this.redactor = options.redactor ?? new Redactor();
    this.runner = new CallRunner(grpc, client, open, {
      address: this.address,
      meta: this.meta,
      retry: options.retry ?? DEFAULT_RETRY,
      redactor: this.redactor,
      sink: options.sink,
      progressMs: options.progressMs,
      signal: options.signal,
    });
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
      new Client(options.address, creds, {
        'grpc.max_reconnect_backoff_ms': 2_000,
        'grpc.enable_retries': 0,
        'grpc.use_local_subchannel_pool': 1,
        'grpc.max_receive_message_length': MAX_ANSWER_BYTES,
      });
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
        return settleLostAnswer(this.peer(), error, seen(`show ${input.name} registered at ${input.url}`), registered, resend ? again : undefined);
      }
      throw await this.refineAlreadyExists(error, input);
    }
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
      `${input.name} is already registered with ${this.meta} at ${input.url} (${stateWords(same)}, score ${same.score}, region ${same.region || '"" (any)'}): ` +
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
    // An OK to a TLS update from a bridge before 2024-06 means it was ignored: found out first (tls-update-check.ts).
    if ('tls' in property) await assertTlsUpdateKept((n, p) => this.updateOnce(n, p), this.meta, name);
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
              if (add) await keepOnce(this.peer(), name, constraint);
              return outcome;
            }
          : undefined;
        return settleLostAnswer(this.peer(), error, seen(`show ${name} ${add ? 'with' : 'without'} ${formatConstraint(constraint)}`), (clusters) => has(clusters) === add, again);
      }
      throw await this.refineNotFound(error, name);
    }
  }

  /** An Update of an absolute value as it is, without the TLS check (which is one). */
  private async updateOnce(name: string, property: UpdateProperty): Promise<CallOutcome> {
    try {
      await this.call('Update', updateToWire(name, property), { operation: 'update', cluster: name, change: describeUpdate(property), repeatable: true, deadlineMs: this.deadlineMs }, true);
      return {};
    } catch (error) {
      throw await this.refineNotFound(error, name);
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
        return settleLostAnswer(this.peer(), error, { done: `no longer lists ${request.name}`, notDone: `still lists ${request.name}` }, (clusters) => !clusters.some((c) => c.name === request.name), again);
      }
      throw await this.refineNotFound(error, request.name);
    }
  }

  /**
   * All clusters the registry knows, static ones included. A name listed twice is refused (every caller finds a
   * cluster by its name, and would act on one of the two unknowingly) unless `duplicates: 'allow'`: for showing them.
   */
  async list(options: { duplicates?: 'allow' } = {}): Promise<ClusterStatus[]> {
    const response = (await this.call('List', {}, { operation: 'list', deadlineMs: this.deadlineMs }, true)) as WireListResponse;
    const clusters = (response.status ?? []).map(statusFromWire);
    if (options.duplicates !== 'allow') {
      const twice = duplicateNames(clusters, this.meta);
      if (twice.length > 0) {
        throw new WsdError('RegistryError', `${twice.join('; ')}: ${DUPLICATE_NAME_WHY}; this List answer was not used. ${duplicateNameFix(this.address, this.meta)}`, {
          details: { meta: this.meta, address: this.address, operation: 'list' },
        });
      }
    }
    return clusters;
  }

  close(): void {
    this.runner.close();
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

  /** Sends one call through the runner, with this client's meta and address in its context. */
  private call(method: string, request: unknown, ctx: Omit<CallContext, 'meta' | 'address'>, idempotent: boolean): Promise<unknown> {
    return this.runner.call(method, request, ctx, idempotent);
  }

  /** Itself, as lost-answer.ts settles with it: its own List and Update (so a test's stand-in List is the one used). */
  private peer(): LostAnswerPeer {
    return { meta: this.meta, sink: this.options.sink, list: () => this.list(), update: (name, property, resend) => this.update(name, property, resend) };
  }
}
