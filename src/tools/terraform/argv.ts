/**
 * The argv of every terraform command we run, built in one place: `Terraform`
 * runs exactly these, and `plan` shows exactly these (a copy in the plan once
 * drifted from what deploy ran: no `-lock-timeout`, a relative plan file).
 */

interface ArgvOptions {
  /** `-lock-timeout` for commands that lock the state, e.g. `60s`. */
  lockTimeout?: string;
}

function lockArgs(options: ArgvOptions): string[] {
  return options.lockTimeout ? [`-lock-timeout=${options.lockTimeout}`] : [];
}

export function initArgv(options: ArgvOptions & { reconfigure?: boolean }): string[] {
  return ['init', '-input=false', '-no-color', '-json', ...(options.reconfigure ? ['-reconfigure'] : []), ...lockArgs(options)];
}

/** `-detailed-exitcode`: exit 0 = no changes, 2 = changes, anything else = error. */
export function planArgv(planFile: string, options: ArgvOptions & { destroy?: boolean }): string[] {
  return ['plan', '-input=false', '-no-color', '-json', '-detailed-exitcode', `-out=${planFile}`, ...lockArgs(options), ...(options.destroy ? ['-destroy'] : [])];
}

/** Applies a saved plan: no approval prompt, a saved plan is the approval. */
export function applyArgv(planFile: string, options: ArgvOptions): string[] {
  return ['apply', '-input=false', '-no-color', '-json', ...lockArgs(options), planFile];
}

export function destroyArgv(options: ArgvOptions): string[] {
  return ['apply', '-destroy', '-auto-approve', '-input=false', '-no-color', '-json', ...lockArgs(options)];
}

export const OUTPUT_ARGV: readonly string[] = ['output', '-json', '-no-color'];
