/**
 * Reading a config file: YAML (hardened) → schema + cross-field rules → a typed,
 * defaulted config with absolute paths, or one ConfigInvalidError listing every
 * problem with its position.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { configSchema, type Config } from './schema.js';
import { versionsManifestFlagIssues } from './files/versions-manifest-flag.js';
import { capIssues, ConfigInvalidError, sortIssues, type ConfigIssue } from './issues.js';
import { unsupportedVersionMessage, SUPPORTED_VERSIONS } from './sections/header.js';
import { credentialFileWarnings } from './rules/secret-file-modes.js';
import { shortSecretWarnings } from './rules/short-secrets.js';
import { withBaseDir } from './sections/paths.js';
import { formatPath, GENERIC, toConfigIssues } from './zod-issues.js';
import { MAX_CONFIG_BYTES } from './yaml/limits.js';
import { locate } from './yaml/locate.js';
import { readYaml } from './yaml/read-yaml.js';

/** A validated config and where it came from. */
export interface LoadedConfig {
  config: Config;
  /** Absolute path of the config file. */
  file: string;
  /** Its folder: relative paths in the config were resolved against it. */
  dir: string;
  /** The exact text validated. */
  text: string;
  /** sha256 (hex) of `text`: the journal records which config a deployment ran with. */
  hash: string;
  /** What is allowed but unwise (a credential file others can read): shown, never fatal. */
  warnings: ConfigIssue[];
}

/** Command-line values that replace config values and are validated with it. */
interface LoadOptions {
  /**
   * `--versions-manifest FILE` (relative to the working directory): wins over
   * `gitpod.versionsManifest`, and must exist and parse like it.
   */
  versionsManifest?: string;
  /** The environment variable the config path came from: messages about the path name it. */
  pathFromEnv?: string;
}

/**
 * The over-indented list items are the only yaml problem: validate the text with
 * them aligned and report what else is wrong too, at the positions of the text as
 * written (same lines; columns moved back where spaces were removed).
 */
function alignedIssues(aligned: { text: string; extraByLine: Map<number, number> }, file: string, absolute: string, options: LoadOptions): ConfigIssue[] {
  try {
    parseConfig(aligned.text, file, options);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigInvalidError)) throw error;
    return error.issues.map((i) => (i.file === absolute ? { ...i, col: i.col + (aligned.extraByLine.get(i.line) ?? 0) } : i));
  }
}

function fileIssue(file: string, message: string): ConfigInvalidError {
  return new ConfigInvalidError([{ file, line: 0, col: 0, path: '', message }]);
}

/**
 * Validates config `text` as if read from `file` (relative paths resolve against
 * its folder, and referenced files must exist there and parse when they are
 * YAML). Synchronous and total: it returns a config or throws
 * {@link ConfigInvalidError}, whatever the text.
 */
export function parseConfig(text: string, file: string, options: LoadOptions = {}): LoadedConfig {
  const absolute = path.resolve(file);
  const dir = path.dirname(absolute);
  const read = readYaml(text);
  const position = (offset: number): { line: number; col: number } => {
    const { line, col } = read.lineCounter.linePos(offset);
    return { line: Math.max(line, 1), col: Math.max(col, 1) };
  };
  const fail = (issues: ConfigIssue[]): never => {
    throw new ConfigInvalidError(capIssues(sortIssues(issues)));
  };

  if (read.issues.length > 0 || read.doc === undefined) {
    const yamlIssues = read.issues.map((i) => ({ file: absolute, ...position(i.offset), path: '(yaml)', message: i.message }));
    fail([...yamlIssues, ...(read.aligned ? alignedIssues(read.aligned, file, absolute, options) : [])]);
  }
  const doc = read.doc as NonNullable<typeof read.doc>;
  const raw = read.value;

  if (raw === null || raw === undefined) {
    fail([{ file: absolute, line: 1, col: 1, path: '(root)', message: `config is empty; start with "version: ${SUPPORTED_VERSIONS.join('')}"` }]);
  }
  // Another version means another schema: its other fields would only produce noise.
  const version = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>).version : undefined;
  if (version !== undefined && !(SUPPORTED_VERSIONS as readonly unknown[]).includes(version)) {
    fail([{ file: absolute, ...position(locate(doc, ['version']).valueOffset), path: 'version', message: unsupportedVersionMessage(version) }]);
  }

  // jitless: a config is parsed once per process, and zod's compiled fast path for each object
  // schema costs more to generate and compile than one parse saves (cold start, BENCHMARKS.md).
  const result = withBaseDir(dir, () => configSchema.safeParse(raw, { reportInput: true, error: () => GENERIC, jitless: true }));
  const configIssues = result.success ? [] : toConfigIssues(result.error.issues, { file: absolute, doc, lineCounter: read.lineCounter, schema: configSchema });
  const flag = options.versionsManifest === undefined ? undefined : versionsManifestFlagIssues(options.versionsManifest);
  if (configIssues.length > 0 || (flag?.issues.length ?? 0) > 0) {
    // The flag's issues are positioned in another file: after the config's, not sorted into them.
    throw new ConfigInvalidError(capIssues([...sortIssues(configIssues), ...(flag?.issues ?? [])]));
  }
  const config = result.data as Config;
  if (flag && config.gitpod) config.gitpod.versionsManifest = flag.file;
  const warnings = sortIssues(
    [...withBaseDir(dir, () => credentialFileWarnings(raw)), ...shortSecretWarnings(config)].map((w) => ({
      file: absolute,
      ...position(locate(doc, w.path).valueOffset),
      path: formatPath(w.path),
      message: w.message,
    })),
  );
  return { config, file: absolute, dir, text, hash: createHash('sha256').update(text, 'utf8').digest('hex'), warnings };
}

/**
 * Reads and validates the config file `file`. Refuses files that are missing,
 * not regular files, larger than 1 MiB or not UTF-8, all as ConfigInvalid.
 */
export async function loadConfig(file: string, options: LoadOptions = {}): Promise<LoadedConfig> {
  const env = options.pathFromEnv;
  // Caught before resolving: '' would resolve to the working directory, '-' to a file named '-' in it.
  if (file.trim() === '') {
    const given = env ? `${env} is set but empty` : '--config ""';
    throw fileIssue(file, `the config path is empty (${given}); ${env ? `set ${env} to` : 'pass --config FILE with'} the path of a yaml file`);
  }
  if (file === '-') {
    const given = env ? `${env}=-` : '--config -';
    throw fileIssue(file, `reading the config from stdin (${given}) is not supported: a resume needs the file again; save it to a file and pass --config FILE`);
  }
  const absolute = path.resolve(file);
  // Every message about the file itself says where its path came from, when that was not --config.
  const shown = env ? `${absolute} (from ${env})` : absolute;
  let handle;
  try {
    // O_NONBLOCK: a FIFO must not make the open wait for a writer; the type check below refuses it.
    handle = await open(absolute, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw fileIssue(absolute, `config file ${shown} does not exist; ${env ? `fix ${env} or pass --config FILE` : 'pass --config FILE or set WS_DEPLOYMENT_CONFIG'}`);
    }
    throw fileIssue(absolute, `config file ${shown} cannot be opened (${code ?? String(error)}); check the path and its permissions`);
  }
  let bytes: Buffer;
  try {
    const stat = await handle.stat();
    // Checked on the open handle: a FIFO or device would block or never end.
    if (!stat.isFile()) throw fileIssue(absolute, `config file ${shown} is not a regular file; pass the path of a yaml file`);
    if (stat.size > MAX_CONFIG_BYTES) {
      throw fileIssue(absolute, `config file ${shown} is ${stat.size} bytes; the limit is ${MAX_CONFIG_BYTES} bytes (1 MiB)`);
    }
    bytes = await handle.readFile();
  } finally {
    await handle.close();
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw fileIssue(absolute, `config file ${shown} is not valid utf-8; save it as utf-8 text`);
  }
  return parseConfig(text, absolute, options);
}

