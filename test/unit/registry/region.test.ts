/** The GCP region → bridge region mapping and its overrides (src/registry/region.ts). */
import { describe, expect, it } from 'vitest';
import { bridgeRegionOf, bridgeRegionProblem, registrationRegion } from '../../../src/registry/region.js';

describe('bridge region', () => {
  it('maps each GCP continent word to the documented coarse region', () => {
    const cases: Array<[string, string]> = [
      ['europe-west1', 'europe'],
      ['europe-north2', 'europe'],
      ['us-west1', 'north-america'],
      ['us-central1', 'north-america'],
      ['northamerica-northeast1', 'north-america'],
      ['southamerica-east1', 'south-america'],
      ['africa-south1', 'africa'],
      ['asia-east1', 'asia'],
      ['australia-southeast1', 'asia'],
      ['me-west1', 'asia'],
      ['me-central2', 'asia'],
    ];
    for (const [gcp, bridge] of cases) expect([gcp, bridgeRegionOf(gcp)]).toEqual([gcp, bridge]);
    expect(bridgeRegionOf('mars-east1')).toBeUndefined();
  });

  it('precedence: meta cluster override, then workspace cluster override, then derived; "" is a real value', () => {
    expect(registrationRegion({ gcpRegion: 'us-west1' })).toBe('north-america');
    expect(registrationRegion({ gcpRegion: 'us-west1', clusterOverride: 'europe' })).toBe('europe');
    expect(registrationRegion({ gcpRegion: 'us-west1', clusterOverride: '' })).toBe('');
    expect(registrationRegion({ gcpRegion: 'us-west1', clusterOverride: 'europe', metaOverride: '' })).toBe('');
  });

  it('accepts exactly the five bridge regions and "", and tells a GCP region what to use instead', () => {
    for (const ok of ['', 'europe', 'north-america', 'south-america', 'africa', 'asia']) expect(bridgeRegionProblem(ok)).toBeUndefined();
    expect(bridgeRegionProblem('europe-west1')).toMatch(/not one the bridge accepts.*for the GCP region europe-west1 that is europe/);
    expect(bridgeRegionProblem('Europe')).toMatch(/not one the bridge accepts/);
  });
});
