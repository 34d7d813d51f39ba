/**
 * Wire compatibility with ws-manager-bridge: the proto file must match the
 * contract table of shared/design.md §3 field by field, and what our client
 * sends must encode to the bytes a protoc-generated peer expects.
 */
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { protoPath } from '../../../src/registry/proto.js';
import { encodeHintsField, readLegacyGovern } from '../../../src/registry/legacy-govern.js';
import { registerToWire, updateToWire } from '../../../src/registry/wire.js';

const root = new protobuf.Root().loadSync(protoPath(), { keepCase: true });
const type = (name: string) => root.lookupType(`workspacemanagerbridge.${name}`);
const enumOf = (name: string) => root.lookupEnum(`workspacemanagerbridge.${name}`);

/** The current contract table (design.md §3): message → [number, name, type, repeated?]. */
const CONTRACT: Record<string, Array<[number, string, string, boolean?]>> = {
  RegisterRequest: [[1, 'name', 'string'], [2, 'url', 'string'], [3, 'tls', 'TlsConfig'], [4, 'hints', 'RegistrationHints'], [5, 'admission_constraints', 'AdmissionConstraint', true], [7, 'region', 'string']],
  TlsConfig: [[1, 'ca', 'string'], [2, 'crt', 'string'], [3, 'key', 'string']],
  RegistrationHints: [[1, 'perfereability', 'Preferability'], [2, 'cordoned', 'bool']],
  AdmissionConstraint: [[1, 'has_feature_preview', 'FeaturePreview'], [2, 'has_permission', 'HasPermission']],
  'AdmissionConstraint.HasPermission': [[1, 'permission', 'string']],
  'AdmissionConstraint.FeaturePreview': [],
  ClusterStatus: [[1, 'name', 'string'], [2, 'url', 'string'], [3, 'state', 'ClusterState'], [4, 'score', 'int32'], [5, 'max_score', 'int32'], [6, 'governed', 'bool'], [7, 'admission_constraint', 'AdmissionConstraint', true], [8, 'static', 'bool'], [11, 'region', 'string']],
  UpdateRequest: [[1, 'name', 'string'], [2, 'score', 'int32'], [3, 'max_score', 'int32'], [4, 'cordoned', 'bool'], [5, 'admission_constraint', 'ModifyAdmissionConstraint'], [7, 'tls', 'TlsConfig']],
  ModifyAdmissionConstraint: [[1, 'add', 'bool'], [2, 'constraint', 'AdmissionConstraint']],
  DeregisterRequest: [[1, 'name', 'string'], [2, 'force', 'bool']],
  ListRequest: [],
  ListResponse: [[1, 'status', 'ClusterStatus', true]],
  RegisterResponse: [],
  UpdateResponse: [],
  DeregisterResponse: [],
};

/** Numbers the bridge retired (history table): reserved, so nobody reuses them. */
const RESERVED: Record<string, number[]> = {
  RegisterRequest: [6],
  RegistrationHints: [3],
  AdmissionConstraint: [3, 4],
  ClusterStatus: [9, 10],
  UpdateRequest: [6],
};

const ONEOFS: Record<string, Record<string, string[]>> = {
  AdmissionConstraint: { constraint: ['has_feature_preview', 'has_permission'] },
  UpdateRequest: { property: ['score', 'max_score', 'cordoned', 'admission_constraint', 'tls'] },
};

describe('proto file vs the contract table', () => {
  for (const [message, fields] of Object.entries(CONTRACT)) {
    it(`${message} has exactly the contract's fields`, () => {
      const actual = type(message).fieldsArray.map((f) => [f.id, f.name, f.type, f.repeated || undefined]);
      const expected = fields.map(([id, name, t, repeated]) => [id, name, t, repeated]);
      expect(actual.sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual(expected.sort((a, b) => Number(a[0]) - Number(b[0])));
    });
  }

  for (const [message, numbers] of Object.entries(RESERVED)) {
    it(`${message} reserves ${numbers.join(', ')}`, () => {
      const reserved = (type(message).reserved ?? []).filter((r): r is number[] => Array.isArray(r));
      for (const n of numbers) expect(reserved.some(([from, to]) => n >= (from ?? 0) && n <= (to ?? 0))).toBe(true);
    });
  }

  it('AdmissionPreference and ModifyAdmissionPreference are gone', () => {
    expect(() => type('AdmissionPreference')).toThrow();
    expect(() => type('ModifyAdmissionPreference')).toThrow();
  });

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

  it('RegisterRequest carries base64 PEM in TlsConfig, Prefer as enum 1 in hints field 1, region in field 7', () => {
    const wire = registerToWire({
      name: 'eu17',
      url: 'u',
      tls: { ca: 'A', crt: 'B', key: 'C' },
      hints: { preferability: 'Prefer', cordoned: true, govern: true },
      admissionConstraints: [{ type: 'has-feature-preview' }],
      region: 'europe',
    });
    const decoded = type('RegisterRequest').toObject(type('RegisterRequest').decode(type('RegisterRequest').encode(type('RegisterRequest').fromObject(wire)).finish()), { enums: String });
    expect(decoded).toEqual({
      name: 'eu17',
      url: 'u',
      tls: { ca: 'QQ==', crt: 'Qg==', key: 'Qw==' },
      hints: { perfereability: 'Prefer', cordoned: true },
      admission_constraints: [{ has_feature_preview: {} }],
      region: 'europe',
    });
    expect(encode('RegisterRequest', { region: 'asia' })).toBe('3a04' + Buffer.from('asia').toString('hex'));
  });

  it('UpdateRequest tls is field 7 (0x3a) holding a TlsConfig', () => {
    expect(encode('UpdateRequest', updateToWire('a', { tls: { ca: 'A', crt: 'B', key: 'C' } }))).toBe('0a0161' + '3a12' + '0a0451513d3d' + '120451673d3d' + '1a0451773d3d');
  });

  it('the legacy govern hint is hints field 3 = 1, written only when true', () => {
    expect(encodeHintsField({ perfereability: 'Prefer', cordoned: true }, true).toString('hex')).toBe('2206' + '0801' + '1001' + '1801');
    expect(encodeHintsField({ perfereability: 'None', cordoned: false }, false).toString('hex')).toBe('2200');
    expect(readLegacyGovern(Buffer.from('0a01612206080110011801', 'hex'))).toBe(true);
    expect(readLegacyGovern(Buffer.from('0a016122020801', 'hex'))).toBe(false);
  });

  it('DeregisterRequest force is field 2 bool', () => {
    expect(encode('DeregisterRequest', { name: 'a', force: true })).toBe('0a0161' + '1001');
  });
});
