/**
 * Differential test: the registry simulator (src/registry/simulator) against a
 * reference bridge written only from design.md §3 (test/helpers/reference-bridge),
 * both over real gRPC on 127.0.0.1. fast-check generates call sequences —
 * registers with every field combination (absent/empty/partial TLS, unknown
 * preferability, every region incl. GCP ones, the legacy govern hint, empty
 * constraints), updates of every property incl. TLS and no property at all,
 * deregisters of known/unknown/busy names with and without force, constraint
 * add/remove incl. duplicates, swaps — and after every call compares the status
 * code, then List field by field (and the stored TLS material). Both bridge
 * versions are covered: the current one and a 2023-02 one (govern from the
 * hint, no TLS update). Both have two static clusters (the bridge's own config): `c`, a name the sequences
 * register too, and `d` at the url of `a`. Servers are reused; state is reset between sequences.
 *
 * WSD_DIFF_SEQUENCES sets the number of sequences (default 500).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../../src/registry/client.js';
import { formatConstraint } from '../../../src/registry/constraints.js';
import { loadClusterService } from '../../../src/registry/proto.js';
import { alwaysReachable, startSimulator, type BridgeVersion, type RunningSimulator } from '../../../src/registry/simulator/index.js';
import { swapClusters } from '../../../src/registry/swap.js';
import type { WireListResponse } from '../../../src/registry/types.js';
import { statusFromWire } from '../../../src/registry/wire.js';
import { ReferenceBridge } from '../../helpers/reference-bridge/reference-bridge.js';

const SEQUENCES = Math.max(1, Number(process.env['WSD_DIFF_SEQUENCES'] ?? 500));
const VERSIONS: BridgeVersion[] = ['current', '2023-02'];

// ---- generated operations ----

const NAMES = ['a', 'b', 'c', ''];
const URLS = ['dns:///ws-a:8080', 'dns:///ws-b:8080', 'dns:///ws-c:8080', ''];
const b64 = (s: string) => Buffer.from(s).toString('base64');
const TLS = {
  full1: { ca: b64('CA1'), crt: b64('CRT1'), key: b64('KEY1') },
  full2: { ca: b64('CA2'), crt: b64('CRT2'), key: b64('KEY2') },
  empty: { ca: '', crt: '', key: '' },
  partial: { ca: b64('CA1'), crt: '', key: b64('KEY1') },
};
const tlsArb = fc.constantFrom<keyof typeof TLS | 'absent'>('absent', 'empty', 'partial', 'full1', 'full2');
const constraintArb = fc.constantFrom<object>(
  { has_feature_preview: {} },
  { has_permission: { permission: 'p1' } },
  { has_permission: { permission: 'p2' } },
  { has_permission: { permission: '' } },
  {},
);
const REGIONS = ['', 'europe', 'north-america', 'south-america', 'africa', 'asia', 'europe-west1', 'Europe', 'us-west1'];

const registerArb = fc.record({
  op: fc.constant('register' as const),
  name: fc.constantFrom(...NAMES),
  url: fc.constantFrom(...URLS),
  tls: tlsArb,
  hints: fc.option(fc.record({ perfereability: fc.constantFrom(0, 1, 2, 2, 5), cordoned: fc.boolean(), govern: fc.boolean() }), { nil: undefined }),
  constraints: fc.array(constraintArb, { maxLength: 3 }),
  region: fc.constantFrom(...REGIONS),
});
const propertyArb = fc.oneof(
  fc.constant({}),
  fc.integer({ min: -200, max: 800 }).map((score) => ({ score })),
  fc.integer({ min: -50, max: 200 }).map((max_score) => ({ max_score })),
  fc.boolean().map((cordoned) => ({ cordoned })),
  fc.record({ add: fc.boolean(), constraint: constraintArb }).map((admission_constraint) => ({ admission_constraint })),
  fc.record({ add: fc.boolean() }).map((admission_constraint) => ({ admission_constraint })),
  fc.constantFrom('full1', 'full2', 'empty').map((t) => ({ tls: TLS[t as keyof typeof TLS] })),
);
const updateArb = fc.record({ op: fc.constant('update' as const), name: fc.constantFrom(...NAMES), property: propertyArb });
const deregisterArb = fc.record({ op: fc.constant('deregister' as const), name: fc.constantFrom(...NAMES, 'd', 'zz'), force: fc.boolean() });
const runningArb = fc.record({ op: fc.constant('running' as const), name: fc.constantFrom('a', 'b', 'c'), n: fc.integer({ min: 0, max: 2 }) });
const swapArb = fc.record({ op: fc.constant('swap' as const), a: fc.constantFrom('a', 'b', 'c'), b: fc.constantFrom('a', 'b', 'c', 'd', 'zz'), ignore: fc.boolean() });
const opArb = fc.oneof({ arbitrary: registerArb, weight: 4 }, { arbitrary: updateArb, weight: 4 }, { arbitrary: deregisterArb, weight: 2 }, { arbitrary: runningArb, weight: 1 }, { arbitrary: swapArb, weight: 2 });
type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

/** In the bridge's config: `c` is a name the sequences register, `d` sits at the url of `a`. */
const STATICS = [
  { name: 'c', url: 'dns:///ws-static-c:8080', state: 'AVAILABLE', score: 30, maxScore: 100, governed: true, region: 'europe' },
  { name: 'd', url: 'dns:///ws-a:8080', state: 'CORDONED', score: 0, maxScore: 100, governed: false, region: '' },
] as const;

// ---- one side of the comparison ----

interface Side {
  label: string;
  raw: Grpc.Client;
  client: RegistryClient;
  reset(): Promise<void>;
  setRunning(name: string, n: number): Promise<void>;
  /** sha256 of each cluster's stored TLS material. */
  tlsFingerprints(): Record<string, string>;
}

type Unary = (req: object, cb: (e: Grpc.ServiceError | null, res?: unknown) => void) => void;

function call(side: Side, method: string, request: object): Promise<{ code: number; response?: unknown }> {
  return new Promise((resolve) => {
    (side.raw as unknown as Record<string, Unary>)[method]?.call(side.raw, request, (error, response) => resolve(error ? { code: error.code } : { code: 0, response }));
  });
}

async function listOf(side: Side): Promise<unknown[]> {
  const { code, response } = await call(side, 'List', {});
  expect(code, `${side.label}: List`).toBe(0);
  return ((response as WireListResponse).status ?? [])
    .map(statusFromWire)
    .map((c) => ({ ...c, admissionConstraints: c.admissionConstraints.map(formatConstraint) }))
    .sort((x, y) => x.name.localeCompare(y.name));
}

function requestOf(op: Op): [string, object] {
  switch (op.op) {
    case 'register':
      return [
        'Register',
        {
          name: op.name,
          url: op.url,
          tls: op.tls === 'absent' ? null : TLS[op.tls],
          hints: op.hints ? { perfereability: op.hints.perfereability, cordoned: op.hints.cordoned } : null,
          legacy_govern: op.hints?.govern ?? false,
          admission_constraints: op.constraints,
          region: op.region,
        },
      ];
    case 'update':
      return ['Update', { name: op.name, ...op.property }];
    case 'deregister':
      return ['Deregister', { name: op.name, force: op.force }];
    default:
      throw new Error(`no request for ${op.op}`);
  }
}

/** Runs one op on one side: the gRPC status code (0 = OK), or the WsdError code of a swap. */
async function apply(side: Side, op: Op): Promise<string | number> {
  if (op.op === 'running') {
    await side.setRunning(op.name, op.n);
    return 0;
  }
  if (op.op === 'swap') {
    return swapClusters(side.client, op.a, op.b, { ignoreAdmissionConstraints: op.ignore }).then(
      () => 'ok',
      (e: { code?: string }) => String(e.code),
    );
  }
  const [method, request] = requestOf(op);
  return (await call(side, method, request)).code;
}

const sha = (t: { ca: string; crt: string; key: string }) => createHash('sha256').update(t.ca).update('\0').update(t.crt).update('\0').update(t.key).digest('hex');

describe('simulator vs reference bridge (design.md §3)', () => {
  let dir: string;
  const sims: RunningSimulator[] = [];
  const refs: ReferenceBridge[] = [];
  const pairs = new Map<BridgeVersion, { sim: Side; ref: Side }>();
  const clients: Array<{ close(): void }> = [];

  beforeAll(async () => {
    // tmpfs when there is one: the simulator persists every mutation with fsync.
    dir = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'wsd-diff-'));
    const { grpc, Client } = await loadClusterService();
    const raw = (address: string) => {
      const c = new Client(address, grpc.credentials.createInsecure());
      clients.push(c);
      return c;
    };
    const typed = async (address: string) => {
      const c = await RegistryClient.connect({ address, meta: address, retry: { attempts: 1, initialDelayMs: 1, maxDelayMs: 1 } });
      clients.push(c);
      return c;
    };
    for (const version of VERSIONS) {
      const stateFile = join(dir, `${version}.json`);
      const sim = await startSimulator({
        stateFile,
        reachability: alwaysReachable,
        bridgeVersion: version,
        staticClusters: STATICS.map((s) => ({ ...s, admissionConstraints: s.name === 'd' ? [{ type: 'has-feature-preview' as const }] : [] })),
      });
      const ref = new ReferenceBridge(version);
      await ref.start();
      sims.push(sim);
      refs.push(ref);
      pairs.set(version, {
        sim: {
          label: `simulator(${version})`,
          raw: raw(sim.address),
          client: await typed(sim.address),
          reset: () => sim.reset(),
          setRunning: (name, n) => sim.setRunning(name, n),
          tlsFingerprints: () => {
            const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { clusters: Array<{ name: string; static: boolean; tlsFingerprint?: string }> };
            return Object.fromEntries(state.clusters.filter((c) => !c.static).map((c) => [c.name, c.tlsFingerprint ?? '']));
          },
        },
        ref: {
          label: `reference(${version})`,
          raw: raw(ref.address),
          client: await typed(ref.address),
          reset: async () => {
            await ref.reset();
            for (const s of STATICS) ref.seedStatic({ ...s, constraints: s.name === 'd' ? [{ kind: 'has-feature-preview' }] : [] });
          },
          setRunning: async (name, n) => ref.setRunning(name, n),
          tlsFingerprints: () => Object.fromEntries(ref.rows().map((r) => [r.name, sha(ref.tlsOf(r.name) ?? { ca: '', crt: '', key: '' })])),
        },
      });
    }
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all([...sims.map((s) => s.stop()), ...refs.map((r) => r.stop())]);
    await rm(dir, { recursive: true, force: true });
  });

  it(`${SEQUENCES} generated sequences: same status codes, same List, same TLS material`, async () => {
    const stats = { calls: 0, ok: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...VERSIONS), fc.array(opArb, { minLength: 1, maxLength: 12 }), async (version, ops) => {
        const { sim, ref } = pairs.get(version) ?? (() => { throw new Error(version); })();
        await Promise.all([sim.reset(), ref.reset()]);
        for (const [i, op] of ops.entries()) {
          const [a, b] = [await apply(sim, op), await apply(ref, op)];
          expect(a, `step ${i} ${JSON.stringify(op)} (${version}): status`).toEqual(b);
          stats.calls++;
          if (a === 0 || a === 'ok') stats.ok++;
          else stats.refused++;
          if (op.op === 'running') continue;
          expect(await listOf(sim), `step ${i} ${JSON.stringify(op)} (${version}): List`).toEqual(await listOf(ref));
          expect(sim.tlsFingerprints(), `step ${i} (${version}): TLS`).toEqual(ref.tlsFingerprints());
        }
      }),
      { numRuns: SEQUENCES },
    );
    // The generator must reach both outcomes often, or the comparison proves little.
    expect(stats.ok).toBeGreaterThan(SEQUENCES);
    expect(stats.refused).toBeGreaterThan(SEQUENCES / 2);
  }, 600_000);
});
