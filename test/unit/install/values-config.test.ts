/**
 * Values merging with helm's rules, the digest's stability, `--set` argv
 * escaping, and the config sections' defaults and refusals.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { aliveTestSectionSchema, jaegerSectionSchema, monitoringSectionSchema } from '../../../src/steps/install/config.js';
import { applySet, digestFromDescription, mergeValues, releaseDescription, valuesDigest } from '../../../src/steps/install/values.js';
import { chartArgs, setArgs } from '../../../src/tools/helm-argv.js';
import { parseJsonOutput } from '../../../src/tools/helm-errors.js';
import { expandTemplate } from '../../../src/steps/install/cluster-context.js';
import { cluster } from '../../fixtures/install/step-context.js';

describe('values', () => {
  it('merges maps deeply, replaces lists and scalars, deletes on null', () => {
    const merged = mergeValues({ a: { b: 1, c: [1, 2], d: 'x' }, keep: true }, { a: { c: [3], d: null, e: { f: 1 } } });
    expect(merged).toEqual({ a: { b: 1, c: [3], e: { f: 1 } }, keep: true });
  });

  it('applies dotted --set keys on top', () => {
    expect(applySet({ components: { proxy: { replicas: 1, image: 'p' } } }, { 'components.proxy.replicas': 3, 'new.flag': true })).toEqual({
      components: { proxy: { replicas: 3, image: 'p' } },
      new: { flag: true },
    });
  });

  it('hashes equal values equally regardless of key order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (value) => {
        const reversed = Object.fromEntries(Object.entries(value).reverse());
        expect(valuesDigest(reversed, false)).toEqual(valuesDigest(value, false));
      }),
    );
    expect(valuesDigest({ a: 1 }, false).digest).not.toBe(valuesDigest({ a: '1' }, false).digest);
  });

  it('round-trips the digest through the release description', () => {
    const { digest, kind } = valuesDigest({ a: 1 }, false);
    expect(digestFromDescription(releaseDescription(digest, kind))).toBe(`sha256=${digest}`);
    expect(digestFromDescription(`ws-deployment values-sha256=${digest}`)).toBe(`sha256=${digest}`); // written by earlier versions
    expect(digestFromDescription('Upgrade complete')).toBeUndefined();
    expect(digestFromDescription('Rollback to 3')).toBeUndefined();
  });

  it('builds chart references for repositories, OCI registries and local charts', () => {
    expect(chartArgs({ repository: 'https://charts.gitpod.io', name: 'gitpod', version: '1.0.0' })).toEqual(['gitpod', '--repo', 'https://charts.gitpod.io', '--version', '1.0.0']);
    expect(chartArgs({ repository: 'oci://eu.gcr.io/gitpod/charts/', name: 'gitpod', version: '1.0.0' })).toEqual(['oci://eu.gcr.io/gitpod/charts/gitpod', '--version', '1.0.0']);
    expect(chartArgs({ path: '/charts/gitpod', name: 'gitpod' })).toEqual(['/charts/gitpod']);
  });

  it('reads helm JSON even after a human line, and says so when there is none', () => {
    expect(parseJsonOutput<{ name: string }>('Release "gitpod" does not exist. Installing it now.\n{"name":"gitpod"}\n', 'helm upgrade')).toEqual({ name: 'gitpod' });
    expect(() => parseJsonOutput('Error: boom', 'helm status')).toThrow('helm status printed no valid JSON (no JSON in the output)');
  });

  it('keeps strings strings and escapes commas for helm', () => {
    expect(setArgs({ b: 'x,y\\z', a: 2, c: false })).toEqual(['--set', 'a=2', '--set-string', 'b=x\\,y\\\\z', '--set', 'c=false']);
  });

  // Real helm's reading of these is checked in test/integration/install/helm-set-values.test.ts.
  it('escapes a leading brace (a list to helm) and sends numbers --set would make strings as JSON', () => {
    expect(setArgs({ a: '{x,y}', b: 'x{y}', c: 0.5, d: 1e21, e: -7 })).toEqual([
      '--set-string', 'a=\\{x\\,y}', '--set-string', 'b=x{y}', '--set-json', 'c=0.5', '--set-json', 'd=1e+21', '--set', 'e=-7',
    ]);
  });
});

describe('config sections', () => {
  it('fills defaults for jaeger and the alive test', () => {
    expect(jaegerSectionSchema.parse({})).toMatchObject({
      enabled: true,
      chart: { repository: 'https://jaegertracing.github.io/helm-charts', name: 'jaeger-operator', version: '2.57.0' },
      release: 'jaeger-operator',
      namespace: 'jaeger',
      instance: { name: 'jaeger', spec: { strategy: 'allInOne' } },
    });
    expect(aliveTestSectionSchema.parse({})).toEqual({ enabled: true, timeoutSeconds: 600, pollIntervalSeconds: 10, rollout: { enabled: true }, http: [] });
    expect(aliveTestSectionSchema.parse({ wsManager: {} }).wsManager).toEqual({ url: 'dns:///ws-manager.ws-{shortName}.{domain}:8080', tls: true });
  });

  it('refuses ambiguous or unknown settings', () => {
    expect(monitoringSectionSchema.safeParse({}).success).toBe(false);
    expect(monitoringSectionSchema.safeParse({ chart: { path: './c', name: 'm' }, manifests: { directory: './m' } }).success).toBe(false);
    expect(aliveTestSectionSchema.safeParse({ timeout: 5 }).success).toBe(false);
    expect(aliveTestSectionSchema.safeParse({ command: { argv: [] } }).success).toBe(false);
    // helm applies --set-json, --set, --set-string by kind, not in argv order: overlapping keys would let a type decide.
    const overlap = jaegerSectionSchema.safeParse({ set: { a: 'x', 'a.b': 1, 'ab.c': 2 } });
    expect(overlap.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['set.a', expect.stringContaining('set keys "a" and "a.b" overlap') as string],
    ]);
  });

  it('expands URL templates and names unknown placeholders', () => {
    const target = cluster();
    expect(expandTemplate('https://ws-{shortName}.{domain}/ready?c={name}', target, 'gitpod.io')).toBe('https://ws-eu17.gitpod.io/ready?c=gp-prod-ws-eu17-eu-west1');
    expect(() => expandTemplate('https://{domain}', target, undefined)).toThrow(/\{domain\} is not set/);
    expect(() => expandTemplate('https://{zone}', target, 'x')).toThrow(/\{zone\} is unknown/);
  });
});
