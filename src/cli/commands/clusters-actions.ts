/**
 * The handlers of `ws-deployment clusters …` (the tree is `clusters.ts`): parse, ask, print; the registry modules do
 * the work. Loaded when a clusters command runs, so building the program (every command's start, `plan`'s too)
 * does not compile them.
 */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { isWsdError, WsdError } from '../../core/errors.js';
import type { EventSink } from '../../core/events.js';
import type { RegistryClient } from '../../registry/client.js';
import type { MetaAccessInput } from '../../registry/connect.js';
import type { Preferability, RegisterInput, UpdateProperty } from '../../registry/types.js';
import { LEGACY_TLS_SECRET, MK2_TLS_SECRET } from './clusters.js';
import { configEnvOf, registryNameProblem } from '../options.js';
import { canAsk, discardTypeAhead, keepAnswerable, promptLine } from '../render/question-terminal.js';

/** Where results go and how to ask; injectable so tests run the program in-process. */
export interface ClustersIo {
  stdout(text: string): void;
  /** Warnings for people (default: stderr). */
  warn?(text: string): void;
  /** True when a person can answer a question. */
  interactive(): boolean;
  /**
   * Asks on stderr/stdin and returns the answer; undefined when the person refused to answer (Ctrl-C, Ctrl-D).
   * Lines before the last are written as they are; the last is the prompt (short: render/question-terminal.ts).
   */
  ask(question: string): Promise<string | undefined>;
  /** Reads all of stdin (for `--from-file -`). */
  readStdin(): Promise<string>;
}

export const processIo: ClustersIo = {
  stdout: (text) => void process.stdout.write(text),
  warn: (text) => void process.stderr.write(text),
  // Not under CI either, as at a manual gate: with a terminal but nobody at it, the question waited for ever.
  interactive: canAsk,
  ask: async (question) => {
    // The name typed before the warning was on screen confirms nothing.
    discardTypeAhead(process.stdin);
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    keepAnswerable(rl, process.stdin);
    try {
      // Ctrl-C (a key in readline's raw mode) and Ctrl-D (end of input) are a clear no, not an internal error:
      // readline rejected the question with an AbortError, which reached the operator as a stack trace.
      return await new Promise<string | undefined>((resolve) => {
        const refuse = (key: string): void => {
          process.stderr.write(`${key}\n`);
          resolve(undefined);
        };
        rl.once('SIGINT', () => refuse('^C'));
        rl.once('SIGQUIT', () => refuse('^\\'));
        rl.once('close', () => refuse('^D'));
        rl.question(promptLine(process.stderr, question)).then(resolve, () => resolve(undefined));
      });
    } finally {
      rl.removeAllListeners('close'); // our own close below is not the operator's Ctrl-D
      rl.close();
    }
  },
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};

interface TargetOptions {
  meta?: string;
  bridge?: string;
  bridgeCa?: string;
  bridgeCert?: string;
  bridgeKey?: string;
  config?: string;
  stateDir?: string;
  name?: string;
  yes?: boolean;
  overwrite?: boolean;
}

/** Every option of the command and its ancestors (root globals such as --config and --yes included). */
function allOptions(command: Command): TargetOptions {
  return command.optsWithGlobals<TargetOptions>();
}

function requireName(command: Command): string {
  const name = allOptions(command).name;
  if (!name) throw new WsdError('UsageError', `${command.name()} needs --name <cluster>, the registry name such as eu17`);
  return name;
}

interface Target {
  meta: MetaAccessInput;
  baseDir: string;
  /** The flags that chose this registry with --bridge, for hints that repeat them. */
  bridgeFlags?: string;
}

/**
 * Resolves `--meta` (through the config) or `--bridge` into connection settings.
 * `readOnly`: the command only lists, so a sandbox registry is opened without
 * writing anything (it works on a read-only state dir).
 */
async function target(command: Command, readOnly: boolean): Promise<Target> {
  const o = allOptions(command);
  if (o.meta && o.bridge) throw new WsdError('UsageError', 'give either --meta or --bridge, not both');
  if (o.bridge) {
    const { hostPortSchema } = await import('../../registry/config.js');
    if (!hostPortSchema.safeParse(o.bridge).success) throw new WsdError('UsageError', `--bridge must be host:port, got "${o.bridge}"`);
    if (!o.bridgeCa && (o.bridgeCert || o.bridgeKey)) throw new WsdError('UsageError', '--bridge-cert/--bridge-key need --bridge-ca');
    const tls = o.bridgeCa ? { ca: o.bridgeCa, cert: o.bridgeCert, key: o.bridgeKey } : undefined;
    const flags = [['--bridge', o.bridge], ['--bridge-ca', o.bridgeCa], ['--bridge-cert', o.bridgeCert], ['--bridge-key', o.bridgeKey]]
      .flatMap(([flag, value]) => (value ? [`${flag} ${value}`] : []))
      .join(' ');
    return { meta: { name: o.bridge, bridge: { address: o.bridge, tls } }, baseDir: process.cwd(), bridgeFlags: flags };
  }
  if (!o.config) throw new WsdError('UsageError', 'say which registry to use: --meta <meta cluster name> with --config <file>, or --bridge <host:port>');
  const file = resolve(o.config);
  const { loadConfig } = await import('../../config/load.js');
  const { config } = await loadConfig(file, { pathFromEnv: configEnvOf(command) });
  const metas = config.metaClusters;
  // With a single meta cluster in the config, --meta may be left out.
  const meta = o.meta ? metas.find((m) => m.name === o.meta) : metas.length === 1 ? metas[0] : undefined;
  if (!meta) {
    const known = metas.map((m) => m.name).join(', ') || 'none';
    throw new WsdError('UsageError', o.meta ? `meta cluster "${o.meta}" is not in ${file}; it has ${known}` : `${file} has several meta clusters (${known}); say which with --meta NAME`);
  }
  const { resolveMetaAccess } = await import('../../sandbox/meta-access.js');
  return { meta: await resolveMetaAccess(meta, resolve(o.stateDir ?? './.ws-deployment'), { readOnly }), baseDir: dirname(file) };
}

/**
 * Connects, runs `fn`, always closes the channel and any port-forward. `readOnly`: `fn` only lists. The client's
 * warnings (a bridge that keeps quiet, retries, an answer lost) go to the operator as they happen.
 */
async function withClient<T>(command: Command, io: ClustersIo, fn: (client: RegistryClient, meta: string) => Promise<T>, readOnly = false): Promise<T> {
  const { meta, baseDir, bridgeFlags } = await target(command, readOnly);
  const { withRegistry } = await import('../../registry/connect.js');
  const jsonLog = command.optsWithGlobals<{ jsonLog?: boolean }>().jsonLog === true;
  const sink: EventSink = {
    emit: (event) => void (event.level === 'warn' || event.level === 'error' ? io.warn?.(jsonLog ? `${JSON.stringify({ ...event, time: event.time ?? new Date().toISOString() })}\n` : `${event.message}\n`) : undefined),
  };
  try {
    return await withRegistry(meta, { baseDir, sink }, (client) => fn(client, meta.name));
  } catch (error) {
    throw withRetryHint(bridgeFlags ? withBridgeHint(error, bridgeFlags) : error);
  }
}

/** The client's "never answered" error names the bridge and leaves the next step to its caller: here, the command. */
function withRetryHint(error: unknown): unknown {
  if (!isWsdError(error) || error.details['unanswered'] === undefined) return error;
  return new WsdError(error.code, `${error.message}, then run the command again`, { transient: error.transient, details: error.details, cause: error });
}

/**
 * The registry's not-found message points at `clusters list --meta <name>`;
 * reached with --bridge there is no meta cluster name, so the hint repeats the
 * --bridge flags that did reach it.
 */
function withBridgeHint(error: unknown, bridgeFlags: string): unknown {
  if (!isWsdError(error) || error.code !== 'RegistryNotFound') return error;
  const { cluster, meta } = error.details as { cluster?: string; meta?: string };
  return new WsdError(
    'RegistryNotFound',
    `cluster ${cluster ?? '(no name)'} is not registered with ${meta ?? 'the registry'}; see the registered names with \`ws-deployment clusters list ${bridgeFlags}\``,
    { details: error.details, cause: error },
  );
}

interface RegisterFlags {
  name?: string;
  url?: string;
  tlsPath?: string;
  region?: string;
  hintCordoned?: boolean;
  hintGovern?: boolean;
  hintPreferability?: Preferability;
  admissionConstraint: string[];
  fromFile?: string;
}

/**
 * The RegisterRequest: from `--from-file` when given, with every flag given on
 * the command line overriding the file's field (gpctl-style: a shared file plus
 * per-cluster --name/--url/--tls-path); from flags alone otherwise.
 */
async function registerInput(command: Command, io: ClustersIo): Promise<RegisterInput> {
  const o = command.opts<RegisterFlags>();
  const fromCli = (key: keyof RegisterFlags) => command.getOptionValueSource(key) === 'cli';
  const [{ fileTlsReader }, { parseConstraint }, { bridgeRegionProblem }] = await Promise.all([
    import('../../registry/tls-source.js'),
    import('../../registry/constraints.js'),
    import('../../registry/region.js'),
  ]);
  if (o.region !== undefined) {
    const problem = bridgeRegionProblem(o.region);
    if (problem) throw new WsdError('UsageError', `--region: ${problem}`);
  }
  let base: Partial<RegisterInput> = {};
  let source = 'the command line';
  if (o.fromFile) {
    const { parseRegisterFile } = await import('../../registry/register-file.js');
    source = o.fromFile === '-' ? 'stdin' : resolve(o.fromFile);
    const text = o.fromFile === '-' ? await io.readStdin() : await readFile(source, 'utf8').catch((e: Error) => {
      throw new WsdError('UsageError', `cannot read ${source}: ${e.message}`);
    });
    base = parseRegisterFile(text, source);
  }
  const name = o.name ?? base.name;
  const url = o.url ?? base.url;
  const tls = o.tlsPath ? await fileTlsReader(resolve(o.tlsPath)).read() : base.tls;
  const missing = [!name && '--name', !url && '--url', !tls && '--tls-path'].filter(Boolean);
  if (missing.length > 0) {
    throw new WsdError('UsageError', `register needs ${missing.join(', ')}${o.fromFile ? ` (${source} does not set ${missing.length > 1 ? 'them' : 'it'} either)` : ' (or --from-file with those fields)'}`);
  }
  const problem = registryNameProblem(name as string);
  if (problem) throw new WsdError('UsageError', `${o.fromFile && !o.name ? `${source}: ` : ''}name ${problem}`);
  const hints = base.hints ?? { preferability: 'None', cordoned: false, govern: false };
  return {
    name: name as string,
    url: url as string,
    tls: tls as RegisterInput['tls'],
    hints: {
      preferability: fromCli('hintPreferability') || !o.fromFile ? (o.hintPreferability ?? 'None') : hints.preferability,
      cordoned: fromCli('hintCordoned') || !o.fromFile ? (o.hintCordoned ?? false) : hints.cordoned,
      govern: fromCli('hintGovern') || !o.fromFile ? (o.hintGovern ?? false) : hints.govern,
    },
    admissionConstraints: o.admissionConstraint.length > 0 || !o.fromFile ? o.admissionConstraint.map(parseConstraint) : (base.admissionConstraints ?? []),
    region: o.region ?? base.region ?? '',
  };
}

async function update(command: Command, io: ClustersIo, property: UpdateProperty, done: string): Promise<void> {
  const name = requireName(command);
  await withClient(command, io, async (client, meta) => {
    await client.update(name, property);
    io.stdout(`${name}: ${done} on ${meta}\n`);
    if ('score' in property || 'maxScore' in property) await warnScoreAboveMax(client, io, name);
  });
}

/**
 * The bridge stores score and max score independently and weighs new starts by
 * min(score, max_score): a score above max score is not an error, but it is
 * not what it looks like either, so say what it means.
 */
/** A warning line as the NDJSON event `--json-log` prints (the client's events keep their own code). */
export function warningEvent(text: string): string {
  const line = text.trimEnd();
  if (line.startsWith('{')) return `${line}\n`;
  return `${JSON.stringify({ level: 'warn', code: 'clusters.warning', message: line.replace(/^(warning|note): /, ''), time: new Date().toISOString() })}\n`;
}

async function warnScoreAboveMax(client: RegistryClient, io: ClustersIo, name: string): Promise<void> {
  const cluster = (await client.list().catch(() => [])).find((c) => c.name === name);
  if (!cluster || cluster.score <= cluster.maxScore) return;
  io.warn?.(
    `warning: ${name} now has score ${cluster.score} above its max score ${cluster.maxScore}; the bridge keeps both, ` +
      `and workspace selection weighs the cluster by min(score, max_score) = ${cluster.maxScore}\n`,
  );
}

/** Negative scores: the bridge takes any int32, but selection never picks a cluster with score ≤ 0. */
function warnNegative(io: ClustersIo, what: string, n: number): void {
  if (n >= 0) return;
  io.warn?.(
    what === 'score'
      ? `warning: score ${n} is negative; the bridge accepts it, but a cluster with score ≤ 0 gets no new workspaces (same as 0), and traffic shifts of ws-deployment refuse negative scores\n`
      : `warning: max score ${n} is negative; selection weighs by min(score, max_score), so this cluster gets no new workspaces whatever its score\n`,
  );
}

/**
 * cordon/uncordon. Either replaces a state this tool has no name for (a newer bridge's) for good: no Update sets it
 * back. Uncordon also opens the cluster to new workspaces, so it is confirmed as deregister of such a cluster is
 * (--yes, or the name typed); cordon, the direction that stops new starts, goes through (an operator may need it
 * at once) and says what it replaced.
 */
async function cordonCommand(command: Command, io: ClustersIo, cordoned: boolean): Promise<void> {
  const name = requireName(command);
  const verb = cordoned ? 'cordon' : 'uncordon';
  await withClient(command, io, async (client, meta) => {
    // A List that fails does not hold up a cordon; an uncordon waits for the state it would replace.
    const listed = (await (cordoned ? client.list().catch(() => []) : client.list())).find((c) => c.name === name);
    const { unknownStateSeen } = await import('../../registry/format.js');
    const seen = listed?.state === 'UNKNOWN' ? unknownStateSeen(listed, meta) : undefined;
    if (seen && !cordoned) await (await import('./clusters-confirm.js')).confirmUncordonUnknown(allOptions(command).yes === true, io, name, seen);
    await client.update(name, { cordoned });
    io.stdout(`${name}: ${verb}ed on ${meta}\n`);
    if (seen) io.warn?.(`warning: ${seen}; ${verb} replaced that state with ${cordoned ? 'CORDONED' : 'AVAILABLE'}, which no ws-deployment command sets back\n`);
  });
}

/** Each subcommand's handler, given the io it prints and asks with. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- positional arguments differ per subcommand
export const ACTIONS: Record<string, (io: ClustersIo) => (...args: any[]) => Promise<void> | void> = {
  'list': (io) =>
    async (_o, command: Command) => {
      const { clustersJson, clustersTable, duplicateNames, unknownStateWarnings, DUPLICATE_NAME_WHY } = await import('../../registry/format.js');
      const output = command.opts<{ output: string }>().output;
      // Shown as listed, a name twice included (the other commands refuse such a registry): what is there to fix.
      const { list, meta } = await withClient(command, io, async (client, meta) => ({ list: await client.list({ duplicates: 'allow' }), meta }), true);
      io.stdout(output === 'json' ? clustersJson(list) : clustersTable(list));
      for (const warning of unknownStateWarnings(list, meta)) io.warn?.(`warning: ${warning}\n`);
      for (const twice of duplicateNames(list, meta)) {
        io.warn?.(`warning: ${twice}: ${DUPLICATE_NAME_WHY}; every other command refuses this registry until the bridge lists each name once\n`);
      }
    },
  'register': (io) =>
    async (_o, command: Command) => {
      const input = await registerInput(command, io);
      const { takenFinding } = await import('../../registry/register-cluster.js');
      await withClient(command, io, async (client, meta) => {
        // List first, as the register step does: bridges before 2022-02 have no duplicate check and write a
        // Register of a taken name over the old entry (score, state, url, TLS), or list a taken url twice.
        const taken = takenFinding(await client.list(), input.name, input.url, meta);
        // The root's --overwrite (deploy's) is accepted here too, but this command never replaces an entry: say so.
        if (taken && allOptions(command).overwrite) {
          throw new WsdError(taken.code, `${taken.message} (--overwrite is for deploy and resume; clusters register never replaces an entry)`, { details: taken.details, cause: taken });
        }
        if (taken) throw taken;
        await client.register(input);
        io.stdout(`${input.name}: registered with ${meta} (${input.url}, ${input.hints.cordoned ? 'cordoned' : 'available'}, region ${input.region || '"" (any)'})\n`);
      });
    },
  'score': (io) =>
    (n: number, _o, command: Command) => {
      warnNegative(io, 'score', n);
      return update(command, io, { score: n }, `score set to ${n}`);
    },
  'max-score': (io) =>
    (n: number, _o, command: Command) => {
      warnNegative(io, 'max-score', n);
      return update(command, io, { maxScore: n }, `max score set to ${n}`);
    },
  'tls': (io) =>
    async (_o, command: Command) => {
      const { fileTlsReader } = await import('../../registry/tls-source.js');
      const tls = await fileTlsReader(resolve(command.opts<{ tlsPath: string }>().tlsPath)).read();
      // The client refuses before sending when the bridge predates UpdateRequest.tls (it would answer OK and ignore it),
      // so an OK here is a bridge that dialled ws-manager with the new material and kept it.
      await update(command, io, { tls }, 'TLS material replaced');
    },
  'admission-constraint': (io) =>
    async (op: string, text: string, _o, command: Command) => {
      if (op !== 'add' && op !== 'remove') throw new WsdError('UsageError', `admission-constraint takes add or remove, got "${op}"`);
      const { parseConstraint } = await import('../../registry/constraints.js');
      await update(command, io, { admissionConstraint: { add: op === 'add', constraint: parseConstraint(text) } }, `${op === 'add' ? 'added' : 'removed'} admission constraint ${text}`);
    },
  'deregister': (io) =>
    async (_o, command: Command) => {
      const name = requireName(command);
      const force = command.opts<{ force: boolean }>().force;
      await withClient(command, io, async (client, meta) => {
        // The bridge answers OK to an unknown (or static) name and deletes nothing: say what really happened.
        const listed = (await client.list()).find((c) => c.name === name);
        if (listed?.static) {
          throw new WsdError('RegistryRefused', `cluster ${name} is static on ${meta} (defined in the bridge's own config), so the registry cannot remove it; edit the bridge config instead`);
        }
        if (!listed) {
          io.stdout(`${name}: not registered with ${meta}; nothing to deregister\n`);
          return;
        }
        // The same test and words as uncordon's (and the shift's): UNKNOWN itself is no state to act on either.
        if (listed.state === 'UNKNOWN') {
          const { unknownStateSeen } = await import('../../registry/format.js');
          await (await import('./clusters-confirm.js')).confirmDeregisterUnknown(allOptions(command).yes === true, io, name, unknownStateSeen(listed, meta));
        }
        if (force) await (await import('./clusters-confirm.js')).confirmForce(allOptions(command).yes === true, io, name, meta);
        await client.deregister({ name, force });
        io.stdout(`${name}: deregistered from ${meta}${force ? ' (forced)' : ''}\n`);
      });
    },
  'swap': (io) =>
    async (a: string, b: string, _o, command: Command) => {
      const { swapClusters } = await import('../../registry/swap.js');
      const ignore = command.opts<{ ignoreAdmissionConstraints: boolean }>().ignoreAdmissionConstraints;
      await withClient(command, io, async (client, meta) => {
        const r = await swapClusters(client, a, b, { ignoreAdmissionConstraints: ignore });
        io.stdout(`swapped on ${meta}: ${r.a.name} now ${r.a.state} score ${r.a.score}; ${r.b.name} now ${r.b.state} score ${r.b.score}\n`);
      });
    },
  'get-tls-config': (io) =>
    async (_o, command: Command) => {
      const o = command.opts<{ kubeconfig?: string; context?: string; namespace: string; secret?: string; outputDir: string }>();
      const { kubeSecretTlsReader, TLS_FILE_NAMES } = await import('../../registry/tls-source.js');
      const names = o.secret ? [o.secret] : [MK2_TLS_SECRET, LEGACY_TLS_SECRET];
      const tls = await kubeSecretTlsReader({ kubeconfig: o.kubeconfig && resolve(o.kubeconfig), context: o.context, namespace: o.namespace, name: names }).read();
      const dir = resolve(o.outputDir);
      for (const [field, file] of Object.entries(TLS_FILE_NAMES) as Array<[keyof typeof TLS_FILE_NAMES, string]>) {
        const path = join(dir, file);
        await writeFile(path, tls[field], { mode: 0o600 });
        await chmod(path, 0o600); // an existing file keeps its old mode otherwise
        io.stdout(`${path}\n`);
      }
    },
  cordon: (io) => (_o: unknown, command: Command) => cordonCommand(command, io, true),
  uncordon: (io) => (_o: unknown, command: Command) => cordonCommand(command, io, false),
};
