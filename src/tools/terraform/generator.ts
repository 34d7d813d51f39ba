/**
 * Generates the Terraform root module for one workspace cluster, in Terraform's
 * JSON syntax (`*.tf.json`). The root calls `module "cluster"` and re-exports the
 * outputs of the cluster-module contract. Generation is a pure function with
 * sorted keys, so `destroy` can regenerate byte-identical files from the journaled
 * input; every value that reaches a file is validated or escaped first.
 */
import { chmod, mkdir, readdir } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { writeFileAtomic } from '../../core/atomic-write.js';
import { WsdError } from '../../core/errors.js';
import { stableJson } from './stable-json.js';
import { assertBackend, assertModuleSource, assertPassthroughKey, assertVariables, type ClusterModuleVariables } from './validate.js';

/** Outputs every cluster module provides; the root module re-exports exactly these. */
export const CLUSTER_OUTPUTS = [
  'cluster_name',
  'short_name',
  'region',
  'endpoint',
  'ca_certificate',
  'ws_manager_host',
  'workspace_host',
] as const;

/** Re-exported as sensitive: real GKE modules mark them so, and a root output must not be less sensitive. */
const SENSITIVE_OUTPUTS: ReadonlySet<string> = new Set(['endpoint', 'ca_certificate']);

/** Where Terraform keeps the state of this root module. */
export type BackendConfig =
  | { type: 'gcs'; bucket: string; prefix: string }
  | { type: 'local'; path: string }
  /** The connection string comes from `PG_CONN_STR` at run time and is never written to a file. */
  | { type: 'pg'; schemaName: string; connStr?: never };

/** A JSON value a passthrough variable may carry. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface RootModuleInput {
  /** Module source: a registry address, a git/URL source, or a local path (absolute or `./`). */
  moduleSource: string;
  /** Registry modules only. */
  moduleVersion?: string;
  /** The contract variables, plus extra variables the module accepts (passed through as given). */
  variables: ClusterModuleVariables & Record<string, JsonValue>;
  /**
   * Passthrough variables whose values are secret, by name and type constraint only: each is
   * declared `sensitive` in the root module and passed to the module as `var.<name>`; terraform
   * reads the value from `TF_VAR_<name>`, so it is in no file we write (and this input, which is
   * journaled for destroy, holds no value).
   */
  sensitiveVariables?: Record<string, 'string' | 'any'>;
  backend: BackendConfig;
}

/** File names the generator owns inside a working directory. */
const GENERATED_FILES = ['backend.tf.json', 'main.tf.json', 'outputs.tf.json'] as const;

/**
 * Terraform evaluates `${…}` and `%{…}` inside JSON strings of expressions:
 * escape them so a passthrough value is always taken literally.
 */
function escapeTemplate(text: string): string {
  // Replacement functions, not strings: in a replacement string `$$` would collapse to `$`.
  return text.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}

/** `value` with every `${…}`/`%{…}` escaped, so terraform takes its strings (and keys) literally. */
export function templateLiteral(value: JsonValue): JsonValue {
  if (typeof value === 'string') return escapeTemplate(value);
  if (Array.isArray(value)) return value.map(templateLiteral);
  if (value && typeof value === 'object') {
    const out: Record<string, JsonValue> = {};
    // Object keys are templates too in Terraform's JSON syntax.
    for (const [k, v] of Object.entries(value)) out[escapeTemplate(k)] = templateLiteral(v);
    return out;
  }
  return value;
}

function backendBlock(backend: BackendConfig): Record<string, unknown> {
  switch (backend.type) {
    case 'gcs':
      return { gcs: { bucket: backend.bucket, prefix: backend.prefix } };
    case 'local':
      return { local: { path: backend.path } };
    case 'pg':
      return { pg: { schema_name: backend.schemaName } };
  }
}

/**
 * Returns the root module as file name → content. Throws `ConfigInvalid` when a
 * name, the module source or the backend settings are not acceptable.
 */
export function generateRootModule(input: RootModuleInput): Record<string, string> {
  assertModuleSource(input.moduleSource, input.moduleVersion);
  assertVariables(input.variables);
  assertBackend(input.backend);

  const moduleArgs: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(input.variables)) {
    assertPassthroughKey(key);
    moduleArgs[key] = templateLiteral(value);
  }
  const declared: Record<string, Record<string, unknown>> = {};
  for (const [name, type] of Object.entries(input.sensitiveVariables ?? {})) {
    assertPassthroughKey(name);
    declared[name] = { type, sensitive: true };
    moduleArgs[name] = `\${var.${name}}`;
  }
  // Set after the variables so no passthrough key can replace the call's own arguments.
  moduleArgs.source = input.moduleSource;
  if (input.moduleVersion !== undefined) moduleArgs.version = input.moduleVersion;

  const outputs: Record<string, Record<string, unknown>> = {};
  for (const name of CLUSTER_OUTPUTS) {
    outputs[name] = {
      value: `\${module.cluster.${name}}`,
      ...(SENSITIVE_OUTPUTS.has(name) ? { sensitive: true } : {}),
    };
  }

  return {
    'backend.tf.json': stableJson({ terraform: { backend: backendBlock(input.backend) } }),
    // Without secret variables the file is what it always was (no empty `variable` block).
    'main.tf.json': stableJson({ module: { cluster: moduleArgs }, ...(Object.keys(declared).length > 0 ? { variable: declared } : {}) }),
    'outputs.tf.json': stableJson({ output: outputs }),
  };
}

/**
 * Writes the root module into `dir` (created when missing), each file atomically.
 * Refuses a directory that holds other Terraform files: they would silently join
 * the configuration. Returns the absolute paths written.
 */
export async function writeRootModule(dir: string, input: RootModuleInput): Promise<string[]> {
  if (!isAbsolute(dir)) {
    throw new WsdError('Internal', `terraform working dir "${dir}" must be an absolute path`, { source: 'internal' });
  }
  const files = generateRootModule(input);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (input.backend.type === 'local') {
    // Terraform creates the state file's folder itself, world-readable, and a state holds the cluster's
    // credentials (CA, endpoints, whatever the module's resources keep): ours is private.
    const stateDir = dirname(input.backend.path);
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    await chmod(stateDir, 0o700);
  }
  const foreign = (await readdir(dir)).filter(
    (f) => (f.endsWith('.tf') || f.endsWith('.tf.json')) && !(GENERATED_FILES as readonly string[]).includes(f),
  );
  if (foreign.length > 0) {
    throw new WsdError(
      'ConfigInvalid',
      `terraform working dir ${dir} holds files ws-deployment did not generate (${foreign.sort().join(', ')}); remove them or use another state dir`,
    );
  }
  const written: string[] = [];
  for (const [name, content] of Object.entries(files)) {
    const target = join(dir, name);
    writeFileAtomic(target, content);
    written.push(target);
  }
  return written;
}
