/**
 * The coarse region ws-manager-bridge keeps per cluster (RegisterRequest 7,
 * since 2023-02). The bridge accepts only the five names of BRIDGE_REGIONS or
 * `''` (the cluster may take workspaces from any region) and answers
 * INVALID_ARGUMENT to anything else — a GCP region such as `europe-west1`
 * included. So registration derives it from the cluster's GCP region:
 *
 * | GCP region                        | bridge region   |
 * |-----------------------------------|-----------------|
 * | europe-*                          | europe          |
 * | us-*, northamerica-*              | north-america   |
 * | southamerica-*                    | south-america   |
 * | africa-*                          | africa          |
 * | asia-*, australia-*, me-*         | asia            |
 *
 * australia-* and me-* are decisions, not facts: the bridge has no Oceania
 * and no Middle East, and asia is the nearest of its five (Sydney and Doha
 * are closer to Singapore and Mumbai than to anywhere in the other four;
 * me-west1 Tel Aviv is arguably closer to europe — override it per cluster).
 * Any cluster or meta cluster may override the result in the config
 * (`bridgeRegion`, `""` allowed).
 */
import { BRIDGE_REGIONS, type BridgeRegion } from './types.js';

const BY_CONTINENT: Readonly<Record<string, BridgeRegion>> = {
  europe: 'europe',
  us: 'north-america',
  northamerica: 'north-america',
  southamerica: 'south-america',
  africa: 'africa',
  asia: 'asia',
  australia: 'asia',
  me: 'asia',
};

/** The bridge region of a GCP region; undefined when its continent word is not in the table. */
export function bridgeRegionOf(gcpRegion: string): BridgeRegion | undefined {
  return BY_CONTINENT[gcpRegion.split('-')[0] ?? ''];
}

function isBridgeRegion(value: string): value is BridgeRegion {
  return value === '' || (BRIDGE_REGIONS as readonly string[]).includes(value);
}

/** What the bridge says about a region it does not accept (also the fix). */
export function bridgeRegionProblem(value: string): string | undefined {
  if (isBridgeRegion(value)) return undefined;
  const derived = bridgeRegionOf(value);
  return (
    `region ${JSON.stringify(value)} is not one the bridge accepts: use ${BRIDGE_REGIONS.join(', ')} or "" (any region)` +
    (derived ? `; for the GCP region ${value} that is ${derived}` : '')
  );
}

/**
 * The region sent to one meta cluster for one workspace cluster: the meta
 * cluster's override (a registry that wants one answer for every cluster),
 * else the workspace cluster's override, else the derived one.
 */
export function registrationRegion(input: { gcpRegion: string; clusterOverride?: string; metaOverride?: string }): string {
  if (input.metaOverride !== undefined) return input.metaOverride;
  if (input.clusterOverride !== undefined) return input.clusterOverride;
  return bridgeRegionOf(input.gcpRegion) ?? '';
}
