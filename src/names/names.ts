/**
 * Cluster naming (shared/design.md §2): `gp-<env>-ws-<prefix><id>-<region-short>`.
 * The short name `<prefix><id>` is what the cluster registry and workspace hosts use.
 */

export type Environment = 'production' | 'staging' | 'development';

const ENVIRONMENT_SHORT: Record<Environment, string> = {
  production: 'prod',
  staging: 'stag',
  development: 'dev',
};

/** Continent words GCP uses in region names, and their short forms. Others stay as they are. */
const CONTINENT_SHORT: Record<string, string> = {
  europe: 'eu',
  northamerica: 'na',
  southamerica: 'sa',
  australia: 'au',
  africa: 'af',
};

/** GKE cluster names: at most 40 characters, lowercase, start with a letter, no trailing dash. */
export const GKE_NAME_PATTERN = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
export const GKE_NAME_MAX = 40;

/** Cluster ids come from this range (as the 2021 tool drew them), unless given explicitly. */
export const CLUSTER_ID_MIN = 100;
export const CLUSTER_ID_MAX = 299;

/** `europe-west1` → `eu-west1`; `us-central1` stays. */
export function regionShort(region: string): string {
  const dash = region.indexOf('-');
  if (dash < 0) return region;
  const continent = region.slice(0, dash);
  return (CONTINENT_SHORT[continent] ?? continent) + region.slice(dash);
}

/** `eu` + 17 → `eu17`: the installation short name. */
export function shortName(prefix: string, id: number): string {
  return `${prefix}${id}`;
}

/** The full GKE name, e.g. `gp-prod-ws-eu17-eu-west1`. */
export function fullClusterName(env: Environment, prefix: string, id: number, region: string): string {
  return `gp-${ENVIRONMENT_SHORT[env]}-ws-${shortName(prefix, id)}-${regionShort(region)}`;
}

/** Why a name is not a valid GKE name, or undefined when it is. */
export function gkeNameProblem(name: string): string | undefined {
  if (name.length > GKE_NAME_MAX) return `"${name}" is ${name.length} characters long; GKE allows at most ${GKE_NAME_MAX}`;
  if (!GKE_NAME_PATTERN.test(name)) {
    return `"${name}" is not a valid GKE name: use lowercase letters, digits and dashes, start with a letter and end with a letter or digit`;
  }
  return undefined;
}

/** Names of one workspace cluster, derived once per deployment and stored in the journal. */
export interface ClusterNames {
  /** Full name (GKE / Terraform / state folder). */
  name: string;
  /** `<prefix><id>`: the registry name and workspace host label. */
  shortName: string;
  id: number;
}

/**
 * Derives the names of a cluster. An explicit `name` in the config wins for the
 * full name; the short name is always `<prefix><id>`.
 */
export function deriveNames(input: {
  environment: Environment;
  prefix: string;
  region: string;
  id: number;
  explicitName?: string;
}): ClusterNames {
  const name = input.explicitName ?? fullClusterName(input.environment, input.prefix, input.id, input.region);
  return { name, shortName: shortName(input.prefix, input.id), id: input.id };
}
