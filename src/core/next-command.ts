/**
 * Every command the tool tells the operator to run (`continue it with
 * \`ws-deployment resume ID\``, the gate's `shift resume`, …) must work when
 * copied and run as printed, from any working directory: it has to reach the
 * same state the run reached. The core, the journal and the webhooks' builders
 * write these commands bare (`ws-deployment resume ID`): the journal is portable
 * (a state dir copied elsewhere is read from there), so a path baked into it would
 * point at the old place. The CLI, which alone knows how the state was reached,
 * completes them on the way out with {@link NextCommands.text} / {@link NextCommands.value}:
 *
 * - `--state-dir` always, as an absolute path (the default `./.ws-deployment`
 *   too: the command may be run from another terminal, or read in a CI log or a
 *   chat message far from the cwd it names), quoted for POSIX sh when needed;
 * - with PostgreSQL state, `--state "$WS_DEPLOYMENT_STATE"` when the URL came from
 *   that variable, else the URL without its password (which is never printed: the
 *   command then needs PGPASSWORD or ~/.pgpass, where the README says it belongs);
 * - `--config`, absolute, for the commands that read a config (deploy, plan,
 *   retire, clusters) when one was named, or when the run read one it did not name (`resume ID` reads the config
 *   its deployment ran with, see {@link NextCommands.useConfig}); `resume ID` itself takes that config again.
 *   A run that shows one deployment (status, report, shift, a watch) without --config on its command line
 *   completes them with the config that deployment ran with, see {@link NextCommands.forDeployment}; and
 *   `resume` too where WS_DEPLOYMENT_CONFIG is set (`resume ID` would read it instead of its journaled one).
 *
 * A command that already names its state (`--state-dir`/`--state`) is left alone. Without `--config` (and without
 * WS_DEPLOYMENT_CONFIG) deploy, plan, retire and clusters read the default config, `~/ws-deployment.yaml`, and exit 2
 * when it does not exist. Such a command suggested where no config was named (`status`, a `--config -` run) is,
 * when there is no default config, no command in backticks but words that say what to add:
 * `ws-deployment clusters list --state-dir /s (add --config <your config>)`. When the default config exists it
 * stays a command: as printed, it runs with that config — except where the command is about one deployment
 * whose config is not known to be the default one (its journaled config is gone, or its journal unreadable):
 * words again, never a command that would act with another environment's config.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Subcommands that read the state store, and of them, those that read a config (the default one when none is
 * named, so they exit 2 without either). `clusters` reaches its registry through the config's meta cluster, and
 * the sandbox's registry lives in the state dir: with a config alone it lists another (empty) registry.
 */
const STATE_COMMANDS = new Set(['deploy', 'plan', 'resume', 'status', 'shift', 'report', 'retire', 'clusters']);
const CONFIG_COMMANDS = new Set(['deploy', 'plan', 'retire', 'clusters']);

/** What the operator must add to a command of {@link CONFIG_COMMANDS} suggested where no config is known. */
export const ADD_CONFIG = 'add --config <your config>';

/** The environment variable `--state` defaults to. */
export const STATE_ENV = 'WS_DEPLOYMENT_STATE';

export interface StateReach {
  stateDir: string;
  /** PostgreSQL URL, when the state lives there. */
  state?: string;
  /** True when `state` came from {@link STATE_ENV}, not from `--state`. */
  stateFromEnv?: boolean;
  /** The config, when one was named (`--config`, WS_DEPLOYMENT_CONFIG). */
  config?: string;
  /** True when the default config file (`~/ws-deployment.yaml`) exists: a command without --config runs with it. */
  defaultConfig?: boolean;
  /** True when the command line has --config (any value, `-` too): the operator's choice, kept as it is. */
  configFlag?: boolean;
  /** True when `resume` gets `config` too: WS_DEPLOYMENT_CONFIG is set, and `resume ID` would read it, not its journaled one. */
  resumeConfig?: boolean;
}

export interface NextCommands {
  /** Completes every `ws-deployment …` command in backticks in `text`, or `text` itself when it is one command. */
  text(text: string): string;
  /** {@link text} on every string of a JSON-like value. */
  value<T>(value: T): T;
  /**
   * The config the run reads when it named none (`resume ID`: the one its deployment ran with): from now on the
   * commands that read a config are completed with it, as they are with a named one.
   */
  useConfig(file: string): void;
  /**
   * The run shows one deployment (status, report, shift, a watch) and its command line has no --config: the
   * commands that read a config are completed with `file`, the config that deployment ran with (its journal's
   * `inputs.configFile`), while it exists; where it is gone or not known (`undefined`: the journal cannot be read)
   * they are words saying to add one. Never bare: the default config (WS_DEPLOYMENT_CONFIG, ~/ws-deployment.yaml)
   * may be another environment's. Where WS_DEPLOYMENT_CONFIG is set, `resume` gets the deployment's config too:
   * `resume ID` reads that variable's over its journaled one. With --config on the command line, that one stays.
   */
  forDeployment(file: string | undefined): void;
}

/** Quotes a word for POSIX sh when it needs it (display only: the tool never runs a shell). */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The URL without the password in it (userinfo or a `password=` parameter): what may be printed. */
export function urlWithoutPassword(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    for (const key of [...u.searchParams.keys()]) if (/pass/i.test(key)) u.searchParams.delete(key);
    return u.toString();
  } catch {
    return url.replace(/(\/\/[^:/@\s]*):[^@\s]*@/, '$1@');
  }
}

/** The flags that reach the state (and config) a command of `sub` needs. */
export function reachFlags(reach: StateReach, sub: string): string {
  if (!STATE_COMMANDS.has(sub)) return '';
  const flags = [`--state-dir ${shellQuote(resolve(reach.stateDir))}`];
  if (reach.state) flags.push(reach.stateFromEnv ? `--state "$${STATE_ENV}"` : `--state ${shellQuote(urlWithoutPassword(reach.state))}`);
  if (reach.config && (CONFIG_COMMANDS.has(sub) || (sub === 'resume' && reach.resumeConfig)) && reach.config !== '-') flags.push(`--config ${shellQuote(resolve(reach.config))}`);
  return ` ${flags.join(' ')}`;
}

/** `command` completed, and whether it still needs a config the operator must add (see {@link ADD_CONFIG}). */
function complete(command: string, reach: StateReach): { command: string; addConfig: boolean } {
  if (/(^|\s)--state(-dir)?(\s|=|$)/.test(command)) return { command, addConfig: false };
  // A `clusters` command given a bridge's address reaches it directly: no config, no state dir.
  if (/(^|\s)--bridge(\s|=|$)/.test(command)) return { command, addConfig: false };
  const sub = command.split(/\s+/)[1] ?? '';
  const noConfig = (reach.config === undefined || reach.config === '-') && !reach.defaultConfig;
  const addConfig = noConfig && CONFIG_COMMANDS.has(sub) && !/(^|\s)--config(\s|=|$)/.test(command);
  return { command: `${command.trimEnd()}${reachFlags(reach, sub)}`, addConfig };
}

const WHOLE = /^ws-deployment \S[^`\n]*$/;
const QUOTED = /`(ws-deployment [^`\n]+)`/g;

export function nextCommands(given: StateReach): NextCommands {
  let reach = given;
  // A command that needs a config, where none is known and no default one exists, is said in words, out of
  // backticks: copied as it is, it would exit 2.
  const whole = (s: string): string => {
    const c = complete(s, reach);
    return c.addConfig ? `${ADD_CONFIG} to ${c.command}` : c.command;
  };
  const quoted = (_: string, s: string): string => {
    const c = complete(s, reach);
    return c.addConfig ? `${c.command} (${ADD_CONFIG})` : `\`${c.command}\``;
  };
  const text = (s: string): string => (WHOLE.test(s) ? whole(s) : s.includes('`ws-deployment ') ? s.replace(QUOTED, quoted) : s);
  const value = <T>(v: T): T => {
    if (typeof v === 'string') return text(v) as T;
    if (Array.isArray(v)) return v.map(value) as T;
    if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, value(x)])) as T;
    }
    return v;
  };
  const useConfig = (file: string): void => {
    reach = { ...reach, config: file };
  };
  const forDeployment = (file: string | undefined): void => {
    if (given.configFlag) return;
    const known = file !== undefined && file !== '-' && file.trim() !== '' && existsSync(file);
    // A config named without --config is WS_DEPLOYMENT_CONFIG's, which `resume ID` reads too (instead of its journaled one).
    const fromEnv = given.config !== undefined;
    reach = { ...reach, config: known ? resolve(file) : undefined, defaultConfig: false, resumeConfig: known && fromEnv };
  };
  return { text, value, useConfig, forDeployment };
}

/** Leaves every command as written (tests, and callers without a state). */
export const bareCommands: NextCommands = { text: (s) => s, value: (v) => v, useConfig: () => undefined, forDeployment: () => undefined };
