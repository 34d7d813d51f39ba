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
 * - Update: unknown name → NOT_FOUND; no property set (or a constraint with an
 *   empty oneof / empty permission) → OK, nothing changes; exactly one property
 *   changes otherwise. Constraint add appends (also a duplicate; chosen),
 *   remove drops every equal one. The 2023-02 bridge has no field 7, so a TLS
 *   update is a request without property.
 * - Deregister: regular workspaces running under the name and no force →
 *   FAILED_PRECONDITION; otherwise the entry goes (an unknown name deletes
 *   nothing, OK). Forcing stops the running workspaces.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';

export type ReferenceVersion = 'current' | '2023-02';

interface Constraint {
  kind: 'has-feature-preview' | 'has-permission';
  permission?: string;
}

/** One List row, in our plain shape (what the test compares). */
export interface ReferenceRow {
  name: string;
  url: string;
  state: string;
  score: number;
  maxScore: number;
  governed: boolean;
  static: boolean;
  constraints: Constraint[];
  region: string;
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

function loadRoot(version: ReferenceVersion): protobuf.Root {
  const text = readFileSync(fileURLToPath(new URL('./cluster-service.proto', import.meta.url)), 'utf8');
  const root = protobuf.parse(text, { keepCase: true }).root;
  if (version === '2023-02') {
    // Before 2023-03 the hints had `govern = 3`; before 2024-06 UpdateRequest had no `tls = 7`.
    root.lookupType('workspacemanagerbridge.RegistrationHints').add(new protobuf.Field('govern', 3, 'bool'));
    const update = root.lookupType('workspacemanagerbridge.UpdateRequest');
    const tls = update.fields['tls'];
    if (tls) update.remove(tls);
  }
  root.resolveAll();
  return root;
}

function constraintOf(raw: Record<string, unknown> | undefined): Constraint | undefined {
  if (!raw) return undefined;
  if (raw['has_feature_preview']) return { kind: 'has-feature-preview' };
  const permission = (raw['has_permission'] as { permission?: string } | undefined)?.permission;
  return permission ? { kind: 'has-permission', permission } : undefined;
}

const same = (a: Constraint, b: Constraint) => a.kind === b.kind && (a.permission ?? '') === (b.permission ?? '');

export class ReferenceBridge {
  private readonly clusters = new Map<string, Entry>();
  private readonly running = new Map<string, number>();
  private readonly server = new grpc.Server();
  address = '';

  constructor(readonly version: ReferenceVersion = 'current') {}

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
    const wrap = (fn: (req: Record<string, unknown>) => object) => (call: grpc.ServerUnaryCall<Record<string, unknown>, object>, cb: grpc.sendUnaryData<object>) => {
      try {
        cb(null, fn(call.request));
      } catch (e) {
        if (e instanceof Refusal) cb({ code: e.code, details: e.message });
        else cb({ code: Status.INTERNAL, details: String(e) });
      }
    };
    this.server.addService(
      {
        Register: method('Register', 'RegisterRequest', 'RegisterResponse'),
        Update: method('Update', 'UpdateRequest', 'UpdateResponse'),
        Deregister: method('Deregister', 'DeregisterRequest', 'DeregisterResponse'),
        List: method('List', 'ListRequest', 'ListResponse'),
      },
      {
        Register: wrap((r) => this.register(r)),
        Update: wrap((r) => this.update(r)),
        Deregister: wrap((r) => this.deregister(r)),
        List: wrap(() => ({ status: this.rows().map(toWire) })),
      },
    );
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    this.address = `127.0.0.1:${port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }

  reset(): void {
    this.clusters.clear();
    this.running.clear();
  }

  /** Regular workspaces running on `name` (what blocks a non-forced Deregister). */
  setRunning(name: string, n: number): void {
    this.running.set(name, n);
  }

  rows(): ReferenceRow[] {
    return [...this.clusters.values()].map(({ tls: _tls, ...row }) => ({ ...row, constraints: [...row.constraints] }));
  }

  /** TLS material stored for `name` (PEM text), to check TLS updates. */
  tlsOf(name: string): Entry['tls'] | undefined {
    return this.clusters.get(name)?.tls;
  }

  private register(r: Record<string, unknown>): object {
    const name = String(r['name'] ?? '');
    const url = String(r['url'] ?? '');
    if (this.clusters.has(name)) throw new Refusal(Status.ALREADY_EXISTS, `name ${name} taken`);
    if ([...this.clusters.values()].some((c) => c.url === url)) throw new Refusal(Status.ALREADY_EXISTS, `url ${url} taken`);
    const hints = (r['hints'] ?? {}) as { perfereability?: number; cordoned?: boolean; govern?: boolean };
    const score = SCORE_BY_PREFERABILITY[hints.perfereability ?? 0];
    if (score === undefined) throw new Refusal(Status.INVALID_ARGUMENT, `unknown preferability ${hints.perfereability}`);
    const tlsRaw = r['tls'] as { ca?: string; crt?: string; key?: string } | undefined;
    if (!tlsRaw) throw new Refusal(Status.INVALID_ARGUMENT, 'TLS is required');
    const region = String(r['region'] ?? '');
    if (!REGIONS.includes(region)) throw new Refusal(Status.INVALID_ARGUMENT, `region ${region}`);
    const tls = { ca: tlsRaw.ca ?? '', crt: tlsRaw.crt ?? '', key: tlsRaw.key ?? '' };
    if (!url || !name || !tls.ca || !tls.crt || !tls.key) throw new Refusal(Status.FAILED_PRECONDITION, 'cannot dial ws-manager');
    const constraints = ((r['admission_constraints'] ?? []) as Array<Record<string, unknown>>).map(constraintOf).filter((c): c is Constraint => !!c);
    this.clusters.set(name, {
      name,
      url,
      state: hints.cordoned ? 'CORDONED' : 'AVAILABLE',
      score,
      maxScore: 100,
      governed: this.version === 'current' ? true : hints.govern === true,
      static: false,
      constraints,
      region,
      tls: { ca: pem(tls.ca), crt: pem(tls.crt), key: pem(tls.key) },
    });
    return {};
  }

  private update(r: Record<string, unknown>): object {
    const c = this.clusters.get(String(r['name'] ?? ''));
    if (!c) throw new Refusal(Status.NOT_FOUND, `no cluster ${String(r['name'])}`);
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
        const t = r['tls'] as { ca?: string; crt?: string; key?: string };
        c.tls = { ca: pem(t.ca ?? ''), crt: pem(t.crt ?? ''), key: pem(t.key ?? '') };
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
    if (running > 0 && !r['force']) throw new Refusal(Status.FAILED_PRECONDITION, `${running} workspaces running`);
    if (this.clusters.delete(name)) this.running.set(name, 0);
    return {};
  }
}

const pem = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
const STATE_NUMBER: Record<string, number> = { UNKNOWN: 0, AVAILABLE: 1, CORDONED: 2, DRAINING: 3 };

function toWire(row: ReferenceRow): object {
  return {
    name: row.name,
    url: row.url,
    state: STATE_NUMBER[row.state],
    score: row.score,
    max_score: row.maxScore,
    governed: row.governed,
    static: row.static,
    admission_constraint: row.constraints.map((k) => (k.kind === 'has-feature-preview' ? { has_feature_preview: {} } : { has_permission: { permission: k.permission } })),
    region: row.region,
  };
}
