/**
 * The secret passthrough values of a config, in one place for the redactor:
 * Terraform variables and helm `set` values that are marked secret or
 * credential-named (core/secret-names.ts). The steps hand them to the tools out
 * of sight (TF_VAR_ environment, a 0600 values file); the redactor makes sure
 * any echo of them (a tool's error message, a rendered manifest) shows none.
 */
import { splitSecrets } from '../core/secret-names.js';
import { secretTerraformValues } from './create-cluster/terraform-setup.js';
import { readSection } from './install/config.js';
import type { PlanContext } from './step.js';

/** The secret Terraform variables by name. */
export function secretTerraformVariables(config: unknown): Record<string, unknown> {
  return secretTerraformValues({ config } as Pick<PlanContext, 'config'>);
}

/** The secret helm `set` values of every release section. */
export function secretHelmValues(config: unknown): unknown[] {
  return (['gitpod', 'jaeger', 'monitoring'] as const).flatMap((key) => {
    const section = readSection(config, key);
    return section ? Object.values(splitSecrets(section.set, section.secretSet).secret) : [];
  });
}
