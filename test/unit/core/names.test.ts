import { describe, expect, it } from 'vitest';
import { deriveNames, fullClusterName, gkeNameProblem, regionShort, shortName } from '../../../src/names/names.js';

describe('names', () => {
  it('derives the design example', () => {
    expect(fullClusterName('production', 'eu', 17, 'europe-west1')).toBe('gp-prod-ws-eu17-eu-west1');
    expect(shortName('eu', 17)).toBe('eu17');
  });

  it.each([
    ['europe-west1', 'eu-west1'],
    ['northamerica-northeast1', 'na-northeast1'],
    ['southamerica-east1', 'sa-east1'],
    ['australia-southeast1', 'au-southeast1'],
    ['africa-south1', 'af-south1'],
    ['us-central1', 'us-central1'],
    ['asia-east1', 'asia-east1'],
    ['me-west1', 'me-west1'],
  ])('shortens region %s to %s', (region, short) => {
    expect(regionShort(region)).toBe(short);
  });

  it('shortens environments', () => {
    expect(fullClusterName('staging', 'us', 101, 'us-west1')).toBe('gp-stag-ws-us101-us-west1');
    expect(fullClusterName('development', 'us', 101, 'us-west1')).toBe('gp-dev-ws-us101-us-west1');
  });

  it('lets an explicit name win but keeps the short name', () => {
    expect(deriveNames({ environment: 'production', prefix: 'eu', region: 'europe-west1', id: 17, explicitName: 'my-cluster' })).toEqual({
      name: 'my-cluster',
      shortName: 'eu17',
      id: 17,
    });
  });

  it('rejects invalid GKE names with the reason', () => {
    expect(gkeNameProblem('gp-prod-ws-eu17-eu-west1')).toBeUndefined();
    expect(gkeNameProblem('a'.repeat(41))).toMatch(/41 characters.*at most 40/);
    expect(gkeNameProblem('Gp-prod')).toMatch(/not a valid GKE name/);
    expect(gkeNameProblem('gp-prod-')).toMatch(/not a valid GKE name/);
    expect(gkeNameProblem('1gp')).toMatch(/not a valid GKE name/);
  });

  it('accepts a GKE name of exactly 40 characters and rejects one of 41 (the limit is inclusive)', () => {
    // GKE: "The name must be 1-40 characters long". 40 is allowed, 41 is not.
    const forty = `gp-prod-ws-eu17-${'a'.repeat(24)}`;
    expect(forty).toHaveLength(40);
    expect(gkeNameProblem(forty)).toBeUndefined();
    expect(gkeNameProblem(`${forty}b`)).toMatch(/41 characters long; GKE allows at most 40/);
    expect(gkeNameProblem('a')).toBeUndefined();
  });
});
