/**
 * What a signal that cut a command short says. A `clusters` change is not journaled (it is one call per meta
 * cluster, made by hand), so nothing can tell afterwards how far it got: the operator is told how to look.
 */

/** `clusters` subcommands that only read; every other one changes the registries it was given. */
const READING_CLUSTERS = new Set(['list', 'get-tls-config', 'help']);

export function interruptedMessage(signal: string, argv: readonly string[]): string {
  const said = `interrupted (${signal}) before the command finished`;
  if (!changesRegistries(argv)) return said;
  return `${said}; if it had begun sending its change, some meta clusters may have it and others not: \`ws-deployment clusters list\` shows what each registry holds now`;
}

/** True for a `clusters` command that changes registries (`register`, `update …`, `deregister`, `swap`). */
function changesRegistries(argv: readonly string[]): boolean {
  const words = argv.slice(2);
  const at = words.indexOf('clusters');
  const sub = at >= 0 ? words.slice(at + 1).find((w) => !w.startsWith('-')) : undefined;
  return sub !== undefined && !READING_CLUSTERS.has(sub);
}
