/**
 * Global command-line options, parsed once into a typed object. The core never
 * sees `process.argv`; it receives these.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { CLUSTER_ID_MAX, CLUSTER_ID_MIN } from '../names/names.js';
import { STEP_NAMES, type StepName } from '../steps/step.js';
import { WsdError } from '../core/errors.js';
import { nextCommands, STATE_ENV, type NextCommands, type StateReach } from '../core/next-command.js';

export interface GlobalOptions {
  config: string;
  versionsManifest?: string;
  dryRun: boolean;
  overwrite: boolean;
  jsonLog: boolean;
  verbose: boolean;
  stateDir: string;
  /** PostgreSQL state store URL; absent = files in stateDir. */
  state?: string;
  /** The environment variable `config` came from (no --config), for messages about the path. */
  configEnv?: typeof CONFIG_ENV;
  /** The environment variable `state` came from (no --state), for messages about the url. */
  stateEnv?: typeof STATE_ENV;
  clusterId?: number;
  concurrency?: number;
  failFast: boolean;
  only?: StepName[];
  skip?: StepName[];
  yes: boolean;
  /** OTLP/HTTP collector for the run's trace (env OTEL_EXPORTER_OTLP_ENDPOINT); absent = no tracing. */
  otlpEndpoint?: string;
  /** Completes the commands the tool suggests with how this run reached its state (core/next-command.ts). */
  next: NextCommands;
}

const CONFIG_ENV = 'WS_DEPLOYMENT_CONFIG';

/** The config read when neither --config nor WS_DEPLOYMENT_CONFIG names one. */
const defaultConfigFile = (): string => join(homedir(), 'ws-deployment.yaml');

export function defaultConfigPath(): string {
  return process.env[CONFIG_ENV] ?? defaultConfigFile();
}

function parsePositiveInt(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError(`${name} must be a positive whole number, got "${value}"`);
    return Number(value);
  };
}

/** `--cluster-id`: a whole number in the id range names use (README: 100–299). */
function parseClusterId(value: string): number {
  const id = /^\d{1,6}$/.test(value) ? Number(value) : NaN;
  if (!(id >= CLUSTER_ID_MIN && id <= CLUSTER_ID_MAX)) {
    throw new InvalidArgumentError(`--cluster-id must be a whole number from ${CLUSTER_ID_MIN} to ${CLUSTER_ID_MAX}, got "${value}"; omit it to allocate a free one`);
  }
  return id;
}

/** Largest value of the registry's int32 score fields. */
export const INT32_MAX = 2 ** 31 - 1;

export const INT32_MIN = -(2 ** 31);

/**
 * `clusters update score|max-score`: any int32, as gpctl and the bridge take
 * it (the command warns about negatives; the shift logic keeps refusing them).
 */
export function parseSignedScore(name: string) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value) || Number(value) > INT32_MAX || Number(value) < INT32_MIN) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${INT32_MIN} to ${INT32_MAX} (≤ 0 takes no new workspaces), got "${value}"`);
    }
    return Number(value);
  };
}

/**
 * Registry names are short names such as `eu17`: they end up in host names
 * (`ws-eu17.gitpod.io`) and in workspace records, so they are DNS labels.
 */
const REGISTRY_NAME_PATTERN = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function registryNameProblem(name: string): string | undefined {
  if (REGISTRY_NAME_PATTERN.test(name)) return undefined;
  return `${JSON.stringify(name)} is not a valid registry name; use at most 63 lowercase letters, digits and dashes, not starting or ending with a dash, e.g. eu17`;
}

/** `clusters register --name`. */
export function parseRegistryName(value: string): string {
  const problem = registryNameProblem(value);
  if (problem) throw new InvalidArgumentError(problem);
  return value;
}

/**
 * Why an OTLP endpoint is unusable (it must be an http(s) URL), or undefined. The value itself is
 * not repeated: collector URLs carry tokens (`?token=`, a path segment, userinfo), and a mistyped
 * one (no scheme) is not recognised as a URL by the redactor. Only the scheme it has is named.
 */
export function otlpEndpointProblem(value: string, source = '--otlp-endpoint'): string | undefined {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url && (url.protocol === 'http:' || url.protocol === 'https:')) return undefined;
  const got = url && /^[a-z][a-z0-9+.-]*:$/i.test(url.protocol) && value.startsWith(`${url.protocol}//`) ? `a ${url.protocol}// URL` : 'a value without http:// or https:// in front';
  return `${source} must be an http(s) URL of an OTLP/HTTP collector such as http://localhost:4318, got ${got} (not shown: it may hold a token)`;
}

/**
 * `--otlp-endpoint`: checked before anything runs. A usage error of our own, not commander's
 * InvalidArgumentError, whose message would quote the value (and any token in it).
 */
function parseEndpoint(value: string): string {
  const problem = otlpEndpointProblem(value);
  if (problem) throw new WsdError('UsageError', problem);
  return value;
}

function parseSteps(value: string, previous: StepName[] | undefined): StepName[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const name of names) {
    if (!(STEP_NAMES as readonly string[]).includes(name)) {
      throw new InvalidArgumentError(`unknown step "${name}"; steps are ${STEP_NAMES.join(', ')}`);
    }
  }
  return [...(previous ?? []), ...(names as StepName[])];
}

/** Declares the global flags on the root program (inherited by every command). */
export function addGlobalOptions(program: Command): Command {
  return program
    .option('-c, --config <file>', 'deployment config (env WS_DEPLOYMENT_CONFIG)', defaultConfigPath())
    .option('--versions-manifest <file>', 'versions manifest pinning component versions')
    .option('--dry-run', 'show what would change (runs tool-native previews such as terraform plan), change nothing', false)
    .option('--overwrite', 'take over clusters/registrations that exist but were not created by this deployment, and recover helm releases another run left pending', false)
    .option('--json-log', 'emit NDJSON events on stderr', false)
    .option('-v, --verbose', 'show tool output and debug events', false)
    .option('--state-dir <dir>', 'where journals, locks and working files live', './.ws-deployment')
    .option('--state <url>', 'keep journals and locks in PostgreSQL (postgres://…; env WS_DEPLOYMENT_STATE); working files stay in --state-dir', process.env.WS_DEPLOYMENT_STATE)
    .option('--cluster-id <id>', 'use this cluster id (100-299) instead of allocating one', parseClusterId)
    .option('--concurrency <n>', 'steps running at once across all clusters (default: all); each runs one tool process at a time, so releases a cluster installs together take one each', parsePositiveInt('--concurrency'))
    .option('--fail-fast', 'stop scheduling every cluster after the first failure', false)
    .option('--only <steps>', 'run only these steps (comma separated, repeatable)', parseSteps)
    .option('--skip <steps>', 'skip these steps (comma separated, repeatable)', parseSteps)
    .option('-y, --yes', 'approve manual gates without asking (CI)', false)
    .option('--otlp-endpoint <url>', 'export one OpenTelemetry trace per deploy/resume run to this OTLP/HTTP collector, e.g. http://jaeger:4318 (env OTEL_EXPORTER_OTLP_ENDPOINT)', parseEndpoint, process.env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined);
}

/** {@link CONFIG_ENV} when the config path is its value (no --config): messages about the path name it. */
export function configEnvOf(command: Command): typeof CONFIG_ENV | undefined {
  return command.getOptionValueSourceWithGlobals('config') !== 'cli' && process.env[CONFIG_ENV] !== undefined ? CONFIG_ENV : undefined;
}

/** True when the user named a config (`--config` or WS_DEPLOYMENT_CONFIG), not the default path. */
export function configGiven(command: Command): boolean {
  return command.getOptionValueSourceWithGlobals('config') === 'cli' || process.env[CONFIG_ENV] !== undefined;
}

/** Reads the parsed global options of any (sub)command. */
export function globalOptions(command: Command): GlobalOptions {
  const o = command.optsWithGlobals<GlobalOptions>();
  // --skip takes steps out of --only; when it takes out all of them nothing would run, and the
  // "deployment" would succeed (exit 0) having done nothing: a mistake, not a request.
  if (o.only?.length && o.only.every((s) => o.skip?.includes(s))) {
    throw new WsdError('UsageError', `--skip removes every step --only names (${[...new Set(o.only)].join(', ')}), so nothing would run; drop one of the two flags, or name in --only a step --skip leaves`);
  }
  // An empty path and '-' (stdin) stay as given: resolved, they would name the working directory or a file '-' in it.
  const config = o.config.trim() === '' || o.config === '-' ? o.config : resolve(o.config);
  // A bad value from the environment must say so: the operator looks for it in the command line first.
  const configEnv = configEnvOf(command);
  const stateEnv = command.getOptionValueSourceWithGlobals('state') !== 'cli' && o.state ? STATE_ENV : undefined;
  return { ...o, config, stateDir: resolve(o.stateDir), configEnv, stateEnv, next: nextCommandsOf(command) };
}

const completers = new WeakMap<Command, NextCommands>();

/**
 * The one completer of `command`'s suggested commands: the run's output and its error share it, so a config the
 * run learns later (`resume ID`'s journaled one, {@link NextCommands.useConfig}) completes both.
 */
export function nextCommandsOf(command: Command): NextCommands {
  const next = completers.get(command) ?? nextCommands(stateReach(command));
  completers.set(command, next);
  return next;
}

/** How `command` reaches its state and config: what a command suggested to the operator must repeat. */
export function stateReach(command: Command): StateReach {
  const o = command.optsWithGlobals<Pick<GlobalOptions, 'config' | 'state' | 'stateDir'>>();
  const named = configGiven(command) && o.config.trim() !== '' && o.config !== '-';
  return {
    stateDir: resolve(o.stateDir),
    state: o.state || undefined,
    stateFromEnv: command.getOptionValueSourceWithGlobals('state') !== 'cli',
    ...(named ? { config: resolve(o.config) } : {}),
    ...(command.getOptionValueSourceWithGlobals('config') === 'cli' ? { configFlag: true } : {}),
    // A suggested command without --config runs only where the default config exists (else it exits 2).
    ...(!named && process.env[CONFIG_ENV] === undefined && existsSync(defaultConfigFile()) ? { defaultConfig: true } : {}),
  };
}
