/**
 * Cross-cluster rules (src/config/rules/cluster-rules.ts) and the defensive readers they share
 * (rule.ts), called directly on config objects as the loader hands them over: partially validated,
 * so any field may still hold the user's raw value. Expected issues are written out in full; derived
 * names and their lengths were counted by hand (`gp-<env>-ws-<prefix>299-<region-short>`).
 */
import { describe, expect, it } from 'vitest';
import { derivedNamesValid, explicitNamesUnique, governedByExists, metaNamesUnique, prefixUniquePerRegion } from '../../../../src/config/rules/cluster-rules.js';
import { asList, asRecord, itemPath } from '../../../../src/config/rules/rule.js';

describe('rule readers', () => {
  it('read only plain mappings as records and only arrays as lists', () => {
    expect(asRecord({ a: 1 })).toEqual({ a: 1 });
    for (const v of [null, undefined, [1], 'x', 3]) expect(asRecord(v), String(v)).toBeUndefined();
    expect(asList([1, 2])).toEqual([1, 2]);
    for (const v of [null, undefined, { 0: 'a' }, 'ab']) expect(asList(v), String(v)).toEqual([]);
    expect(itemPath('metaClusters', 3)).toBe('metaClusters[3]');
  });
});

describe('unique names', () => {
  it('reports every later use of a meta cluster name, each pointing at the first use', () => {
    const config = { metaClusters: [{ name: 'meta-a' }, { name: 'meta-b' }, { name: 'meta-a' }, { name: 'meta-a' }] };
    expect(metaNamesUnique(config)).toEqual([
      { path: ['metaClusters', 2, 'name'], message: 'duplicate meta cluster name "meta-a"; metaClusters[0] already uses it' },
      { path: ['metaClusters', 3, 'name'], message: 'duplicate meta cluster name "meta-a"; metaClusters[0] already uses it' },
    ]);
  });

  it('says "workspace cluster name" for workspace clusters and keeps list positions past non-mapping items', () => {
    const config = { workspaceClusters: ['oops', { name: 'ws-one' }, { prefix: 'eu' }, { name: 'ws-one' }] };
    expect(explicitNamesUnique(config)).toEqual([
      { path: ['workspaceClusters', 3, 'name'], message: 'duplicate workspace cluster name "ws-one"; workspaceClusters[1] already uses it' },
    ]);
  });

  it('leaves names that fail their own field check to that check (no duplicate report)', () => {
    expect(metaNamesUnique({ metaClusters: [{ name: 'Bad_Name' }, { name: 'Bad_Name' }, { name: 7 }, { name: 7 }] })).toEqual([]);
    expect(metaNamesUnique({ metaClusters: 'not a list' })).toEqual([]);
    expect(metaNamesUnique(undefined)).toEqual([]);
    expect(explicitNamesUnique({ workspaceClusters: [{ name: 'a-b' }, { name: 'a-c' }] })).toEqual([]);
  });
});

describe('governedBy', () => {
  it('names the unknown governor and lists the valid meta clusters once each', () => {
    const config = {
      metaClusters: [{ name: 'meta-a' }, { name: 'meta-b' }, { name: 'meta-a' }, { name: 'Not_Valid' }],
      workspaceClusters: [{ governedBy: 'meta-a' }, { governedBy: 'meta-x' }, { governedBy: 'Bad!' }, {}, { governedBy: 'meta-b' }],
    };
    expect(governedByExists(config)).toEqual([{ path: ['workspaceClusters', 1, 'governedBy'], message: '"meta-x" is not a meta cluster; meta clusters: meta-a, meta-b' }]);
  });

  it('says when no valid meta cluster is defined', () => {
    expect(governedByExists({ metaClusters: [{ name: 'Not_Valid' }], workspaceClusters: [{ governedBy: 'meta-a' }] })).toEqual([
      { path: ['workspaceClusters', 0, 'governedBy'], message: '"meta-a" is not a meta cluster; no valid meta cluster is defined' },
    ]);
  });
});

describe('prefix unique per region', () => {
  it('refuses a prefix reused in the same region, at every later cluster, pointing at the first', () => {
    const config = {
      workspaceClusters: [
        { prefix: 'eu', region: 'europe-west1' },
        { prefix: 'eu', region: 'europe-west2' },
        { prefix: 'eu', region: 'europe-west1' },
        { prefix: 'us', region: 'europe-west1' },
        { prefix: 'eu', region: 'europe-west1' },
      ],
    };
    const message = 'prefix "eu" is already used in region europe-west1 by workspaceClusters[0]; pick another prefix';
    expect(prefixUniquePerRegion(config)).toEqual([
      { path: ['workspaceClusters', 2, 'prefix'], message },
      { path: ['workspaceClusters', 4, 'prefix'], message },
    ]);
  });

  it('ignores clusters whose prefix or region fails its own field check', () => {
    const config = {
      workspaceClusters: [
        { prefix: 'EU', region: 'europe-west1' },
        { prefix: 'EU', region: 'europe-west1' },
        { prefix: 'eu', region: 'Europe' },
        { prefix: 'eu', region: 'Europe' },
        { prefix: 'eu' },
        { prefix: 'eu' },
      ],
    };
    expect(prefixUniquePerRegion(config)).toEqual([]);
  });
});

describe('derived names', () => {
  it('refuses a prefix and region whose name with the largest id (299) exceeds 40 characters', () => {
    // gp-dev-ws-abcdefgh299-eu-centralnorthwes1: 41 characters.
    const config = { environment: 'development', workspaceClusters: [{ prefix: 'abcdefgh', region: 'europe-centralnorthwes1' }] };
    expect(derivedNamesValid(config)).toEqual([
      {
        path: ['workspaceClusters', 0, 'prefix'],
        message:
          'the derived cluster name is invalid: "gp-dev-ws-abcdefgh299-eu-centralnorthwes1" is 41 characters long; GKE allows at most 40; shorten the prefix or set an explicit name',
      },
    ]);
  });

  it('accepts exactly 40 characters (gp-dev-ws-abcdefgh299-eu-centralnorthwe1)', () => {
    expect(derivedNamesValid({ environment: 'development', workspaceClusters: [{ prefix: 'abcdefgh', region: 'europe-centralnorthwe1' }] })).toEqual([]);
  });

  it('uses the environment short form: production → prod makes the same cluster 41 characters', () => {
    const config = { environment: 'production', workspaceClusters: [{ prefix: 'abcdefgh', region: 'europe-centralnorthwe1' }, { prefix: 'eu', region: 'europe-west1' }] };
    const issues = derivedNamesValid(config);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.message).toContain('"gp-prod-ws-abcdefgh299-eu-centralnorthwe1" is 41 characters long');
  });

  it('skips clusters with an explicit name, an invalid prefix or region, and configs with an invalid environment', () => {
    const long = { prefix: 'abcdefgh', region: 'europe-centralnorthwest12' };
    expect(derivedNamesValid({ environment: 'production', workspaceClusters: [{ ...long, name: 'ws-one' }, { ...long, prefix: 'ABC' }, { prefix: 'abcdefgh', region: 'nowhere' }] })).toEqual([]);
    expect(derivedNamesValid({ environment: 'prod', workspaceClusters: [long] })).toEqual([]);
    expect(derivedNamesValid({ workspaceClusters: [long] })).toEqual([]);
  });
});
