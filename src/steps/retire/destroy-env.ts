/**
 * The secret variables a retire destroy needs. A cluster's create-cluster journaled its secret
 * Terraform variables by name and type only (values are never journaled), and `terraform destroy`
 * of the regenerated module needs a value for each: without one it stops with "No value for
 * required variable" — after the cluster was cordoned, drained and deregistered. So each is
 * looked up before anything is touched: in the running config's `terraform.variables` (secret or
 * not: a variable that stopped being secret has its value there), else in this process's own
 * `TF_VAR_<name>` (the way to supply one the config no longer has: renamed, removed). A missing
 * one stops the retirement with the cluster, the variable and both fixes.
 */
import { WsdError } from '../../core/errors.js';
import type { Redactor } from '../../core/redact.js';
import type { RootModuleInput } from '../../tools/terraform/generator.js';
import { CONTRACT_VARIABLES, terraformSection, tfVarText } from '../create-cluster/terraform-setup.js';
import type { PlanContext } from '../step.js';

interface DestroyEnvNeed {
  /** The cluster, as messages name it. */
  cluster: string;
  /** The deployment that created it (its journal holds the module input). */
  createdBy: string;
  moduleInput?: RootModuleInput;
}

/** The secret variables of `need` that neither the config nor this process's `TF_VAR_` supply. */
export function missingDestroyVariables(need: DestroyEnvNeed, ctx: Pick<PlanContext, 'config'>, env: NodeJS.ProcessEnv = process.env): string[] {
  return secretNames(need).filter((name) => destroyVariableValue(name, ctx, env) === undefined);
}

function secretNames(need: DestroyEnvNeed): string[] {
  return Object.keys(need.moduleInput?.sensitiveVariables ?? {});
}

/** The value the config supplies for `name` (a contract variable is the tool's own, never the config's), else `TF_VAR_<name>`. */
function destroyVariableValue(name: string, ctx: Pick<PlanContext, 'config'>, env: NodeJS.ProcessEnv): string | undefined {
  const configured = terraformSection(ctx).variables?.[name];
  return configured !== undefined && !CONTRACT_VARIABLES.has(name) ? tfVarText(configured) : env[`TF_VAR_${name}`];
}

/**
 * The `TF_VAR_` environment of the destroy of `need` (its declared secret variables only), each value
 * registered with the redactor; throws when one is missing (see {@link destroyVariablesError}).
 */
function destroyTerraformEnv(need: DestroyEnvNeed, ctx: Pick<PlanContext, 'config'>, redactor?: Redactor, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const missing = missingDestroyVariables(need, ctx, env);
  if (missing.length > 0) throw destroyVariablesError([{ ...need, missing }]);
  const out: Record<string, string> = {};
  for (const name of secretNames(need)) {
    const value = destroyVariableValue(name, ctx, env) as string;
    redactor?.add(value);
    out[`TF_VAR_${name}`] = value;
  }
  return out;
}

/** One error for every cluster that lacks a variable: the operator fixes them all at once. */
function destroyVariablesError(lacking: ReadonlyArray<DestroyEnvNeed & { missing: string[] }>): WsdError {
  const lines = lacking.map(({ cluster, createdBy, missing }) => {
    const names = missing.map((m) => `"${m}"`).join(', ');
    return `cluster ${cluster} was created (deployment ${createdBy}) with the secret terraform variable${missing.length > 1 ? 's' : ''} ${names}, which terraform destroy needs and neither terraform.variables nor the environment supplies`;
  });
  const all = [...new Set(lacking.flatMap((l) => l.missing))];
  return new WsdError(
    'ConfigInvalid',
    `${lines.join('; ')}; the retirement has not touched it (no cordon, drain, deregistration or destroy). ` +
      `Supply ${all.length > 1 ? 'each' : 'it'} with the value the cluster was created with: export ${all.map((m) => `TF_VAR_${m}`).join(', ')} for this run, or set it in terraform.variables (marked in terraform.secretVariables unless its name says credential), then run again`,
    { details: { clusters: lacking.map(({ cluster, createdBy, missing }) => ({ cluster, createdBy, missing })) } },
  );
}

/**
 * The destroy environment of each cluster in `needs` by cluster, or one error naming every cluster
 * that lacks a variable: checked for all of them before the first is touched.
 */
export function destroyTerraformEnvs(needs: readonly DestroyEnvNeed[], ctx: Pick<PlanContext, 'config'>, redactor?: Redactor, env: NodeJS.ProcessEnv = process.env): Map<string, Record<string, string>> {
  const lacking = needs.map((need) => ({ ...need, missing: missingDestroyVariables(need, ctx, env) })).filter((need) => need.missing.length > 0);
  if (lacking.length > 0) throw destroyVariablesError(lacking);
  return new Map(needs.map((need) => [need.cluster, destroyTerraformEnv(need, ctx, redactor, env)]));
}
