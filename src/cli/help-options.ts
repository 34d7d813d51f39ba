/**
 * Which global flags each command's `--help` shows. Commander can show all of
 * the root's flags under every subcommand or none; neither helps: `deploy
 * --help` must show --dry-run, --yes, --only and --cluster-id (its examples use
 * them), while `status --help` listing --fail-fast would only mislead. Options
 * of intermediate commands (`clusters --bridge`) are always shown.
 */
import type { Command, Help, Option } from 'commander';

const RUN = ['--config', '--versions-manifest', '--state-dir', '--state', '--json-log', '--verbose'];
const STORE = ['--state-dir', '--state', '--json-log'];

/** Root flags that apply, by command path (`clusters list`); absent = all of them. */
const APPLIES: Record<string, readonly string[]> = {
  deploy: [...RUN, '--dry-run', '--overwrite', '--cluster-id', '--concurrency', '--fail-fast', '--only', '--skip', '--yes'],
  resume: [...RUN, '--overwrite', '--concurrency', '--fail-fast', '--only', '--skip', '--yes'],
  plan: ['--config', '--versions-manifest', '--state-dir', '--state', '--cluster-id', '--only', '--skip', '--yes'],
  validate: ['--config', '--versions-manifest', '--json-log'],
  schema: [],
  status: STORE,
  shift: STORE,
  retire: [...RUN, '--yes'],
  clusters: ['--config', '--state-dir', '--json-log', '--verbose', '--yes'],
  sandbox: ['--state-dir', '--json-log'],
};

function path(cmd: Command): string[] {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names;
}

/** `Help.visibleGlobalOptions` for {@link APPLIES}. */
export function visibleGlobalOptions(this: Help, cmd: Command): Option[] {
  const out: Option[] = [];
  const top = path(cmd)[0] ?? '';
  for (let ancestor = cmd.parent; ancestor; ancestor = ancestor.parent) {
    const visible = ancestor.options.filter((o) => !o.hidden);
    const isRoot = !ancestor.parent;
    const applies = APPLIES[top];
    out.push(...(isRoot && applies ? visible.filter((o) => o.long !== undefined && applies.includes(o.long)) : visible));
  }
  return out;
}
