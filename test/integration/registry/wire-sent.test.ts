/**
 * What our client really puts on the wire, decoded with the CURRENT proto: a
 * raw gRPC server on 127.0.0.1 keeps the request bytes of every call the
 * client makes (Register with every field, Update of every property,
 * Deregister, List), and a strict walker fails on any field number the
 * current proto does not define — except the one deliberate legacy field,
 * RegistrationHints 3 (`govern`), and only inside Register's hints.
 */
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../../src/registry/client.js';
import { protoPath } from '../../../src/registry/proto.js';
import type { UpdateProperty } from '../../../src/registry/types.js';
import { TEST_TLS } from './support/sim.js';

const root = new protobuf.Root().loadSync(protoPath(), { keepCase: true });
const type = (name: string) => root.lookupType(`workspacemanagerbridge.${name}`);

/** Paths such as `hints.3` of every field the type does not define, recursing into known message fields. */
function unknownFields(t: protobuf.Type, bytes: Uint8Array, path = ''): string[] {
  const found: string[] = [];
  const reader = protobuf.Reader.create(bytes);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const id = tag >>> 3;
    const wireType = tag & 7;
    const field = t.fieldsById[id];
    const here = `${path}${field?.name ?? id}`;
    if (!field) {
      found.push(here);
      reader.skipType(wireType);
      continue;
    }
    field.resolve();
    if (field.resolvedType instanceof protobuf.Type) {
      found.push(...unknownFields(field.resolvedType, reader.bytes(), `${here}.`));
    } else reader.skipType(wireType);
  }
  return found;
}

const METHODS = { Register: 'RegisterRequest', Update: 'UpdateRequest', Deregister: 'DeregisterRequest', List: 'ListRequest' } as const;
type Method = keyof typeof METHODS;

describe('bytes our client sends', () => {
  const seen: Array<{ method: Method; bytes: Buffer }> = [];
  let server: grpc.Server;
  let client: RegistryClient;

  beforeAll(async () => {
    server = new grpc.Server();
    const raw = (b: Buffer) => b;
    const definition: grpc.ServiceDefinition = Object.fromEntries(
      Object.keys(METHODS).map((m) => [
        m,
        { path: `/workspacemanagerbridge.ClusterService/${m}`, requestStream: false, responseStream: false, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw, originalName: m },
      ]),
    );
    const handlers = Object.fromEntries(
      Object.keys(METHODS).map((m) => [
        m,
        (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
          seen.push({ method: m as Method, bytes: call.request });
          // As a current bridge: TLS material with a part missing is refused (the client's check that the bridge knows the field).
          const tls = m === 'Update' ? (type('UpdateRequest').toObject(type('UpdateRequest').decode(call.request)) as { tls?: { ca?: string } }).tls : undefined;
          if (tls && !tls.ca) return callback({ code: grpc.status.UNKNOWN, details: 'missing required TLS config' });
          callback(null, Buffer.alloc(0));
        },
      ]),
    );
    server.addService(definition, handlers);
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    client = await RegistryClient.connect({ address: `127.0.0.1:${port}`, meta: 'wire' });
  });

  afterAll(async () => {
    client.close();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  });

  it('every call decodes with the current proto; the only extra field is the legacy govern hint in Register', async () => {
    const base = { url: 'dns:///ws-x:8080', tls: TEST_TLS, admissionConstraints: [{ type: 'has-feature-preview' as const }, { type: 'has-permission' as const, permission: 'p' }] };
    await client.register({ ...base, name: 'gov', hints: { preferability: 'Prefer', cordoned: true, govern: true }, region: 'europe' });
    await client.register({ ...base, name: 'plain', hints: { preferability: 'DontSchedule', cordoned: false, govern: false }, region: '' });
    const updates: UpdateProperty[] = [
      { score: -5 },
      { maxScore: 50 },
      { cordoned: true },
      { admissionConstraint: { add: true, constraint: { type: 'has-permission', permission: 'p' } } },
      { admissionConstraint: { add: false, constraint: { type: 'has-feature-preview' } } },
      { tls: TEST_TLS },
    ];
    for (const u of updates) await client.update('gov', u);
    await client.deregister({ name: 'gov', force: true });
    await client.list();

    // The TLS update is two: empty material first (tls-update-check.ts), then the material.
    expect(seen.map((s) => s.method)).toEqual(['Register', 'Register', 'Update', 'Update', 'Update', 'Update', 'Update', 'Update', 'Update', 'Deregister', 'List']);
    const extras = seen.map((s) => unknownFields(type(METHODS[s.method]), s.bytes));
    expect(extras).toEqual([['hints.3'], [], [], [], [], [], [], [], [], [], []]);
    // name "gov", then field 7 present with ca, crt and key each empty (a bridge that knows field 7 refuses that).
    expect(seen[7]?.bytes.toString('hex')).toBe('0a03676f76' + '3a06' + '0a00' + '1200' + '1a00');

    // And the known fields carry what was asked.
    const gov = type('RegisterRequest').toObject(type('RegisterRequest').decode(seen[0]?.bytes ?? Buffer.alloc(0)), { enums: String });
    expect(gov).toMatchObject({ name: 'gov', region: 'europe', hints: { perfereability: 'Prefer', cordoned: true }, admission_constraints: [{ has_feature_preview: {} }, { has_permission: { permission: 'p' } }] });
    const tlsUpdate = type('UpdateRequest').toObject(type('UpdateRequest').decode(seen[8]?.bytes ?? Buffer.alloc(0)));
    expect(Buffer.from(String(tlsUpdate['tls']?.key), 'base64').toString()).toBe(TEST_TLS.key);
    const score = type('UpdateRequest').toObject(type('UpdateRequest').decode(seen[2]?.bytes ?? Buffer.alloc(0)));
    expect(score).toEqual({ name: 'gov', score: -5 });
  });

  it('the strict walker does catch a field the current proto does not know', () => {
    // RegisterRequest 6 (admission_preference, reserved) holding user_level "x".
    expect(unknownFields(type('RegisterRequest'), Buffer.from('0a01613203' + '0a0178', 'hex'))).toEqual(['6']);
  });
});
