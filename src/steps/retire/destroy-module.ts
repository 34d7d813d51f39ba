/**
 * The module a retirement's `terraform destroy` regenerates its root module from. create-cluster journaled
 * the module source as that day's config gave it: a local folder by absolute path (an ops repository's
 * checkout, or the sandbox module inside the installed tool). That folder belongs to that day's checkout or
 * install: a CI job checking out elsewhere, or an upgrade of the tool, leaves it gone, and the destroy's
 * `terraform init` failed after the cluster had been cordoned, drained and deregistered. Terraform destroys
 * what the cluster's state lists; the module only declares the provider and the variables. So a local folder
 * that is gone is replaced by the module the running config names for a cluster of that type
 * (`terraform.module.source`, else the bundled sandbox module for a sandbox cluster), said in a warning; with
 * none, the retirement stops before it touches any cluster, naming the folder and both ways out.
 */
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { WsdError } from '../../core/errors.js';
import type { EventSink } from '../../core/events.js';
import type { RootModuleInput } from '../../tools/terraform/generator.js';
import { SANDBOX_MODULE_DIR } from '../../tools/terraform/sandbox-module.js';
import { terraformSection } from '../create-cluster/terraform-setup.js';
import type { PlanContext } from '../step.js';

interface DestroyModuleNeed {
  /** The cluster, as messages name it. */
  cluster: string;
  /** The deployment that created it (its journal holds the module input). */
  createdBy: string;
  moduleInput: RootModuleInput;
}

/** The module the running config gives a cluster of `type`, if any. */
function configuredSource(ctx: Pick<PlanContext, 'config'>, type: unknown): { source: string; version?: string } | undefined {
  const module = terraformSection(ctx).module;
  if (module?.source) return { source: module.source, version: module.version };
  return type === 'sandbox' ? { source: SANDBOX_MODULE_DIR } : undefined;
}

const gone = (source: string): boolean => isAbsolute(source) && !existsSync(source);

/**
 * The module input each destroy in `needs` runs with, by cluster: the journaled one, or, where its local
 * folder is gone, the same input on the running config's module (a warning each). Throws one error naming
 * every cluster whose folder is gone with nothing to take its place, before any is touched.
 */
export function destroyModuleInputs(needs: readonly DestroyModuleNeed[], ctx: Pick<PlanContext, 'config'>, sink?: EventSink): Map<string, RootModuleInput> {
  const out = new Map<string, RootModuleInput>();
  const lacking: DestroyModuleNeed[] = [];
  for (const need of needs) {
    const journaled = need.moduleInput;
    if (!gone(journaled.moduleSource)) {
      out.set(need.cluster, journaled);
      continue;
    }
    const now = configuredSource(ctx, journaled.variables.cluster_type);
    if (now === undefined || gone(now.source)) {
      lacking.push(need);
      continue;
    }
    out.set(need.cluster, { ...journaled, moduleSource: now.source, moduleVersion: now.version });
    sink?.emit({
      level: 'warn',
      code: 'retire.module-replaced',
      cluster: need.cluster,
      message: `the terraform module that created ${need.cluster} (deployment ${need.createdBy}), ${journaled.moduleSource}, is gone; its destroy uses the module the config names now, ${now.source} (terraform destroys what the cluster's state lists; the module only declares the provider and the variables)`,
      data: { journaled: journaled.moduleSource, used: now.source },
    });
  }
  if (lacking.length > 0) {
    const lines = lacking.map((l) => `cluster ${l.cluster} was created (deployment ${l.createdBy}) with the terraform module ${l.moduleInput.moduleSource}, which is gone`);
    throw new WsdError(
      'ConfigInvalid',
      `${lines.join('; ')}, and the config names no module that exists for ${lacking.length > 1 ? 'them' : 'it'}; the retirement has not touched ${lacking.length > 1 ? 'them' : 'it'} (no cordon, drain, deregistration or destroy). ` +
        'Restore that folder, or set terraform.module.source to the module that created it, then run again',
      { details: { clusters: lacking.map((l) => ({ cluster: l.cluster, createdBy: l.createdBy, module: l.moduleInput.moduleSource })) } },
    );
  }
  return out;
}
