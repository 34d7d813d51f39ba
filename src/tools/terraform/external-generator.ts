/**
 * Runs a user's own Terraform generator script (the way Gitpod's ops repository
 * produced per-cluster Terraform) instead of our generated root module. The script
 * gets the cluster facts as flags and must leave its Terraform in
 * `<cwd>/deploy/ws-clusters/ws-<name>/terraform`.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { WsdError } from '../../core/errors.js';
import { runTool, type ToolScope } from '../exec.js';

interface ExternalGeneratorInput extends ToolScope {
  /** Path of the script (absolute, or relative to `cwd`). It must be executable. */
  script: string;
  /** Absolute directory the script runs in (the user's ops checkout). */
  cwd: string;
  bucket: string;
  region: string;
  name: string;
  type: string;
  project: string;
  network: string;
  dnsZone: string;
  env?: Record<string, string>;
  /** Default 10 minutes. */
  timeoutMs?: number;
}

/** Where the script must leave the Terraform for cluster `name`. */
export function externalTerraformDir(cwd: string, name: string): string {
  return join(cwd, 'deploy', 'ws-clusters', `ws-${name}`, 'terraform');
}

const FLAG_VALUE = /^[A-Za-z0-9][-A-Za-z0-9_.]*$/;

/** Runs the script and returns the absolute Terraform dir it produced. */
export async function runExternalGenerator(input: ExternalGeneratorInput): Promise<string> {
  if (!isAbsolute(input.cwd)) {
    throw new WsdError('Internal', `generator working dir "${input.cwd}" must be absolute`, { source: 'internal' });
  }
  const flags: Array<[string, string, string]> = [
    ['-b', 'bucket', input.bucket],
    ['-l', 'region', input.region],
    ['-n', 'name', input.name],
    ['-t', 'type', input.type],
    ['-g', 'project', input.project],
    ['-w', 'network', input.network],
    ['-d', 'dnsZone', input.dnsZone],
  ];
  const argv = [resolve(input.cwd, input.script)];
  for (const [flag, what, value] of flags) {
    // A value starting with a dash would be read as another flag by the script's getopts.
    if (!FLAG_VALUE.test(value)) {
      throw new WsdError('ConfigInvalid', `terraform generator ${what} "${value}" may only hold letters, digits, dots, dashes and underscores`);
    }
    argv.push(flag, value);
  }
  await runTool({
    argv,
    cwd: input.cwd,
    env: input.env,
    timeoutMs: input.timeoutMs ?? 10 * 60_000,
    signal: input.signal,
    sink: input.sink,
    cluster: input.cluster,
    step: input.step,
    logFile: input.logFile,
    redactor: input.redactor,
  });
  const dir = externalTerraformDir(input.cwd, input.name);
  const found = await stat(dir).catch(() => undefined);
  if (!found?.isDirectory()) {
    throw new WsdError(
      'ToolFailed',
      `terraform generator ${input.script} succeeded but left no directory ${dir}; make it write the cluster's terraform there`,
    );
  }
  return dir;
}
