/**
 * `--dry-run` is a root flag, so commander accepts it on every command, but only `deploy` honours it as "change
 * nothing". Elsewhere it was taken and ignored, or worse: `resume --dry-run` continued the deployment for real
 * (terraform apply, registration, the traffic shift, the old generation destroyed), with the release steps rendering
 * client-side instead of installing, so a real cluster would have been registered and given traffic without Gitpod.
 * A command that can change something refuses the flag before it does anything; one that only reads takes it (it
 * changes nothing either way).
 */
import type { Command } from 'commander';
import { WsdError } from '../core/errors.js';

/** Commands that change nothing whatever their flags: `--dry-run` is harmless there. */
const READ_ONLY = new Set(['plan', 'validate', 'schema', 'status', 'report', 'clusters list', 'clusters get-tls-config', 'help']);

/** Commands that honour `--dry-run`. */
const HONOURED = new Set(['deploy']);

/** What shows, without changing anything, what the command would work on. */
const SEE: Record<string, string> = {
  resume: '`ws-deployment status ID` shows where the deployment stands and which steps resume would run',
  shift: '`ws-deployment status ID` shows where its shift stands',
  retire: '`ws-deployment clusters list` shows the registry',
  clusters: '`ws-deployment clusters list` shows the registry',
};

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Throws a usage error when `--dry-run` was given to a command that would ignore it and change things for real. */
export function assertDryRunApplies(action: Command): void {
  if (action.getOptionValueSourceWithGlobals('dryRun') !== 'cli') return;
  const path = commandPath(action);
  const top = path.split(' ')[0] ?? '';
  if (HONOURED.has(top) || READ_ONLY.has(path) || READ_ONLY.has(top)) return;
  // The command is named bare: a `ws-deployment …` in the message would be completed with flags as a suggestion.
  const see = SEE[top] ?? '`ws-deployment plan` shows what a deploy would do';
  throw new WsdError('UsageError', `--dry-run applies to deploy only: ${path} has no dry run and would change things for real, so nothing was done; drop --dry-run to run it (${see})`);
}
