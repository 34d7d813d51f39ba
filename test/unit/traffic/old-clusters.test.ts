import { describe, expect, it } from 'vitest';
import { resolveOldClusters } from '../../../src/traffic/old-clusters.js';

const newClusters = [{ name: 'eu18', prefix: 'eu', region: 'europe-west1', cluster: 'gp-prod-ws-eu18-eu-west1' }];
const registered = ['eu16', 'eu17', 'eu18', 'us17', 'europe3', 'eu'];

describe('old cluster resolution', () => {
  it('auto: the other registered clusters of the same prefix, with region and full name', () => {
    expect(resolveOldClusters({ setting: 'auto', registered, newClusters, environment: 'production' })).toEqual([
      { name: 'eu16', region: 'europe-west1', cluster: 'gp-prod-ws-eu16-eu-west1' },
      { name: 'eu17', region: 'europe-west1', cluster: 'gp-prod-ws-eu17-eu-west1' },
    ]);
  });

  it('explicit names must be registered, share the prefix and not be new', () => {
    expect(resolveOldClusters({ setting: ['eu17'], registered, newClusters, environment: 'staging' })).toEqual([
      { name: 'eu17', region: 'europe-west1', cluster: 'gp-stag-ws-eu17-eu-west1' },
    ]);
    expect(() => resolveOldClusters({ setting: ['eu99'], registered, newClusters, environment: 'production' })).toThrow(/"eu99" is not registered/);
    expect(() => resolveOldClusters({ setting: ['eu18'], registered, newClusters, environment: 'production' })).toThrow(/is a new cluster/);
    expect(() => resolveOldClusters({ setting: ['us17'], registered, newClusters, environment: 'production' })).toThrow(/does not share a prefix/);
  });
});
