/**
 * CreateCluster: Terraform creates the workspace cluster, then we record its
 * outputs and write its own kubeconfig.
 *
 * Pre-run check (shared/design.md §5): does a cluster with this full name exist?
 * gke/k3s ask GKE (auth errors are errors, not "absent"); the sandbox asks its
 * Terraform state. Found and started by this deployment → converge it with
 * Terraform (an interrupted apply is finished, a complete one plans no change);
 * found otherwise → refuse unless --overwrite.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ExistenceProbe } from '../../plan/allocate-id.js';
import { describeArgs, describeCluster, getCredentialsArgs } from '../../tools/gcloud.js';
import { runExternalGenerator } from '../../tools/terraform/external-generator.js';
import { writeRootModule } from '../../tools/terraform/generator.js';
import { OUTPUT_ARGV, applyArgv, initArgv, planArgv } from '../../tools/terraform/argv.js';
import { Terraform, type TerraformOutput } from '../../tools/terraform/terraform.js';
import type { CheckResult, ClusterTarget, PlanContext, PlannedAction, Step, StepContext, StepOutputs } from '../step.js';
import { KUBECONFIG_OUTPUTS, kubeconfigPath, writeClusterKubeconfig } from './kubeconfig.js';
import { kubeconfigTarget } from './kubeconfig-owner.js';
import {
  backendFor,
  builtinWorkDir,
  externalWorkDir,
  isExternalGenerator,
  localStateHasResources,
  localStatePath,
  pgConnStr,
  rootModuleInput,
  secretTerraformEnv,
  STATE_LOCK_TIMEOUT,
  terraformSection,
} from './terraform-setup.js';

const PLAN_FILE = 'cluster.tfplan';

/** Outputs every later step can rely on (sensitive ones stay out of the journal; docs/terraform-module.md). */
export const JOURNALED_OUTPUTS = ['cluster_name', 'short_name', 'region', 'ws_manager_host', 'workspace_host'];

/** Is the cluster there already? The one existence check, used by the pre-run check and id allocation. */
export async function clusterExists(ctx: Pick<PlanContext, 'config' | 'sharedDir' | 'redactor'> & { signal?: AbortSignal; logFile?: string }, cluster: ClusterTarget): Promise<{ exists: boolean; where?: string }> {
  if (cluster.type === 'sandbox') {
    const backend = backendFor(ctx, cluster);
    if (backend.type !== 'local') return { exists: false };
    return localStateHasResources(backend.path, (p) => readFileSync(p, 'utf8')) ? { exists: true, where: `terraform state ${backend.path}` } : { exists: false };
  }
  const found = await describeCluster({
    name: cluster.name,
    project: ctx.config.project.id,
    region: cluster.region,
    credFile: ctx.config.project.gcpSACredFile,
    signal: ctx.signal,
    logFile: ctx.logFile,
    redactor: ctx.redactor,
  });
  return found.exists ? { exists: true, where: `GKE project ${ctx.config.project.id}` } : { exists: false };
}

/** The id-allocation probe: the same existence check as the pre-run check. */
export function existenceProbe(ctx: Pick<PlanContext, 'config' | 'sharedDir' | 'redactor'> & { signal?: AbortSignal }): ExistenceProbe {
  return (cluster) => clusterExists(ctx, cluster);
}

async function workDirFor(ctx: StepContext): Promise<string> {
  if (!isExternalGenerator(ctx)) {
    const dir = builtinWorkDir(ctx);
    await writeRootModule(dir, rootModuleInput(ctx, ctx.cluster));
    return dir;
  }
  const generator = terraformSection(ctx).generator ?? {};
  const { project } = ctx.config;
  return runExternalGenerator({
    script: generator.script ?? '',
    cwd: generator.cwd ?? '',
    bucket: project.bucket ?? '',
    region: ctx.cluster.region,
    name: ctx.cluster.name,
    type: ctx.cluster.type,
    project: project.id,
    network: project.network,
    dnsZone: project.dnsZone,
    sink: ctx.sink,
    signal: ctx.signal,
    logFile: ctx.logFile,
    redactor: ctx.redactor,
  });
}

function terraformFor(ctx: StepContext, workDir: string): Terraform {
  return new Terraform({
    workDir,
    runDir: join(ctx.clusterDir, 'terraform-run'),
    credFile: ctx.config.project.gcpSACredFile,
    pgConnStr: pgConnStr(ctx),
    providerMirror: terraformSection(ctx).providerMirror,
    // Secret passthrough variables: for terraform's process only (rootModuleInput names them, without values).
    env: secretTerraformEnv(ctx),
    sink: ctx.sink,
    cluster: ctx.cluster.name,
    step: 'create-cluster',
    logFile: ctx.logFile,
    redactor: ctx.redactor,
    signal: ctx.signal,
    lockTimeout: STATE_LOCK_TIMEOUT,
  });
}

function plainOutputs(outputs: Record<string, TerraformOutput>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.value]));
}

export const createCluster: Step = {
  name: 'create-cluster',
  retry: { attempts: 3, initialDelayMs: 5_000, maxDelayMs: 30_000 },

  applies: (ctx) => ctx.cluster.create,

  describe(ctx: PlanContext): PlannedAction[] {
    const external = isExternalGenerator(ctx);
    const workDir = external ? externalWorkDir(ctx, ctx.cluster) : builtinWorkDir(ctx);
    const ref = { name: ctx.cluster.name, project: ctx.config.project.id, region: ctx.cluster.region };
    const actions: PlannedAction[] = [
      ctx.cluster.type === 'sandbox'
        ? { kind: 'check', description: `cluster exists? (terraform state ${localStatePath(ctx.sharedDir, ctx.cluster)})` }
        : {
            kind: 'check',
            description: 'cluster exists? (GKE)',
            argv: ['gcloud', ...describeArgs(ref)],
          },
    ];
    if (external) {
      const g = terraformSection(ctx).generator ?? {};
      actions.push({ kind: 'command', description: 'generate the terraform module (ops repository script)', argv: [g.script ?? '', '-b', ctx.config.project.bucket ?? '', '-l', ctx.cluster.region, '-n', ctx.cluster.name, '-t', ctx.cluster.type, '-g', ctx.config.project.id, '-w', ctx.config.project.network, '-d', ctx.config.project.dnsZone] });
    } else {
      // Only the builtin generator needs the module input: an external generator writes its own (and needs no module source).
      const input = rootModuleInput(ctx, ctx.cluster);
      for (const file of ['backend.tf.json', 'main.tf.json', 'outputs.tf.json']) {
        const secret = Object.keys(input.sensitiveVariables ?? {});
        const moduleData = { module: input.moduleSource, variables: ctx.redactor.redactValue(input.variables), ...(secret.length > 0 ? { secretVariables: `${secret.join(', ')} (sensitive, from TF_VAR_ in terraform's environment)` } : {}) };
        actions.push({ kind: 'file', description: 'generated root module', path: join(workDir, file), data: file === 'main.tf.json' ? moduleData : file === 'backend.tf.json' ? { backend: input.backend } : undefined });
      }
    }
    // The argv run() passes (tools/terraform/argv.ts), in the same working dir.
    const lock = { lockTimeout: STATE_LOCK_TIMEOUT };
    actions.push(
      { kind: 'command', description: 'terraform init', argv: ['terraform', ...initArgv(lock)] },
      { kind: 'command', description: 'terraform plan', argv: ['terraform', ...planArgv(join(workDir, PLAN_FILE), lock)] },
      { kind: 'command', description: 'terraform apply of that plan', argv: ['terraform', ...applyArgv(join(workDir, PLAN_FILE), lock)] },
      { kind: 'command', description: 'read outputs', argv: ['terraform', ...OUTPUT_ARGV] },
    );
    actions.push(
      ctx.cluster.type === 'gke'
        ? { kind: 'command', description: 'write the cluster kubeconfig', argv: ['gcloud', ...getCredentialsArgs(ref)], path: kubeconfigPath(ctx.clusterDir) }
        : { kind: 'file', description: 'kubeconfig from the module outputs', path: kubeconfigPath(ctx.clusterDir) },
    );
    return actions;
  },

  async check(ctx: StepContext): Promise<CheckResult> {
    const found = await clusterExists(ctx, ctx.cluster);
    if (!found.exists) return { action: 'proceed', reason: 'cluster does not exist yet' };
    if (ctx.previous?.applyStarted) {
      ctx.sink.emit({ level: 'info', code: 'create-cluster.converge', message: `cluster exists (${found.where}) from an earlier attempt of this deployment: terraform converges it` });
      return { action: 'proceed', reason: 'created by this deployment' };
    }
    if (ctx.options.overwrite) {
      ctx.sink.emit({ level: 'warn', code: 'create-cluster.overwrite', message: `cluster ${ctx.cluster.name} exists (${found.where}) but not from this deployment; --overwrite: terraform takes it over` });
      return { action: 'proceed', reason: 'exists; --overwrite' };
    }
    return { action: 'refuse', reason: `cluster ${ctx.cluster.name} already exists (${found.where}) and was not created by deployment ${ctx.deploymentId}; pick another id with --cluster-id, retire the old cluster, or pass --overwrite to take it over` };
  },

  async preview(ctx: StepContext): Promise<PlannedAction[]> {
    const workDir = await workDirFor(ctx);
    const terraform = terraformFor(ctx, workDir);
    await terraform.init();
    const planFile = join(workDir, PLAN_FILE);
    const plan = await terraform.plan(planFile).finally(() => rmSync(planFile, { force: true }));
    const c = plan.changes;
    return [{ kind: 'command', description: `terraform plan: ${c.add} to add, ${c.change} to change, ${c.remove} to destroy`, data: { ...c, workDir } }];
  },

  async run(ctx: StepContext): Promise<StepOutputs> {
    const workDir = await workDirFor(ctx);
    const terraform = terraformFor(ctx, workDir);
    await terraform.init();
    let changed = false;
    const planFile = join(workDir, PLAN_FILE);
    try {
      const plan = await terraform.plan(planFile);
      if (plan.hasChanges) {
        // From here the cluster may exist: a resume must converge it, not refuse it.
        await ctx.checkpoint({ applyStarted: true, workDir });
        await terraform.apply(planFile);
      }
      changed = plan.hasChanges;
    } finally {
      // A saved plan holds every variable's value, secret ones in clear text: it lives no longer than the apply.
      rmSync(planFile, { force: true });
    }
    const outputs = plainOutputs(await terraform.output());
    const kubeconfig = kubeconfigPath(ctx.clusterDir);
    await writeClusterKubeconfig(ctx, kubeconfig, outputs);
    // A kubeconfig is a cache; what writes it again is journaled (kubeconfig.ts).
    const kept = ctx.cluster.type === 'gke' ? JOURNALED_OUTPUTS : [...JOURNALED_OUTPUTS, ...KUBECONFIG_OUTPUTS];
    const journaled = Object.fromEntries(kept.filter((k) => k in outputs).map((k) => [k, outputs[k]]));
    return {
      ...journaled,
      // GKE: the server and CA gcloud wrote, what a later step checks its kubeconfig against (kubeconfig-owner.ts).
      ...(ctx.cluster.type === 'gke' ? kubeconfigTarget(kubeconfig) : {}),
      workDir,
      kubeconfig,
      backend: backendFor(ctx, ctx.cluster).type,
      changed,
      // Destroy regenerates the module from this (no secrets: credentials and secret variables come from the environment).
      moduleInput: isExternalGenerator(ctx) ? undefined : rootModuleInput(ctx, ctx.cluster),
    };
  },
};
