/**
 * A reference ws-manager-bridge ClusterService for the differential test,
 * written only from shared/design.md §3 — it imports nothing from src/ (not
 * the simulator, not the proto loader, not the wire mapping), so a wrong
 * reading of the contract in src/ shows up as a difference.
 *
 * Semantics (design.md §3), and where the document is silent, the reading
 * we chose (marked "chosen"):
 * - Register: name taken, then url taken → ALREADY_EXISTS (chosen order);
 *   preferability not None/Prefer/DontSchedule → INVALID_ARGUMENT; no TLS
 *   message → INVALID_ARGUMENT ("TLS is required"); region not one of the five
 *   or "" → INVALID_ARGUMENT; then the dial of ws-manager: nothing to dial
 *   (empty url or name) or nothing to dial with (an empty TLS field) →
 *   FAILED_PRECONDITION. Score from the hint (Prefer 100, None 50,
 *   DontSchedule 0), max score 100, CORDONED iff cordoned. governed = true
 *   (current) or the `govern` hint, default false (2023-02 bridge).
 * - Update: unknown name → NOT_FOUND (ALREADY_EXISTS before 2022-02, as that bridge sent it); no property set (or a constraint with an
 *   empty oneof / empty permission) → OK, nothing changes; exactly one property
 *   changes otherwise. TLS with ca, crt or key empty → INVALID_ARGUMENT (the
 *   deployed bridge's check; it then dials, which this one always passes). Constraint add appends (also a duplicate; chosen),
 *   remove drops every equal one. The 2023-02 bridge has no field 7, so a TLS
 *   update is a request without property.
 * - Deregister: regular workspaces running under the name and no force →
 *   FAILED_PRECONDITION; otherwise the entry goes (an unknown name deletes
 *   nothing, OK). Forcing stops the running workspaces.
 *
 * Answers: the refusal texts are the deployed bridge's own (gitpod-io/gitpod,
 * components/ws-manager-bridge/src/cluster-service-server.ts, read for facts):
 * "a WorkspaceCluster with name N already exists in the DB", "… does not exist
 * in the DB!" (an Update of an unknown name said "… already exists in the DB!"
 * before 2022-02), "cluster is not empty (N instances remaining)" ("[ids]"
 * appended since 2022-08), "Invalid value for workspace region.", "unknown
 * preferability N", "missing required TLS config", "cannot reach URL: …". The
 * status codes are design.md's (`answers: 'documented'`, the default), or
 * what the deployed bridge really sends (`answers: 'deployed'`): its GRPCError
 * keeps the code in `status`, grpc-js reads `code`, so every refusal goes out
 * as UNKNOWN (2) with the text (gpctl prints "code = Unknown desc = …").
 *
 * Versions: every row of design.md's History table. A bridge of version V
 * speaks the shapes of V — a field added later is unknown to it (skipped on
 * decode, absent from List), a field removed later is still there:
 * - before 2022-02 Register has no duplicate check (the deployed bridge's
 *   check ran no code until 2022-02-19): a taken name is overwritten, as its
 *   database saves by primary key `name`, and a taken url is registered twice
 *   (chosen: from the 2022-02 version on the check is there);
 * - before 2021-11 DeregisterRequest has no `force` (a forced Deregister is a
 *   plain one); before 2022-02 ClusterStatus 9 carries admission preferences
 *   (chosen shape: repeated string), listed for every cluster;
 * - AdmissionConstraint 3 `has_user_level` until 2022-07 (chosen type: string,
 *   the level), 4 `has_more_resources` (bool) from 2022-02 until 2022-07; List
 *   sends either only from 2022-02 until 2022-07, as the deployed bridge did
 *   (before, has_user_level fell through to a `return`; after, no case), though
 *   the cluster keeps them (`listedKind`);
 * - ClusterStatus 10 `application_cluster` from 2022-10 until 2023-03 (chosen
 *   type: string, listed as "app-<name>");
 * - region (RegisterRequest 7, ClusterStatus 11) and its check from 2023-02;
 * - `govern` from the hint before 2023-03, always true since;
 * - UpdateRequest 7 `tls` from 2024-06 ("current").
 *
 * Faults, for tests of what the client does when the network misbehaves. The
 * gRPC server sits behind a TCP relay (the address clients get), so the bridge
 * can cut connections as a port-forward reset does:
 * - `dropAfterApply(method)`: the next call of `method` is applied, then every
 *   connection is cut before the answer goes out (the answer is lost);
 * - `applyLate(method)`: the next call of `method` is taken, every connection
 *   cut, and the call held unapplied until the test says `releaseLate()` (a
 *   request still on its way when the client asked List; see "Ordering");
 * - `hang(method)`: calls of `method` are never answered;
 * - `slow(method, ms)`: answers of `method` come `ms` late;
 * - `restart()`: every connection is cut and the port refuses connections
 *   until the bridge is back (state kept, as a bridge keeps it in its database);
 *   `down()` / `up()` do the two halves, for a bridge down as long as a test wants;
 * - `seedConstraint(name, constraint)`: gives a cluster a constraint our client
 *   cannot send (an old kind), as a bridge of that time would hold it;
 *   `seedRegistration(request)`: a cluster registered by hand (gpctl), no client involved;
 * - `failInDatabase(method, text, applied)`: the next call of `method` fails in the bridge's database, answered as
 *   the deployed bridge answers it (see "Database");
 * - `shapeList(fn)`: List answers fn(its rows): another order, a name twice, a very large answer;
 * - `seedStatic(row)`, `setState(name, state)`: a cluster of the bridge's own config, and a state number a newer
 *   bridge has (see "Static clusters").
 *
 * Database (deployed bridge, read for facts): a call whose database query fails (TypeORM 0.2's QueryFailedError, or
 * the mysql driver's own error while getting a connection) reaches `mapToGRPCError`, which wraps it as
 * `GRPCError(INTERNAL, err)`: the code sits in `status`, so grpc-js sends UNKNOWN with the error's message as details.
 * The fault hands grpc-js that very shape (no `code`), so the status on the wire is grpc-js's decision.
 *
 * Static clusters (deployed bridge, read for facts): its List sends the database's clusters, then those of its
 * config (`static = true`) whose name the database does not have; Register, Update and Deregister look at the
 * database only (a Register of a static name is taken, and then hides the static entry in List; an Update of one is
 * NOT_FOUND; a Deregister of one deletes nothing and is OK).
 *
 * Ordering (so a fault test checks the client, not the scheduler). The real
 * bridge runs every call through one queue, so a call it took is applied before
 * any later call is answered; this one handles each call to the end when it
 * arrives, which is the same. Only a request still in transit can land after
 * a List that came later, and here that happens only when a test says so
 * (`applyLate` + `releaseLate`): a call that reaches the handler after its
 * connection was cut (bytes the relay had passed on before the reset) is
 * dropped, never applied, whatever the timing. Every cut waits until the relay
 * has closed both ends; `reset()` waits for the cuts, cancels late answers and
 * held calls, and listens again, so nothing of one test case reaches the next.
 */
import { readFileSync } from 'node:fs';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';

/** Every row of design.md §3's History table; "current" is 2024-06. */
export const REFERENCE_VERSIONS = ['2021-10', '2021-11', '2022-02', '2022-07', '2022-10', '2023-02', '2023-03', 'current'] as const;
export type ReferenceVersion = (typeof REFERENCE_VERSIONS)[number];

/** `since <= version` (versions are YYYY-MM, "current" is the newest). */
function atLeast(version: ReferenceVersion, since: string): boolean {
  return (version === 'current' ? '2024-06' : version) >= since;
}

export type ReferenceMethod = 'Register' | 'Update' | 'Deregister' | 'List';

export interface Constraint {
  kind: 'has-feature-preview' | 'has-permission' | 'has-user-level' | 'has-more-resources';
  permission?: string;
  level?: string;
}

/** One List row, in our plain shape (what the test compares). */
export interface ReferenceRow {
  name: string;
  url: string;
  /** A name of ClusterState, or a number a newer bridge sends that the proto has no name for. */
  state: string | number;
  score: number;
  maxScore: number;
  governed: boolean;
  static: boolean;
  constraints: Constraint[];
  region: string;
}

/** One client connection through the relay and its upstream connection to the gRPC server. */
interface Link {
  down: Socket;
  up: Socket;
  cut: boolean;
  /** Both ends closed. */
  closed: Promise<void>;
}

interface Entry extends ReferenceRow {
  tls: { ca: string; crt: string; key: string };
}

const REGIONS = ['', 'europe', 'north-america', 'south-america', 'africa', 'asia'];
const SCORE_BY_PREFERABILITY: Record<number, number> = { 0: 50, 1: 100, 2: 0 };
const Status = grpc.status;

class Refusal extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

/** The current proto, changed into the shapes `version` speaks (History table). */
function loadRoot(version: ReferenceVersion): protobuf.Root {
  const text = readFileSync(fileURLToPath(new URL('./cluster-service.proto', import.meta.url)), 'utf8');
  const root = protobuf.parse(text, { keepCase: true }).root;
  const type = (name: string) => root.lookupType(`workspacemanagerbridge.${name}`);
  const drop = (message: string, field: string) => {
    const f = type(message).fields[field];
    if (f) type(message).remove(f);
  };
  const constraint = type('AdmissionConstraint');
  const oneof = constraint.oneofs['constraint'];
  if (!oneof) throw new Error('AdmissionConstraint has no oneof');
  if (!atLeast(version, '2022-07')) {
    constraint.add(new protobuf.Field('has_user_level', 3, 'string'));
    oneof.add(constraint.fields['has_user_level'] as protobuf.Field);
  }
  if (atLeast(version, '2022-02') && !atLeast(version, '2022-07')) {
    constraint.add(new protobuf.Field('has_more_resources', 4, 'bool'));
    oneof.add(constraint.fields['has_more_resources'] as protobuf.Field);
  }
  if (!atLeast(version, '2021-11')) drop('DeregisterRequest', 'force');
  if (!atLeast(version, '2022-02')) type('ClusterStatus').add(new protobuf.Field('admission_preference', 9, 'string', 'repeated'));
  if (atLeast(version, '2022-10') && !atLeast(version, '2023-03')) type('ClusterStatus').add(new protobuf.Field('application_cluster', 10, 'string'));
  if (!atLeast(version, '2023-02')) {
    drop('RegisterRequest', 'region');
    drop('ClusterStatus', 'region');
  }
  if (!atLeast(version, '2023-03')) type('RegistrationHints').add(new protobuf.Field('govern', 3, 'bool'));
  if (!atLeast(version, '2024-06')) drop('UpdateRequest', 'tls');
  root.resolveAll();
  return root;
}

function constraintOf(raw: Record<string, unknown> | undefined): Constraint | undefined {
  if (!raw) return undefined;
  if (raw['has_feature_preview']) return { kind: 'has-feature-preview' };
  if (typeof raw['has_user_level'] === 'string' && raw['has_user_level']) return { kind: 'has-user-level', level: raw['has_user_level'] };
  if (raw['has_more_resources']) return { kind: 'has-more-resources' };
  const permission = (raw['has_permission'] as { permission?: string } | undefined)?.permission;
  return permission ? { kind: 'has-permission', permission } : undefined;
}

const same = (a: Constraint, b: Constraint) => a.kind === b.kind && (a.permission ?? '') === (b.permission ?? '') && (a.level ?? '') === (b.level ?? '');

export class ReferenceBridge {
  private readonly clusters = new Map<string, Entry>();
  private readonly running = new Map<string, number>();
  private readonly server = new grpc.Server();
  private relay: Server | undefined;
  private readonly links = new Set<Link>();
  /** Open relay links by the port of their upstream end: what the gRPC server sees as a call's peer. */
  private readonly linkByPort = new Map<number, Link>();
  /** Delayed answers not sent yet (`slow`), cancelled by `reset()`. */
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Cuts under way (a fault cuts from inside a handler), awaited by `reset()`. */
  private readonly cutting = new Set<Promise<void>>();
  private readonly late = new Set<ReferenceMethod>();
  private held: Array<() => void> = [];
  private grpcPort = 0;
  private relayPort = 0;
  private readonly drops = new Set<ReferenceMethod>();
  private readonly hung = new Set<ReferenceMethod>();
  private readonly delays = new Map<ReferenceMethod, number>();
  private readonly dbFaults = new Map<ReferenceMethod, { text: string; applied: boolean; times: number }>();
  private readonly statics = new Map<string, ReferenceRow>();
  /** `shapeList`: what List answers instead of its rows (another order, a row twice, many more rows). */
  private listShape: ((rows: ReferenceRow[]) => ReferenceRow[]) | undefined;
  /** Calls received per method (answered or not), for tests that count retries. */
  readonly calls: Record<ReferenceMethod, number> = { Register: 0, Update: 0, Deregister: 0, List: 0 };
  address = '';

  constructor(
    readonly version: ReferenceVersion = 'current',
    /** Status codes of refusals: design.md's, or UNKNOWN for all as the deployed bridge sends them (see "Answers"). */
    readonly answers: 'documented' | 'deployed' = 'documented',
  ) {}

  async start(): Promise<void> {
    const root = loadRoot(this.version);
    const t = (name: string) => root.lookupType(`workspacemanagerbridge.${name}`);
    const method = (name: string, req: string, res: string) => ({
      path: `/workspacemanagerbridge.ClusterService/${name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (v: object) => Buffer.from(t(req).encode(t(req).fromObject(v)).finish()),
      requestDeserialize: (b: Buffer) => t(req).toObject(t(req).decode(b), { defaults: false, arrays: true, oneofs: true }),
      responseSerialize: (v: object) => Buffer.from(t(res).encode(t(res).fromObject(v)).finish()),
      responseDeserialize: (b: Buffer) => t(res).toObject(t(res).decode(b)),
    });
    const wrap = (name: ReferenceMethod, fn: (req: Record<string, unknown>) => object) => (call: grpc.ServerUnaryCall<Record<string, unknown>, object>, cb: grpc.sendUnaryData<object>) => {
      this.calls[name]++;
      // Its connection was cut before it got here: the request died with it (see "Ordering").
      if (this.fromCutLink(call.getPeer())) return;
      if (this.hung.has(name)) return;
      if (this.late.delete(name)) {
        // Taken off the wire unapplied and unanswered; the test applies it when it says.
        this.held.push(() => {
          try {
            fn(call.request);
          } catch {
            // Refused when it lands: nothing applied, and nobody to tell.
          }
        });
        this.track(this.cutConnections());
        return;
      }
      const dbFault = this.dbFaults.get(name);
      if (dbFault) {
        if (--dbFault.times <= 0) this.dbFaults.delete(name);
        if (dbFault.applied) {
          try {
            fn(call.request);
          } catch {
            // Refused: nothing applied; the database error is the answer all the same.
          }
        }
        // GRPCError(INTERNAL, err) as the deployed bridge builds it: `status`, no `code` (see "Database").
        return cb(Object.assign(new Error(dbFault.text), { name: 'ServiceError', details: dbFault.text, status: Status.INTERNAL }), null);
      }
      let answer: { error: grpc.ServerErrorResponse | null; value?: object };
      try {
        answer = { error: null, value: fn(call.request) };
      } catch (e) {
        const deployed = this.answers === 'deployed';
        answer = {
          error:
            e instanceof Refusal
              ? { name: 'Refusal', message: e.message, code: deployed ? Status.UNKNOWN : e.code, details: e.message }
              : { name: 'Error', message: String(e), code: deployed ? Status.UNKNOWN : Status.INTERNAL, details: String(e) },
        };
      }
      if (this.drops.delete(name)) {
        // Applied; the answer is lost with the connection.
        this.track(this.cutConnections());
        return;
      }
      const send = () => cb(answer.error, answer.value);
      const delay = this.delays.get(name);
      if (!delay) return send();
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        send();
      }, delay);
      this.timers.add(timer);
    };
    this.server.addService(
      {
        Register: method('Register', 'RegisterRequest', 'RegisterResponse'),
        Update: method('Update', 'UpdateRequest', 'UpdateResponse'),
        Deregister: method('Deregister', 'DeregisterRequest', 'DeregisterResponse'),
        List: method('List', 'ListRequest', 'ListResponse'),
      },
      {
        Register: wrap('Register', (r) => this.register(r)),
        Update: wrap('Update', (r) => this.update(r)),
        Deregister: wrap('Deregister', (r) => this.deregister(r)),
        List: wrap('List', () => ({ status: (this.listShape ?? ((rows) => rows))(this.listed()).map((row) => toWire(row, this.version)) })),
      },
    );
    this.grpcPort = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    await this.listen();
    this.address = `127.0.0.1:${this.relayPort}`;
  }

  /** The TCP relay clients connect to: one upstream connection per client connection. */
  private listen(): Promise<void> {
    // No Nagle on either side: the relay forwards gRPC's small frames one write each, and a held second write
    // waits for the peer's delayed ACK (40 ms) every call, where the bridge answers at once.
    const relay = createServer({ noDelay: true }, (down) => {
      const up = tcpConnect({ port: this.grpcPort, host: '127.0.0.1', noDelay: true });
      const closed = (s: Socket) => new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));
      const link: Link = { down, up, cut: false, closed: Promise.all([closed(down), closed(up)]).then(() => undefined) };
      this.links.add(link);
      // Known before any byte goes up, so every call the server gets is traced to its link.
      up.once('connect', () => {
        if (up.localPort !== undefined) this.linkByPort.set(up.localPort, link);
      });
      void link.closed.then(() => {
        this.links.delete(link);
        for (const [port, l] of this.linkByPort) if (l === link) this.linkByPort.delete(port);
      });
      for (const s of [down, up]) s.on('error', () => undefined);
      down.pipe(up).pipe(down);
      down.on('close', () => up.destroy());
      up.on('close', () => down.destroy());
    });
    this.relay = relay;
    return new Promise((resolve, reject) => {
      relay.once('error', reject);
      relay.listen(this.relayPort, '127.0.0.1', () => {
        const address = relay.address();
        if (address && typeof address === 'object') this.relayPort = address.port;
        resolve();
      });
    });
  }

  /** A call whose relay link was cut, or is gone (the server saw the socket close first). */
  private fromCutLink(peer: string): boolean {
    const port = Number(/:(\d+)$/.exec(peer)?.[1]);
    const link = Number.isInteger(port) ? this.linkByPort.get(port) : undefined;
    return !link || link.cut;
  }

  private track(cut: Promise<void>): void {
    this.cutting.add(cut);
    void cut.then(() => this.cutting.delete(cut));
  }

  /**
   * Resets every open connection (what a port-forward drop looks like to the client) and resolves once the relay
   * has closed both ends of each; anything the server still reads from them is dropped (see "Ordering").
   */
  async cutConnections(): Promise<void> {
    const links = [...this.links];
    for (const link of links) {
      link.cut = true;
      link.down.unpipe(link.up);
      link.up.unpipe(link.down);
      link.down.resetAndDestroy();
      link.up.resetAndDestroy();
    }
    await Promise.all(links.map((l) => l.closed));
  }

  /** Cuts every connection and refuses new ones until {@link up}; state is kept. */
  async down(): Promise<void> {
    const relay = this.relay;
    this.relay = undefined;
    if (relay) {
      const closed = new Promise<void>((resolve) => relay.close(() => resolve()));
      await this.cutConnections();
      await closed;
    }
  }

  /** Listens again on the same address after {@link down} (no-op when listening). */
  async up(): Promise<void> {
    if (!this.relay) await this.listen();
  }

  /** Cuts every connection and refuses new ones for `downMs`, then listens on the same address again; state is kept. */
  async restart(downMs = 0): Promise<void> {
    await this.down();
    if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.up();
  }

  /** The next call of `method` is applied, and the connection cut before its answer goes out. */
  dropAfterApply(method: ReferenceMethod): void {
    this.drops.add(method);
  }

  /** The next call of `method` is taken, every connection cut, and the call held unapplied until {@link releaseLate}. */
  applyLate(method: ReferenceMethod): void {
    this.late.add(method);
  }

  /** Applies the held calls (in the order they came); returns how many there were. */
  releaseLate(): number {
    const held = this.held;
    this.held = [];
    for (const apply of held) apply();
    return held.length;
  }

  /** Calls of `method` are received and never answered (until `hang(method, false)`). */
  hang(method: ReferenceMethod, on = true): void {
    if (on) this.hung.add(method);
    else this.hung.delete(method);
  }

  /** Answers of `method` come `ms` late (0: on time). */
  slow(method: ReferenceMethod, ms: number): void {
    this.delays.set(method, ms);
  }

  async stop(): Promise<void> {
    await this.down();
    await Promise.all(this.cutting);
    for (const timer of this.timers) clearTimeout(timer);
    // Hung calls never finish on their own: no graceful shutdown to wait for.
    this.server.forceShutdown();
  }

  /**
   * Back to a fresh bridge on the same address, and nothing of what went before still under way: every
   * connection cut and closed, delayed answers cancelled, held calls dropped, faults, clusters, workspaces and
   * call counts cleared, listening.
   */
  async reset(): Promise<void> {
    this.clearFaults();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.held = [];
    await this.cutConnections();
    await Promise.all(this.cutting);
    await this.up();
    this.clusters.clear();
    this.statics.clear();
    this.running.clear();
    for (const method of Object.keys(this.calls) as ReferenceMethod[]) this.calls[method] = 0;
  }

  /** Faults armed and not yet fired (drop, late, hang, slow) are disarmed; state and connections are kept. */
  clearFaults(): void {
    this.drops.clear();
    this.late.clear();
    this.hung.clear();
    this.delays.clear();
    this.dbFaults.clear();
    this.listShape = undefined;
  }

  /**
   * List answers `shape(rows)` instead of its rows, until {@link clearFaults}: a bridge (or a proxy in front of
   * one) that sends them in another order, a name twice, or far more rows than the clients' own usual limit.
   */
  shapeList(shape: (rows: ReferenceRow[]) => ReferenceRow[]): void {
    this.listShape = shape;
  }

  /**
   * The next `times` calls of `method` fail in the bridge's database with the driver's `text`; `applied`: after the
   * write went through (a COMMIT whose answer the connection lost).
   */
  failInDatabase(method: ReferenceMethod, text: string, options: { applied?: boolean; times?: number } = {}): void {
    this.dbFaults.set(method, { text, applied: options.applied ?? false, times: options.times ?? 1 });
  }

  /** A cluster of the bridge's own config (see "Static clusters"). */
  seedStatic(row: Omit<ReferenceRow, 'static'>): void {
    this.statics.set(row.name, { ...row, static: true });
  }

  /** Puts a registered cluster in `state`: a name, or a number a newer bridge has (see "Static clusters"). */
  setState(name: string, state: string | number): void {
    const c = this.clusters.get(name);
    if (!c) throw new Error(`no cluster ${name}`);
    c.state = state;
  }

  /** What List answers: the database's clusters, then the static ones whose name it does not have. */
  private listed(): ReferenceRow[] {
    return [...this.rows(), ...[...this.statics.values()].filter((s) => !this.clusters.has(s.name)).map((s) => ({ ...s, constraints: [...s.constraints] }))];
  }

  /** Regular workspaces running on `name` (what blocks a non-forced Deregister). */
  setRunning(name: string, n: number): void {
    this.running.set(name, n);
  }

  /** Adds a constraint to a registered cluster as the bridge stores it (also kinds our client cannot send). */
  seedConstraint(name: string, constraint: Constraint): void {
    const c = this.clusters.get(name);
    if (!c) throw new Error(`no cluster ${name}`);
    c.constraints = [...c.constraints, constraint];
  }

  rows(): ReferenceRow[] {
    return [...this.clusters.values()].map(({ tls: _tls, ...row }) => ({ ...row, constraints: [...row.constraints] }));
  }

  /** Registers as a hand tool would (the wire shape of RegisterRequest), straight into the bridge's state. */
  seedRegistration(request: Record<string, unknown>): void {
    this.register(request);
  }

  /** TLS material stored for `name` (PEM text), to check TLS updates. */
  tlsOf(name: string): Entry['tls'] | undefined {
    return this.clusters.get(name)?.tls;
  }

  private register(r: Record<string, unknown>): object {
    const name = String(r['name'] ?? '');
    const url = String(r['url'] ?? '');
    // Before 2023-02 the field does not exist: decoded as absent, no check. The deployed bridge checks it first.
    const region = String(r['region'] ?? '');
    if (!REGIONS.includes(region)) throw new Refusal(Status.INVALID_ARGUMENT, 'Invalid value for workspace region.');
    if (atLeast(this.version, '2022-02')) {
      if (this.clusters.has(name)) throw new Refusal(Status.ALREADY_EXISTS, `a WorkspaceCluster with name ${name} already exists in the DB`);
      if ([...this.clusters.values()].some((c) => c.url === url)) throw new Refusal(Status.ALREADY_EXISTS, `a WorkspaceCluster with url ${url} already exists in the DB`);
    }
    const hints = (r['hints'] ?? {}) as { perfereability?: number; cordoned?: boolean; govern?: boolean };
    const score = SCORE_BY_PREFERABILITY[hints.perfereability ?? 0];
    if (score === undefined) throw new Refusal(Status.INVALID_ARGUMENT, `unknown preferability ${hints.perfereability}`);
    const tlsRaw = r['tls'] as { ca?: string; crt?: string; key?: string } | undefined;
    if (!tlsRaw) throw new Refusal(Status.INVALID_ARGUMENT, 'missing required TLS config');
    const tls = { ca: tlsRaw.ca ?? '', crt: tlsRaw.crt ?? '', key: tlsRaw.key ?? '' };
    if (!url || !name || !tls.ca || !tls.crt || !tls.key) throw new Refusal(Status.FAILED_PRECONDITION, `cannot reach ${url}: nothing to dial with`);
    const constraints = ((r['admission_constraints'] ?? []) as Array<Record<string, unknown>>).map(constraintOf).filter((c): c is Constraint => !!c);
    this.clusters.set(name, {
      name,
      url,
      state: hints.cordoned ? 'CORDONED' : 'AVAILABLE',
      score,
      maxScore: 100,
      governed: atLeast(this.version, '2023-03') ? true : hints.govern === true,
      static: false,
      constraints,
      region,
      tls: { ca: pem(tls.ca), crt: pem(tls.crt), key: pem(tls.key) },
    });
    return {};
  }
  private update(r: Record<string, unknown>): object {
    const c = this.clusters.get(String(r['name'] ?? ''));
    if (!c) {
      const name = String(r['name'] ?? '');
      // Before 2022-02 (gitpod-io/gitpod 61c466b8e0 … aa52b3ecb0 of 2022-02-19) the bridge said the opposite of what it
      // meant, code and text: GRPCError(ALREADY_EXISTS, "… already exists in the DB!") for a name it does not have.
      if (!atLeast(this.version, '2022-02')) throw new Refusal(Status.ALREADY_EXISTS, `a WorkspaceCluster with name ${name} already exists in the DB!`);
      throw new Refusal(Status.NOT_FOUND, `a WorkspaceCluster with name ${name} does not exist in the DB!`);
    }
    switch (r['property']) {
      case 'score':
        c.score = Number(r['score']);
        break;
      case 'max_score':
        c.maxScore = Number(r['max_score']);
        break;
      case 'cordoned':
        c.state = r['cordoned'] ? 'CORDONED' : 'AVAILABLE';
        break;
      case 'tls': {
        // The deployed bridge (2024-06) refuses material with a part missing, then dials ws-manager with it.
        const t = r['tls'] as { ca?: string; crt?: string; key?: string };
        if (!t.ca || !t.crt || !t.key) throw new Refusal(Status.INVALID_ARGUMENT, 'missing required TLS config');
        c.tls = { ca: pem(t.ca), crt: pem(t.crt), key: pem(t.key) };
        break;
      }
      case 'admission_constraint': {
        const mod = r['admission_constraint'] as { add?: boolean; constraint?: Record<string, unknown> };
        const k = constraintOf(mod.constraint);
        if (!k) break;
        c.constraints = mod.add ? [...c.constraints, k] : c.constraints.filter((x) => !same(x, k));
        break;
      }
      default:
        break;
    }
    return {};
  }

  private deregister(r: Record<string, unknown>): object {
    const name = String(r['name'] ?? '');
    const running = this.running.get(name) ?? 0;
    if (running > 0 && !r['force']) {
      const ids = atLeast(this.version, '2022-08') ? `[${Array.from({ length: running }, (_, i) => `ws-${name}-${i + 1}`).join(',')}]` : '';
      throw new Refusal(Status.FAILED_PRECONDITION, `cluster is not empty (${running} instances remaining)${ids}`);
    }
    if (this.clusters.delete(name)) this.running.set(name, 0);
    return {};
  }
}

const pem = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
const STATE_NUMBER: Record<string, number> = { UNKNOWN: 0, AVAILABLE: 1, CORDONED: 2, DRAINING: 3 };

function constraintToWire(k: Constraint): object {
  switch (k.kind) {
    case 'has-feature-preview':
      return { has_feature_preview: {} };
    case 'has-permission':
      return { has_permission: { permission: k.permission } };
    case 'has-user-level':
      return { has_user_level: k.level };
    case 'has-more-resources':
      return { has_more_resources: true };
  }
}

/**
 * Whether List of `version` sends a stored constraint of this kind (deployed bridge, read for facts: its
 * convertToGRPC). Until 2022-02-19 its `has-user-level` case fell through to `default: return` and skipped the
 * constraint (efd72d8065 added the missing `break`); since 2022-07 the legacy kinds have no case at all, so a cluster
 * that still has one in the database lists without it. Either way the cluster keeps it.
 */
function listedKind(k: Constraint, version: ReferenceVersion): boolean {
  if (k.kind === 'has-feature-preview' || k.kind === 'has-permission') return true;
  return atLeast(version, '2022-02') && !atLeast(version, '2022-07');
}

/** Fields the version does not have are left out by `fromObject`; the old ones it still has carry made-up values. */
function toWire(row: ReferenceRow, version: ReferenceVersion): object {
  return {
    admission_preference: ['user-level:default'],
    application_cluster: `app-${row.name}`,
    name: row.name,
    url: row.url,
    state: typeof row.state === 'number' ? row.state : STATE_NUMBER[row.state],
    score: row.score,
    max_score: row.maxScore,
    governed: row.governed,
    static: row.static,
    admission_constraint: row.constraints.filter((k) => listedKind(k, version)).map(constraintToWire),
    ...(atLeast(version, '2023-02') ? { region: row.region } : {}),
  };
}
