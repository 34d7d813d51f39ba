/** The registry's config sections, constraint syntax and the RegisterRequest file format. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatConstraint, parseConstraint } from '../../../src/registry/constraints.js';
import { metaClusterAccessSchema, registrationSchema, renderUrlTemplate } from '../../../src/registry/config.js';
import { parseRegisterFile } from '../../../src/registry/register-file.js';
import { constraintFromWire, constraintToWire } from '../../../src/registry/wire.js';

describe('registration section', () => {
  it('defaults: cordoned, preferability None, the dns:/// url template, the ws-manager-client-tls secret', () => {
    expect(registrationSchema.parse({})).toEqual({
      urlTemplate: 'dns:///ws-{{shortName}}.{{domain}}:8080',
      preferability: 'None',
      cordoned: true,
      admissionConstraints: [],
      tlsSecret: { name: 'ws-manager-client-tls', namespace: 'default' },
    });
  });

  it('rejects unknown template variables and bad constraints with readable messages', () => {
    const r = registrationSchema.safeParse({ urlTemplate: 'dns:///{{host}}:1', admissionConstraints: ['has-role=x'] });
    expect(r.success).toBe(false);
    const messages = r.error?.issues.map((i) => i.message).join('\n');
    expect(messages).toContain('urlTemplate may only use');
    expect(messages).toContain('unknown admission constraint "has-role=x"');
  });

  it('renders the url', () => {
    expect(renderUrlTemplate('dns:///ws-{{shortName}}.{{ domain }}:8080', { shortName: 'eu17', name: 'n', domain: 'gitpod.io', region: 'r' })).toBe('dns:///ws-eu17.gitpod.io:8080');
  });
});

describe('meta cluster access', () => {
  it('defaults to port-forward in namespace default', () => {
    expect(metaClusterAccessSchema.parse({})).toEqual({ namespace: 'default', bridgeSelector: 'component=ws-manager-bridge', bridgePort: 8080 });
  });
  it('validates bridge addresses and TLS pairs', () => {
    expect(metaClusterAccessSchema.safeParse({ bridge: { address: '10.0.0.1:8080', tls: { ca: 'ca.pem', cert: 'c', key: 'k' } } }).success).toBe(true);
    expect(metaClusterAccessSchema.safeParse({ bridge: { address: '10.0.0.1' } }).success).toBe(false);
    expect(metaClusterAccessSchema.safeParse({ bridge: { address: 'h:70000' } }).success).toBe(false);
    expect(metaClusterAccessSchema.safeParse({ bridge: { address: 'h:1', tls: { ca: 'a', cert: 'c' } } }).success).toBe(false);
  });
});

describe('constraints', () => {
  it('parse ∘ format and wire round trips are lossless', () => {
    const value = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,20}[a-z0-9]$/);
    const constraint = fc.oneof(
      fc.constant({ type: 'has-feature-preview' as const }),
      value.map((permission) => ({ type: 'has-permission' as const, permission })),
    );
    fc.assert(
      fc.property(constraint, (c) => {
        expect(parseConstraint(formatConstraint(c))).toEqual(c);
        expect(constraintFromWire(constraintToWire(c))).toEqual(c);
      }),
    );
  });
  it('rejects unknown kinds and missing values', () => {
    expect(() => parseConstraint('has-permission=')).toThrow(/needs a value/);
    expect(() => parseConstraint('has-role=admin')).toThrow(/unknown admission constraint/);
  });
  it('refuses the kinds the bridge removed, naming the version that dropped them', () => {
    expect(() => parseConstraint('has-user-level=professional')).toThrow(/has-user-level was removed from ws-manager-bridge in 2022-07/);
    expect(() => parseConstraint('has-more-resources')).toThrow(/has-more-resources was removed from ws-manager-bridge in 2022-07/);
  });
});

describe('--from-file RegisterRequest', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  it('reads gpctl-style JSON (camelCase, enums by name or number)', () => {
    const input = parseRegisterFile(
      JSON.stringify({
        name: 'eu17',
        url: 'dns:///ws-eu17:8080',
        tls: { ca: b64('CA'), crt: b64('CRT'), key: b64('KEY') },
        hints: { perfereability: 2, cordoned: true },
        admissionConstraints: [{ hasPermission: { permission: 'p' } }, { hasFeaturePreview: {} }],
      }),
      'req.json',
    );
    expect(input).toEqual({
      name: 'eu17',
      url: 'dns:///ws-eu17:8080',
      tls: { ca: 'CA', crt: 'CRT', key: 'KEY' },
      hints: { preferability: 'DontSchedule', cordoned: true, govern: false },
      admissionConstraints: [{ type: 'has-permission', permission: 'p' }, { type: 'has-feature-preview' }],
      region: '',
    });
  });
  it('reads region, and refuses fields the bridge removed with the version that dropped them', () => {
    const tls = { ca: b64('CA'), crt: b64('CRT'), key: b64('KEY') };
    expect(parseRegisterFile(JSON.stringify({ name: 'a', url: 'u', tls, region: 'africa' }), 'r.json').region).toBe('africa');
    expect(() => parseRegisterFile(JSON.stringify({ name: 'a', url: 'u', tls, region: 'europe-west1' }), 'r.json')).toThrow(/region: region "europe-west1" is not one the bridge accepts.*that is europe/);
    expect(() => parseRegisterFile(JSON.stringify({ name: 'a', admissionConstraints: [{ hasUserLevel: 'pro' }] }), 'r.json')).toThrow(/hasUserLevel was removed from ws-manager-bridge in 2022-07/);
    expect(() => parseRegisterFile(JSON.stringify({ name: 'a', admissionPreference: [{ userLevel: 'pro' }] }), 'r.json')).toThrow(/admissionPreference was removed from ws-manager-bridge in 2022-02/);
  });
  it('registration.admissionPreferences is refused with the version that removed it', () => {
    const r = registrationSchema.safeParse({ admissionPreferences: ['professional'] });
    expect(r.error?.issues[0]?.message).toMatch(/removed from ws-manager-bridge in 2022-02/);
    expect(registrationSchema.safeParse({ admissionPreferences: [] }).success).toBe(true);
  });
  it('names the file and the field, never the key', () => {
    expect(() => parseRegisterFile('{', 'req.json')).toThrow(/req.json is not valid JSON/);
    const secret = 'not base64 at all! secret-material';
    let message = '';
    try {
      parseRegisterFile(JSON.stringify({ name: 'a', url: 'u', tls: { ca: 'QQ==', crt: 'QQ==', key: secret } }), 'req.json');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('tls.key');
    expect(message).not.toContain(secret);
  });
});
