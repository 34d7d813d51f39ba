/**
 * `terraform:` — which module creates a cluster, extra module variables, where
 * the state lives and how the root module is generated. All optional; the lead
 * (plan) picks per-cluster-type defaults for what is left out.
 */
import * as z from 'zod';
import { quote } from '../messages.js';
import { existenceProblem, configPath, resolveConfigPath } from './paths.js';
import { checkedString, controlCharProblem, envVarName, hclIdentifier, patternString, pgIdentifier, storagePrefix } from './primitives.js';

/** `./x`, `../x` and `/x` are local module folders; anything else is a registry or git source. */
function isLocalSource(source: string): boolean {
  return source.startsWith('./') || source.startsWith('../') || source.startsWith('/');
}

/** Terraform registry addresses: `[host/]namespace/name/provider`; only those take a `version`. */
function isRegistrySource(source: string): boolean {
  if (/^(github\.com|bitbucket\.org)\//.test(source)) return false;
  return /^([a-z0-9.-]+\.[a-z]+(:[0-9]+)?\/)?[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+$/.test(source);
}

/** Module sources end up quoted in generated HCL: no quotes, backslashes, whitespace or interpolation. */
function sourceProblem(value: string): string | undefined {
  if (value.length === 0) return 'must not be empty';
  if (value.length > 1024) return `is ${value.length} characters long; at most 1024 are allowed`;
  const control = controlCharProblem(value);
  if (control !== undefined) return control;
  if (/[\s"\\]|[$%]\{/.test(value)) {
    return `${quote(value)} is not a valid module source; whitespace, quotes, backslashes and \${…} are not allowed`;
  }
  return undefined;
}

const moduleSource = checkedString(sourceProblem, { minLength: 1, maxLength: 1024 }).transform((value, ctx) => {
  if (!isLocalSource(value)) return value;
  const absolute = resolveConfigPath(value);
  const problem = existenceProblem(absolute, 'directory');
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `module folder ${quote(value)} ${problem}`, input: value });
  return absolute;
});

const moduleSection = z
  .strictObject({
    source: moduleSource
      .optional()
      .describe('Local folder (./, ../ or /; resolved against the config folder), registry or git source.'),
    version: patternString(/^[0-9A-Za-z.,<>=~! -]+$/, 'a terraform version constraint; use versions and the operators = != > >= < <= ~> separated by commas', '~> 1.2', 64)
      .optional()
      .describe('Version constraint for registry sources.'),
  })
  .superRefine(
    (module, ctx) => {
      // With `when` this runs on values that failed parsing too: anything may arrive here.
      if (typeof module !== 'object' || module === null) return;
      const source = module.source;
      if (module.version === undefined || typeof source !== 'string' || sourceProblem(source) !== undefined) return;
      if (!isRegistrySource(source)) {
        ctx.addIssue({
          code: 'custom',
          path: ['version'],
          message: source.startsWith('/')
            ? 'a version applies only to registry module sources (namespace/name/provider), not to local folders; remove it'
            : `a version applies only to registry module sources (namespace/name/provider), not ${quote(source)}; remove it or pin the git ref in the source`,
        });
      }
    },
    { when: () => true },
  );

/** Terraform variable values: strings, numbers, booleans, and lists and maps of those. */
type TerraformValue = string | number | boolean | TerraformValue[] | { [key: string]: TerraformValue };

const terraformString = checkedString((value) => controlCharProblem(value, true));

const terraformValue: z.ZodType<TerraformValue> = z.lazy(() =>
  z.union([terraformString, z.number(), z.boolean(), z.array(terraformValue), z.record(z.string(), terraformValue)]),
);

/** Backend fields and the only backend type each belongs to. */
const BACKEND_FIELD_OWNER = { prefix: 'gcs', connStrEnv: 'pg', schemaName: 'pg' } as const;

const backendSection = z
  .strictObject({
    type: z.enum(['gcs', 'local', 'pg']).describe('Where Terraform keeps state: gcs (project.bucket), local or pg.'),
    prefix: storagePrefix().optional().describe('gcs: object prefix inside the bucket.'),
    connStrEnv: envVarName().optional().describe('pg: environment variable that holds the connection string.'),
    schemaName: pgIdentifier().optional().describe('pg: schema for the state tables.'),
  })
  .superRefine(
    (backend, ctx) => {
      if (typeof backend !== 'object' || backend === null) return;
      for (const [field, owner] of Object.entries(BACKEND_FIELD_OWNER)) {
        if (backend[field as keyof typeof BACKEND_FIELD_OWNER] !== undefined && backend.type !== owner && typeof backend.type === 'string') {
          ctx.addIssue({ code: 'custom', path: [field], message: `applies only to backend type ${owner}, not ${quote(backend.type)}; remove it` });
        }
      }
    },
    { when: () => true },
  )
  .transform((backend) => {
    // A discriminated output spares the consumers optional fields that cannot apply.
    switch (backend.type) {
      case 'gcs':
        return { type: 'gcs' as const, prefix: backend.prefix };
      case 'pg':
        return { type: 'pg' as const, connStrEnv: backend.connStrEnv, schemaName: backend.schemaName };
      default:
        return { type: 'local' as const };
    }
  });

const generatorSection = z
  .strictObject({
    mode: z.enum(['builtin', 'external']).default('builtin').describe('builtin: ws-deployment writes the root module; external: a script does.'),
    script: configPath('program', 'generator script').optional().describe('external: the script that writes the root module.'),
    cwd: configPath('directory', 'generator folder').optional().describe('external: the folder the script runs in.'),
  })
  .superRefine(
    (generator, ctx) => {
      if (typeof generator !== 'object' || generator === null) return;
      for (const field of ['script', 'cwd'] as const) {
        if (generator.mode === 'external' && generator[field] === undefined) {
          ctx.addIssue({ code: 'custom', path: [field], message: `missing required key ${quote(field)}: mode external needs script and cwd` });
        }
        if (generator.mode === 'builtin' && generator[field] !== undefined) {
          ctx.addIssue({ code: 'custom', path: [field], message: 'applies only to mode external; remove it or set mode: external' });
        }
      }
    },
    { when: () => true },
  )
  .transform((generator) =>
    generator.mode === 'external'
      ? { mode: 'external' as const, script: generator.script as string, cwd: generator.cwd as string }
      : { mode: 'builtin' as const },
  );

export const terraformSection = z
  .strictObject({
    module: moduleSection.prefault({}).describe('The Terraform module that creates one workspace cluster.'),
    variables: z.record(hclIdentifier(), terraformValue).default({}).describe('Extra module variables, passed through.'),
    secretVariables: z
      .array(hclIdentifier())
      .default([])
      .describe('Variables whose values are secret besides the credential-named ones (password, secret, token, key, credential, auth): passed as TF_VAR_ and declared sensitive, never written to a file or shown.'),
    backend: backendSection.optional().describe('Terraform state backend; the default depends on the cluster type.'),
    providerMirror: configPath('directory', 'provider mirror folder')
      .optional()
      .describe('A folder made with `terraform providers mirror` (resolved against the config folder): terraform installs its providers from there only, for machines without access to the provider registry.'),
    generator: generatorSection.prefault({}).describe('How the Terraform root module is produced.'),
  })
  .prefault({})
  .describe('Terraform settings.');
