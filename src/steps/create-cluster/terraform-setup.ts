/**
 * Where a cluster's Terraform lives and how it is configured: the working dir
 * (generated root module or the ops repository's generator), the backend, the
 * credentials. Shared by CreateCluster, its pre-run check, `plan` and destroy,
 * so all four always agree on the same state.
 */
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { WsdError } from '../../core/errors.js';
import { SANDBOX_MODULE_DIR } from '../../tools/terraform/sandbox-module.js';
import { externalTerraformDir } from '../../tools/terraform/external-generator.js';
import { splitSecrets } from '../../core/secret-names.js';
import { templateLiteral, type BackendConfig, type JsonValue, type RootModuleInput } from '../../tools/terraform/generator.js';
import type { ClusterTarget, PlanContext } from '../step.js';

/**
 * How long create and destroy wait for a Terraform state lock held by another run
 * (a teammate's apply, a crashed run's lock on a remote backend) before failing.
 */
export const STATE_LOCK_TIMEOUT = '60s';

/** The parts of the root config this step reads. */
interface TerraformSection {
  module?: { source?: string; version?: string };
  variables?: Record<string, JsonValue>;
  /** Variables to pass as secrets besides the credential-named ones. */
  secretVariables?: string[];
  backend?: { type?: 'gcs' | 'local' | 'pg'; prefix?: string; connStrEnv?: string; schemaName?: string };
  generator?: { mode?: 'builtin' | 'external'; script?: string; cwd?: string };
  /** Folder written by `terraform providers mirror`: the only place terraform installs providers from. */
  providerMirror?: string;
}

export function terraformSection(ctx: Pick<PlanContext, 'config'>): TerraformSection {
  return (ctx.config as { terraform?: TerraformSection }).terraform ?? {};
}

function backendType(ctx: Pick<PlanContext, 'config'>, cluster: ClusterTarget): 'gcs' | 'local' | 'pg' {
  return terraformSection(ctx).backend?.type ?? (cluster.type === 'sandbox' ? 'local' : 'gcs');
}

/**
 * The local backend's state file is keyed by cluster name under the shared dir,
 * not by deployment: like a GCS prefix, it is where any later run looks for the cluster.
 */
export function localStatePath(sharedDir: string, cluster: ClusterTarget): string {
  return join(sharedDir, 'terraform-state', `${cluster.name}.tfstate`);
}

export function backendFor(ctx: Pick<PlanContext, 'config' | 'sharedDir'>, cluster: ClusterTarget): BackendConfig {
  const section = terraformSection(ctx).backend ?? {};
  switch (backendType(ctx, cluster)) {
    case 'local':
      return { type: 'local', path: localStatePath(ctx.sharedDir, cluster) };
    case 'pg':
      return { type: 'pg', schemaName: section.schemaName ?? `ws_${cluster.name.replace(/-/g, '_')}` };
    case 'gcs': {
      const bucket = ctx.config.project.bucket;
      if (!bucket) throw new WsdError('ConfigInvalid', `cluster ${cluster.name} uses the gcs backend but project.bucket is not set; set it or choose terraform.backend.type`);
      return { type: 'gcs', bucket, prefix: `${section.prefix ?? 'ws-clusters'}/${cluster.name}` };
    }
  }
}

/** Variables of the module contract: set by us, whatever a passthrough variable of the same name says. */
export const CONTRACT_VARIABLES: ReadonlySet<string> = new Set(['project', 'region', 'name', 'short_name', 'network', 'dns_zone', 'cluster_type']);

/** The passthrough variables split into those written into the module and the secret ones (core/secret-names.ts). */
function passthrough(ctx: Pick<PlanContext, 'config'>): { plain: Record<string, JsonValue>; secret: Record<string, JsonValue> } {
  const section = terraformSection(ctx);
  const own = Object.fromEntries(Object.entries(section.variables ?? {}).filter(([name]) => !CONTRACT_VARIABLES.has(name)));
  return splitSecrets(own, section.secretVariables ?? []);
}

/** The secret passthrough variables by name: they reach terraform only as `TF_VAR_<name>` (see {@link secretTerraformEnv}). */
export function secretTerraformValues(ctx: Pick<PlanContext, 'config'>): Record<string, JsonValue> {
  return passthrough(ctx).secret;
}

/**
 * The environment that carries the secret variables to terraform, for this process only:
 * never in a file we write, the journal or the plan. A string is passed as is (a `string`
 * variable reads it literally); anything else as its JSON form, which terraform parses as an
 * HCL expression for a variable of type `any` (templates escaped, like in the module file).
 */
export function secretTerraformEnv(ctx: Pick<PlanContext, 'config'>): Record<string, string> {
  return Object.fromEntries(Object.entries(secretTerraformValues(ctx)).map(([name, value]) => [`TF_VAR_${name}`, tfVarText(value)]));
}

/** A variable's value as `TF_VAR_<name>` carries it (see {@link secretTerraformEnv}). */
export function tfVarText(value: JsonValue): string {
  return typeof value === 'string' ? value : JSON.stringify(templateLiteral(value));
}

/** The root module's input: contract variables, passthrough variables (secret ones by name and type only), backend. */
export function rootModuleInput(ctx: Pick<PlanContext, 'config' | 'sharedDir'>, cluster: ClusterTarget): RootModuleInput {
  const section = terraformSection(ctx);
  const { plain, secret } = passthrough(ctx);
  const source = section.module?.source ?? (cluster.type === 'sandbox' ? SANDBOX_MODULE_DIR : undefined);
  if (!source) throw new WsdError('ConfigInvalid', `cluster ${cluster.name} (type ${cluster.type}) needs terraform.module.source: the module that creates a workspace cluster`);
  const { project } = ctx.config;
  return {
    moduleSource: source,
    moduleVersion: section.module?.version,
    variables: {
      ...plain,
      project: project.id,
      region: cluster.region,
      name: cluster.name,
      short_name: cluster.shortName,
      network: project.network,
      dns_zone: project.dnsZone,
      cluster_type: cluster.type,
    },
    sensitiveVariables: Object.fromEntries(Object.entries(secret).map(([name, value]) => [name, typeof value === 'string' ? 'string' : 'any'])),
    backend: backendFor(ctx, cluster),
  };
}

/** Environment values for terraform that come from our own environment (pg connection string). */
export function pgConnStr(ctx: Pick<PlanContext, 'config'>): string | undefined {
  const section = terraformSection(ctx).backend;
  if (section?.type !== 'pg') return undefined;
  const name = section.connStrEnv ?? 'PG_CONN_STR';
  const value = process.env[name];
  if (!value) throw new WsdError('ConfigInvalid', `the pg backend reads its connection string from $${name}, which is not set; export it or set terraform.backend.connStrEnv`);
  return value;
}

export function isExternalGenerator(ctx: Pick<PlanContext, 'config'>): boolean {
  return terraformSection(ctx).generator?.mode === 'external';
}

/** The builtin generator's working dir. */
export function builtinWorkDir(ctx: Pick<PlanContext, 'clusterDir'>): string {
  return join(ctx.clusterDir, 'terraform');
}

/** The ops repository's layout for generated modules. */
export function externalWorkDir(ctx: Pick<PlanContext, 'config'>, cluster: ClusterTarget): string {
  const cwd = terraformSection(ctx).generator?.cwd;
  if (!cwd) throw new WsdError('ConfigInvalid', 'terraform.generator.mode is external but terraform.generator.cwd is not set');
  return externalTerraformDir(cwd, cluster.name);
}

/** Does a local state file hold any resource? (The sandbox's existence check.) */
export function localStateHasResources(path: string, read: (p: string) => string): boolean {
  if (!existsSync(path)) return false;
  const text = read(path);
  // Terraform's own reading: an empty file is no state. A process killed while terraform
  // created the file (e.g. SIGKILL during plan) leaves exactly that.
  if (text.trim() === '') return false;
  try {
    const state = JSON.parse(text) as { resources?: unknown[] };
    return Array.isArray(state.resources) && state.resources.length > 0;
  } catch {
    throw new WsdError(
      'StateCorrupt',
      `terraform state ${path} is not valid JSON, and terraform cannot read it either; restore it from ${path}.backup if that exists, otherwise inspect it and move it aside only if the cluster does not exist`,
    );
  }
}

/**
 * Removes a local state file and its `.backup` once the state holds no resource
 * (after a destroy). One that still holds resources, or cannot be read, is kept.
 */
export function removeEmptyLocalState(path: string): boolean {
  try {
    if (localStateHasResources(path, (p) => readFileSync(p, 'utf8'))) return false;
  } catch {
    return false; // unreadable: a human decides (localStateHasResources says how)
  }
  for (const file of [path, `${path}.backup`]) {
    try {
      unlinkSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return true;
}
