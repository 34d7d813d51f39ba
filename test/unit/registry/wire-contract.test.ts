/**
 * Wire compatibility with ws-manager-bridge: the proto file must match the
 * contract table of shared/design.md §3 field by field, and what our client
 * sends must encode to the bytes a protoc-generated peer expects.
 */
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { protoPath } from '../../../src/registry/proto.js';
import { registerToWire, updateToWire } from '../../../src/registry/wire.js';

const root = new protobuf.Root().loadSync(protoPath(), { keepCase: true });
const type = (name: string) => root.lookupType(`workspacemanagerbridge.${name}`);
const enumOf = (name: string) => root.lookupEnum(`workspacemanagerbridge.${name}`);

/** The contract table: message → [number, name, type, repeated?]. */
const CONTRACT: Record<string, Array<[number, string, string, boolean?]>> = {
  RegisterRequest: [[1, 'name', 'string'], [2, 'url', 'string'], [3, 'tls', 'TlsConfig'], [4, 'hints', 'RegistrationHints'], [5, 'admission_constraints', 'AdmissionConstraint', true], [6, 'admission_preference', 'AdmissionPreference', true]],
  TlsConfig: [[1, 'ca', 'string'], [2, 'crt', 'string'], [3, 'key', 'string']],
  RegistrationHints: [[1, 'perfereability', 'Preferability'], [2, 'cordoned', 'bool'], [3, 'govern', 'bool']],
  AdmissionConstraint: [[1, 'has_feature_preview', 'FeaturePreview'], [2, 'has_permission', 'HasPermission'], [3, 'has_user_level', 'string']],
  'AdmissionConstraint.HasPermission': [[1, 'permission', 'string']],
  'AdmissionConstraint.FeaturePreview': [],
  AdmissionPreference: [[1, 'user_level', 'string']],
  ClusterStatus: [[1, 'name', 'string'], [2, 'url', 'string'], [3, 'state', 'ClusterState'], [4, 'score', 'int32'], [5, 'max_score', 'int32'], [6, 'governed', 'bool'], [7, 'admission_constraint', 'AdmissionConstraint', true], [8, 'static', 'bool'], [9, 'admission_preference', 'AdmissionPreference', true]],
  UpdateRequest: [[1, 'name', 'string'], [2, 'score', 'int32'], [3, 'max_score', 'int32'], [4, 'cordoned', 'bool'], [5, 'admission_constraint', 'ModifyAdmissionConstraint'], [6, 'admission_preference', 'ModifyAdmissionPreference']],
  ModifyAdmissionConstraint: [[1, 'add', 'bool'], [2, 'constraint', 'AdmissionConstraint']],
  ModifyAdmissionPreference: [[1, 'add', 'bool'], [2, 'preference', 'AdmissionPreference']],
  DeregisterRequest: [[1, 'name', 'string'], [2, 'force', 'bool']],
  ListRequest: [],
  ListResponse: [[1, 'status', 'ClusterStatus', true]],
  RegisterResponse: [],
  UpdateResponse: [],
  DeregisterResponse: [],
};

const ONEOFS: Record<string, Record<string, string[]>> = {
  AdmissionConstraint: { constraint: ['has_feature_preview', 'has_permission', 'has_user_level'] },
  AdmissionPreference: { preference: ['user_level'] },
  UpdateRequest: { property: ['score', 'max_score', 'cordoned', 'admission_constraint', 'admission_preference'] },
};

describe('proto file vs the contract table', () => {
  for (const [message, fields] of Object.entries(CONTRACT)) {
    it(`${message} has exactly the contract's fields`, () => {
      const actual = type(message).fieldsArray.map((f) => [f.id, f.name, f.type, f.repeated || undefined]);
      const expected = fields.map(([id, name, t, repeated]) => [id, name, t, repeated]);
      expect(actual.sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual(expected.sort((a, b) => Number(a[0]) - Number(b[0])));
    });
  }

  for (const [message, oneofs] of Object.entries(ONEOFS)) {
    it(`${message} groups its oneof members as the contract says`, () => {
      const actual = Object.fromEntries(type(message).oneofsArray.map((o) => [o.name, o.oneof]));
      expect(actual).toEqual(oneofs);
    });
  }

  it('enums have the contract values', () => {
    expect(enumOf('Preferability').values).toEqual({ None: 0, Prefer: 1, DontSchedule: 2 });
    expect(enumOf('ClusterState').values).toEqual({ UNKNOWN: 0, AVAILABLE: 1, CORDONED: 2, DRAINING: 3 });
  });

  it('the service has the four RPCs with the contract types', () => {
    const service = root.lookupService('workspacemanagerbridge.ClusterService');
    const methods = Object.fromEntries(service.methodsArray.map((m) => [m.name, [m.requestType, m.responseType]]));
    expect(methods).toEqual({
      Register: ['RegisterRequest', 'RegisterResponse'],
      Update: ['UpdateRequest', 'UpdateResponse'],
      Deregister: ['DeregisterRequest', 'DeregisterResponse'],
      List: ['ListRequest', 'ListResponse'],
    });
  });
});

describe('bytes on the wire', () => {
  const encode = (message: string, value: object) => Buffer.from(type(message).encode(type(message).fromObject(value)).finish()).toString('hex');

  it('UpdateRequest max_score uses field 3 varint (0x18), score field 2 (0x10), cordoned field 4 (0x20)', () => {
    expect(encode('UpdateRequest', updateToWire('a', { maxScore: 5 }))).toBe('0a0161' + '1805');
    expect(encode('UpdateRequest', updateToWire('a', { score: 20 }))).toBe('0a0161' + '1014');
    expect(encode('UpdateRequest', updateToWire('a', { cordoned: true }))).toBe('0a0161' + '2001');
  });

  it('an admission constraint update nests has_permission in field 5 → field 2 → field 2 → field 1', () => {
    const hex = encode('UpdateRequest', updateToWire('a', { admissionConstraint: { add: true, constraint: { type: 'has-permission', permission: 'p' } } }));
    // 2a 09: field 5, 9 bytes = 08 01 (add) + 12 05 (constraint) = 12 03 (has_permission) = 0a 01 70 ('p')
    expect(hex).toBe('0a0161' + '2a09' + '0801' + '1205' + '1203' + '0a0170');
  });

  it('RegisterRequest carries base64 PEM in TlsConfig and Prefer as enum 1 in hints field 1', () => {
    const wire = registerToWire({
      name: 'eu17',
      url: 'u',
      tls: { ca: 'A', crt: 'B', key: 'C' },
      hints: { preferability: 'Prefer', cordoned: true, govern: true },
      admissionConstraints: [{ type: 'has-feature-preview' }],
      admissionPreferences: [{ type: 'user-level', level: 'x' }],
    });
    const decoded = type('RegisterRequest').toObject(type('RegisterRequest').decode(type('RegisterRequest').encode(type('RegisterRequest').fromObject(wire)).finish()), { enums: String });
    expect(decoded).toEqual({
      name: 'eu17',
      url: 'u',
      tls: { ca: 'QQ==', crt: 'Qg==', key: 'Qw==' },
      hints: { perfereability: 'Prefer', cordoned: true, govern: true },
      admission_constraints: [{ has_feature_preview: {} }],
      admission_preference: [{ user_level: 'x' }],
    });
    // hints = field 4 (0x22), len 6: perfereability=1, cordoned=1, govern=1
    expect(encode('RegisterRequest', { hints: wire.hints })).toBe('2206' + '0801' + '1001' + '1801');
  });

  it('DeregisterRequest force is field 2 bool', () => {
    expect(encode('DeregisterRequest', { name: 'a', force: true })).toBe('0a0161' + '1001');
  });
});
