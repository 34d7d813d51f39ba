/**
 * Destroys a cluster this tool created, from the root-module input its
 * CreateCluster journaled: the generator is deterministic, so regenerating the
 * files from that input gives the same module and the same backend (state).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { WsdError } from '../../core/errors.js';
import { assertInsideStateDir } from '../../state/state-paths.js';
import type { ToolScope } from '../../tools/exec.js';
import { writeRootModule, type RootModuleInput } from '../../tools/terraform/generator.js';
import { Terraform } from '../../tools/terraform/terraform.js';
import { removeEmptyLocalState, STATE_LOCK_TIMEOUT } from './terraform-setup.js';

interface DestroyClusterInput extends ToolScope {
  /** `create-cluster` outputs of the deployment that created the cluster. */
  moduleInput: RootModuleInput;
  /** A fresh folder to regenerate the module in. */
  workDir: string;
  credFile?: string;
  pgConnStr?: string;
  /** `terraform.providerMirror` of the running config. */
  providerMirror?: string;
  /** `TF_VAR_` values of the secret variables the module input declares (terraform needs them to destroy too). */
  terraformEnv?: Record<string, string>;
  /** The state dir of this run: a local Terraform state elsewhere is never touched. */
  stateDir: string;
}

/** Regenerates the root module and runs `terraform destroy`; returns how many resources went away. */
export async function destroyCluster(input: DestroyClusterInput): Promise<{ removed: number }> {
  if (!input.moduleInput?.backend) throw new WsdError('StateCorrupt', `no terraform module input journaled for ${input.cluster ?? 'the cluster'}; it was not created by ws-deployment, destroy it by hand`);
  const { backend } = input.moduleInput;
  // A journal copied from another state dir must not make this run destroy what that dir's state holds.
  if (backend.type === 'local') assertInsideStateDir(input.stateDir, backend.path, `the terraform state of ${input.cluster ?? 'the cluster'}`);
  assertInsideStateDir(input.stateDir, input.workDir, 'the terraform working dir');
  mkdirSync(input.workDir, { recursive: true, mode: 0o700 });
  await writeRootModule(input.workDir, input.moduleInput);
  const terraform = new Terraform({
    workDir: input.workDir,
    runDir: join(input.workDir, '..', 'terraform-run'),
    credFile: input.credFile,
    pgConnStr: input.pgConnStr,
    providerMirror: input.providerMirror,
    env: input.terraformEnv,
    sink: input.sink,
    cluster: input.cluster,
    step: input.step,
    logFile: input.logFile,
    redactor: input.redactor,
    signal: input.signal,
    lockTimeout: STATE_LOCK_TIMEOUT,
  });
  await terraform.init();
  const summary = await terraform.destroy();
  // A destroyed cluster's local state holds nothing: drop it and its backup, or one pair per cluster piles up.
  if (backend.type === 'local') removeEmptyLocalState(backend.path);
  return { removed: summary.remove };
}
