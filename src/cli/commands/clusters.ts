/**
 * `ws-deployment clusters …`: gpctl-compatible cluster registry commands against
 * one meta cluster (`--meta NAME` from the config, or `--bridge ADDRESS`).
 * Handlers only parse and print; the registry modules do the work and are
 * imported when a command runs, so building the program stays cheap.
 */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { examples } from '../help.js';
import { Command, InvalidArgumentError } from 'commander';
import { isWsdError, WsdError } from '../../core/errors.js';
import type { RegistryClient } from '../../registry/client.js';
import type { MetaAccessInput } from '../../registry/connect.js';
import type { Preferability, RegisterInput, UpdateProperty } from '../../registry/types.js';
import { INT32_MAX, parseRegistryName, parseScore, registryNameProblem } from '../options.js';
import { outputOption } from './output-option.js';

/** Where results go and how to ask; injectable so tests run the program in-process. */
export interface ClustersIo {
  stdout(text: string): void;
  /** True when a person can answer a question. */
  interactive(): boolean;
  /** Asks on stderr/stdin and returns the answer. */
  ask(question: string): Promise<string>;
  /** Reads all of stdin (for `--from-file -`). */
  readStdin(): Promise<string>;
}

export const processIo: ClustersIo = {
  stdout: (text) => void process.stdout.write(text),
  interactive: () => Boolean(process.stdin.isTTY && process.stderr.isTTY),
  ask: async (question) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return await rl.question(question);
    } finally {
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

/** Resolves `--meta` (through the config) or `--bridge` into connection settings. */
async function target(command: Command): Promise<Target> {
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
  const { config } = await loadConfig(file);
  const metas = config.metaClusters;
  // With a single meta cluster in the config, --meta may be left out.
  const meta = o.meta ? metas.find((m) => m.name === o.meta) : metas.length === 1 ? metas[0] : undefined;
  if (!meta) {
    const known = metas.map((m) => m.name).join(', ') || 'none';
    throw new WsdError('UsageError', o.meta ? `meta cluster "${o.meta}" is not in ${file}; it has ${known}` : `${file} has several meta clusters (${known}); say which with --meta NAME`);
  }
  const { resolveMetaAccess } = await import('../../sandbox/meta-access.js');
  return { meta: await resolveMetaAccess(meta, resolve(o.stateDir ?? './.ws-deployment')), baseDir: dirname(file) };
}

/** Connects, runs `fn`, always closes the channel and any port-forward. */
async function withClient<T>(command: Command, fn: (client: RegistryClient, meta: string) => Promise<T>): Promise<T> {
  const { meta, baseDir, bridgeFlags } = await target(command);
  const { withRegistry } = await import('../../registry/connect.js');
  try {
    return await withRegistry(meta, { baseDir }, (client) => fn(client, meta.name));
  } catch (error) {
    throw bridgeFlags ? withBridgeHint(error, bridgeFlags) : error;
  }
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

function preferabilityOf(value: string): Preferability {
  const map: Record<string, Preferability> = { none: 'None', prefer: 'Prefer', dontschedule: 'DontSchedule' };
  const p = map[value.toLowerCase()];
  if (!p) throw new InvalidArgumentError(`--hint-preferability must be none, prefer or dontschedule, got "${value}"`);
  return p;
}

async function registerInput(command: Command, io: ClustersIo): Promise<RegisterInput> {
  const o = command.opts<{ name?: string; url?: string; tlsPath?: string; hintCordoned: boolean; hintGovern: boolean; hintPreferability: Preferability; admissionConstraint: string[]; fromFile?: string }>();
  if (o.fromFile) {
    if (o.url || o.tlsPath || o.name) throw new WsdError('UsageError', '--from-file replaces --name, --url and --tls-path; give one or the other');
    const { parseRegisterFile } = await import('../../registry/register-file.js');
    const source = o.fromFile === '-' ? 'stdin' : resolve(o.fromFile);
    const text = o.fromFile === '-' ? await io.readStdin() : await readFile(source, 'utf8').catch((e: Error) => {
      throw new WsdError('UsageError', `cannot read ${source}: ${e.message}`);
    });
    const input = parseRegisterFile(text, source);
    const problem = registryNameProblem(input.name);
    if (problem) throw new WsdError('UsageError', `${source}: name ${problem}`);
    return input;
  }
  if (!o.name || !o.url || !o.tlsPath) throw new WsdError('UsageError', 'register needs --name, --url and --tls-path (or --from-file)');
  const [{ fileTlsReader }, { parseConstraint }] = await Promise.all([import('../../registry/tls-source.js'), import('../../registry/constraints.js')]);
  return {
    name: o.name,
    url: o.url,
    tls: await fileTlsReader(resolve(o.tlsPath)).read(),
    hints: { preferability: o.hintPreferability, cordoned: o.hintCordoned, govern: o.hintGovern },
    admissionConstraints: o.admissionConstraint.map(parseConstraint),
    admissionPreferences: [],
  };
}

async function update(command: Command, io: ClustersIo, property: UpdateProperty, done: string): Promise<void> {
  const name = requireName(command);
  await withClient(command, async (client, meta) => {
    await client.update(name, property);
    io.stdout(`${name}: ${done} on ${meta}\n`);
  });
}

async function confirmForce(command: Command, io: ClustersIo, name: string, meta: string): Promise<void> {
  // --yes may be the root's global flag or deregister's own; optsWithGlobals sees both.
  if (allOptions(command).yes === true) return;
  if (!io.interactive()) {
    throw new WsdError('UsageError', `deregister --force of ${name} stops its running workspaces and breaks those sessions; pass --yes to confirm when not on a terminal`);
  }
  const answer = await io.ask(`--force deregisters ${name} from ${meta} even while regular workspaces run on it, breaking those sessions. Type the cluster name to confirm: `);
  if (answer.trim() !== name) throw new WsdError('Interrupted', `deregistration of ${name} not confirmed; nothing changed`);
}

/** The `clusters` command tree. */
export function clustersCommand(io: ClustersIo = processIo): Command {
  const clusters = new Command('clusters')
    .description('inspect and change the cluster registry of a meta cluster (gpctl clusters)')
    .option('--meta <name>', 'meta cluster from the config whose registry to use')
    .option('--bridge <host:port>', 'talk to this ws-manager-bridge directly instead')
    .option('--bridge-ca <file>', 'CA certificate for a TLS connection to --bridge')
    .option('--bridge-cert <file>', 'client certificate for --bridge')
    .option('--bridge-key <file>', 'client key for --bridge')
    .addHelpText('after', examples([
      'ws-deployment clusters list --meta prod-meta-eu01',
      'ws-deployment clusters --bridge 127.0.0.1:8080 list --output json',
      'ws-deployment clusters cordon --meta prod-meta-eu01 --name eu17',
    ]));

  clusters
    .command('list')
    .description('list registered clusters')
    .addOption(outputOption())
    .addHelpText('after', examples(['ws-deployment clusters list --meta prod-meta-eu01', 'ws-deployment clusters list --output json']))
    .action(async (_o, command: Command) => {
      const { clustersJson, clustersTable } = await import('../../registry/format.js');
      const output = command.opts<{ output: string }>().output;
      const list = await withClient(command, (client) => client.list());
      io.stdout(output === 'json' ? clustersJson(list) : clustersTable(list));
    });

  clusters
    .command('register')
    .description('register a workspace cluster (TLS from ca.crt, tls.crt, tls.key in --tls-path)')
    .option('--name <name>', 'registry name: lowercase letters, digits and dashes, e.g. eu17', parseRegistryName)
    .option('--url <url>', 'ws-manager url, e.g. dns:///ws-eu17.gitpod.io:8080')
    .option('--tls-path <dir>', 'folder with ca.crt, tls.crt and tls.key (see get-tls-config)')
    .option('--hint-cordoned', 'register cordoned (no new workspaces)', false)
    .option('--hint-govern', 'this meta cluster governs the cluster', false)
    .option('--hint-preferability <p>', 'none (score 50), prefer (100) or dontschedule (0)', preferabilityOf, 'None' as Preferability)
    .option('--admission-constraint <c>', 'has-feature-preview or has-permission=<p> (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--from-file <file>', 'read a RegisterRequest (JSON, as gpctl) from a file, or - for stdin')
    .addHelpText('after', examples([
      'ws-deployment clusters register --meta prod-meta-eu01 --name eu17 --url dns:///ws-eu17.gitpod.io:8080 --tls-path ./tls --hint-cordoned',
      'ws-deployment clusters register --bridge 127.0.0.1:8080 --from-file request.json',
    ]))
    .action(async (_o, command: Command) => {
      const input = await registerInput(command, io);
      await withClient(command, async (client, meta) => {
        await client.register(input);
        io.stdout(`${input.name}: registered with ${meta} (${input.url}, ${input.hints.cordoned ? 'cordoned' : 'available'})\n`);
      });
    });

  const updateCmd = clusters
    .command('update')
    .description('change one property of a registered cluster')
    .option('--name <name>', 'registry name of the cluster')
    .addHelpText('after', examples([
      'ws-deployment clusters update --meta prod-meta-eu01 --name eu17 score 20',
      'ws-deployment clusters update --meta prod-meta-eu01 --name eu17 admission-constraint remove has-permission=new-workspace-cluster',
    ]));
  // Parsed as arguments, so a bad number is a usage error commander reports like any other.
  updateCmd
    .command('score')
    .description('set the score (weight of new workspace starts)')
    .argument('<n>', `whole number from 0 to ${INT32_MAX}`, parseScore('score'))
    .action((n: number, _o, command: Command) => update(command, io, { score: n }, `score set to ${n}`));
  updateCmd
    .command('max-score')
    .description('set the maximum score')
    .argument('<n>', `whole number from 0 to ${INT32_MAX}`, parseScore('max-score'))
    .action((n: number, _o, command: Command) => update(command, io, { maxScore: n }, `max score set to ${n}`));
  updateCmd
    .command('admission-constraint <add|remove> <constraint>')
    .description('add or remove has-feature-preview or has-permission=<permission>')
    .action(async (op: string, text: string, _o, command: Command) => {
      if (op !== 'add' && op !== 'remove') throw new WsdError('UsageError', `admission-constraint takes add or remove, got "${op}"`);
      const { parseConstraint } = await import('../../registry/constraints.js');
      await update(command, io, { admissionConstraint: { add: op === 'add', constraint: parseConstraint(text) } }, `${op === 'add' ? 'added' : 'removed'} admission constraint ${text}`);
    });

  for (const [verb, cordoned] of [['cordon', true], ['uncordon', false]] as const) {
    clusters
      .command(verb)
      .description(cordoned ? 'stop new workspace starts on a cluster' : 'allow new workspace starts again')
      .option('--name <name>', 'registry name of the cluster')
      .addHelpText('after', examples([`ws-deployment clusters ${verb} --meta prod-meta-eu01 --name eu17`]))
      .action((_o, command: Command) => update(command, io, { cordoned }, cordoned ? 'cordoned' : 'uncordoned'));
  }

  clusters
    .command('deregister')
    .description('remove a cluster; refused while regular workspaces run unless --force')
    .option('--name <name>', 'registry name of the cluster')
    .option('--force', 'deregister even though workspaces run (breaks their sessions)', false)
    .option('-y, --yes', 'confirm --force without a prompt (required when not on a terminal)')
    .addHelpText('after', examples([
      'ws-deployment clusters deregister --meta prod-meta-eu01 --name eu17',
      'ws-deployment clusters deregister --meta prod-meta-eu01 --name eu17 --force --yes',
    ]))
    .action(async (_o, command: Command) => {
      const name = requireName(command);
      const force = command.opts<{ force: boolean }>().force;
      await withClient(command, async (client, meta) => {
        if (force) await confirmForce(command, io, name, meta);
        await client.deregister({ name, force });
        io.stdout(`${name}: deregistered from ${meta}${force ? ' (forced)' : ''}\n`);
      });
    });

  clusters
    .command('get-tls-config')
    .description('write ca.crt, tls.crt and tls.key (mode 0600) from the ws-manager-client-tls secret of a workspace cluster')
    .option('--kubeconfig <file>', 'kubeconfig of the workspace cluster (default $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: the current one)')
    .option('--namespace <ns>', 'namespace of the secret', 'default')
    .option('--secret <name>', 'secret name', 'ws-manager-client-tls')
    .option('--output-dir <dir>', 'where to write the files', '.')
    .addHelpText('after', examples(['ws-deployment clusters get-tls-config --context gke_proj_europe-west1_gp-prod-ws-eu17-eu-west1 --output-dir ./tls']))
    .action(async (_o, command: Command) => {
      const o = command.opts<{ kubeconfig?: string; context?: string; namespace: string; secret: string; outputDir: string }>();
      const { kubeSecretTlsReader, TLS_FILE_NAMES } = await import('../../registry/tls-source.js');
      const tls = await kubeSecretTlsReader({ kubeconfig: o.kubeconfig && resolve(o.kubeconfig), context: o.context, namespace: o.namespace, name: o.secret }).read();
      const dir = resolve(o.outputDir);
      for (const [field, file] of Object.entries(TLS_FILE_NAMES) as Array<[keyof typeof TLS_FILE_NAMES, string]>) {
        const path = join(dir, file);
        await writeFile(path, tls[field], { mode: 0o600 });
        await chmod(path, 0o600); // an existing file keeps its old mode otherwise
        io.stdout(`${path}\n`);
      }
    });

  return clusters;
}
