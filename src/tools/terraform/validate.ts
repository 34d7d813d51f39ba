/**
 * Validation of every value the root-module generator writes into a file.
 * Names are checked against what GCP and Terraform accept, so a typo fails at
 * config time with a clear message instead of deep inside `terraform apply`, and
 * nothing can smuggle Terraform syntax into the generated configuration.
 */
import { WsdError } from '../../core/errors.js';
import { gkeNameProblem } from '../../names/names.js';
import type { BackendConfig } from './generator.js';

/** The variables every cluster module takes (the module contract). */
export interface ClusterModuleVariables {
  project: string;
  region: string;
  name: string;
  short_name: string;
  network: string;
  dns_zone: string;
  cluster_type: string;
}

const RULES: Record<keyof ClusterModuleVariables, { pattern: RegExp; what: string }> = {
  project: { pattern: /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, what: 'a GCP project id (6-30 lowercase letters, digits and dashes)' },
  region: { pattern: /^[a-z]+-[a-z]+[0-9]+$/, what: 'a GCP region such as europe-west1' },
  name: { pattern: /^[a-z]([-a-z0-9]*[a-z0-9])?$/, what: 'a GKE cluster name' },
  short_name: { pattern: /^[a-z][a-z0-9]{0,19}$/, what: 'a short name such as eu17 (lowercase letters and digits)' },
  network: { pattern: /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, what: 'a VPC network name (lowercase letters, digits and dashes)' },
  dns_zone: {
    pattern: /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\.?$/,
    what: 'a DNS zone such as gitpod.io',
  },
  cluster_type: { pattern: /^[a-z][-a-z0-9]{0,30}$/, what: 'a cluster type such as gke or k3s' },
};

/** Module block arguments Terraform reserves; a variable by these names would change the call itself. */
const RESERVED_ARGS = new Set(['source', 'version', 'count', 'for_each', 'providers', 'depends_on', 'lifecycle']);

function invalid(message: string): WsdError {
  return new WsdError('ConfigInvalid', message);
}

/** Checks the contract variables (present, strings, well-formed). */
export function assertVariables(variables: Record<string, unknown>): void {
  for (const [key, rule] of Object.entries(RULES)) {
    const value = variables[key];
    if (typeof value !== 'string') {
      throw invalid(`terraform variable ${key} is missing or not a string; set it to ${rule.what}`);
    }
    if (key === 'name') {
      const problem = gkeNameProblem(value);
      if (problem) throw invalid(`terraform variable name: ${problem}`);
    }
    if (!rule.pattern.test(value)) throw invalid(`terraform variable ${key} = "${value}" is not ${rule.what}`);
  }
}

/** Passthrough variable names become HCL identifiers: keep them plain. */
export function assertPassthroughKey(key: string): void {
  if (!/^[a-z_][a-z0-9_]{0,63}$/.test(key)) {
    throw invalid(`terraform variable name "${key}" is not valid; use lowercase letters, digits and underscores`);
  }
  if (RESERVED_ARGS.has(key)) throw invalid(`terraform variable name "${key}" is reserved by terraform; rename it in the module`);
}

const LOCAL_PREFIXES = ['./', '../', '/'];

/**
 * Accepts registry addresses (`ns/name/provider`), go-getter style remote sources
 * (`git::`, `https://`, `gcs::`, …) and absolute local paths. Relative local paths
 * are refused: they would resolve against the working dir, which is not the
 * user's config dir.
 */
export function assertModuleSource(source: string, version?: string): void {
  if (source.length === 0 || source.length > 1024 || /[\s"\\$%{}]/.test(source)) {
    throw invalid(`terraform module source "${source}" contains characters a module source cannot hold`);
  }
  if (source.startsWith('./') || source.startsWith('../')) {
    throw invalid(`terraform module source "${source}" is relative; give an absolute path`);
  }
  const isLocal = LOCAL_PREFIXES.some((p) => source.startsWith(p));
  const isRegistry = /^([a-z0-9.-]+\/)?[A-Za-z0-9][-A-Za-z0-9_]*\/[A-Za-z0-9][-A-Za-z0-9_]*\/[a-z0-9]+$/.test(source);
  if (version !== undefined) {
    if (!isRegistry) {
      throw invalid(`terraform module version "${version}" needs a registry source; put the ref into "${source}" instead (e.g. ?ref=)`);
    }
    if (!/^[-~>=<!., 0-9A-Za-z]{1,64}$/.test(version)) throw invalid(`terraform module version "${version}" is not a version constraint`);
  }
  if (!isLocal && !isRegistry && !/^([a-z0-9]+::)?[a-z][a-z0-9+.-]*:\/\/|^[a-z0-9]+::|^(github|bitbucket)\.(com|org)\/|^git@/.test(source)) {
    throw invalid(`terraform module source "${source}" is neither an absolute path, a registry address nor a remote source`);
  }
}

/** Checks the backend settings that get written into `backend.tf.json`. */
export function assertBackend(backend: BackendConfig): void {
  switch (backend.type) {
    case 'gcs':
      if (!/^[a-z0-9][-a-z0-9_.]{1,220}[a-z0-9]$/.test(backend.bucket)) {
        throw invalid(`terraform state bucket "${backend.bucket}" is not a valid GCS bucket name`);
      }
      if (!/^[A-Za-z0-9][-A-Za-z0-9_./]{0,511}$/.test(backend.prefix) || backend.prefix.split('/').includes('..')) {
        throw invalid(`terraform state prefix "${backend.prefix}" must be letters, digits, dashes, dots, underscores and slashes`);
      }
      return;
    case 'local':
      if (!backend.path.startsWith('/') || /[\0\n\r"\\$%]/.test(backend.path)) {
        throw invalid(`terraform state path "${backend.path}" must be an absolute path without quotes, $ or %`);
      }
      return;
    case 'pg':
      if ('connStr' in backend) {
        throw new WsdError('Internal', 'the pg connection string must come from PG_CONN_STR, never from generated files', {
          source: 'internal',
        });
      }
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(backend.schemaName)) {
        throw invalid(`terraform state schema "${backend.schemaName}" must be lowercase letters, digits and underscores`);
      }
      return;
    default:
      throw invalid(`terraform backend type "${(backend as { type: string }).type}" is not supported; use gcs, local or pg`);
  }
}
