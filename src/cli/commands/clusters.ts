/**
 * `ws-deployment clusters …`: gpctl-compatible cluster registry commands against
 * one meta cluster (`--meta NAME` from the config, or `--bridge ADDRESS`).
 * This is the tree (names, flags, help); the handlers, in `clusters-actions.ts`, are loaded when a subcommand runs:
 * the program is built for every command, and `plan`'s start compiled them all (21 KB of its 1.5 MB guard).
 */
import { examples } from '../help.js';
import { Command, InvalidArgumentError } from 'commander';
import type { Preferability } from '../../registry/types.js';
import { INT32_MAX, INT32_MIN, parseRegistryName, parseSignedScore } from '../options.js';
import { outputOption } from './output-option.js';
import type { ClustersIo } from './clusters-actions.js';

function preferabilityOf(value: string): Preferability {
  const map: Record<string, Preferability> = { none: 'None', prefer: 'Prefer', dontschedule: 'DontSchedule' };
  const p = map[value.toLowerCase()];
  if (!p) throw new InvalidArgumentError(`--hint-preferability must be none, prefer or dontschedule, got "${value}"`);
  return p;
}

/** gpctl's default since ws-manager-mk2 (2023-06), and the secret before it. */
export const MK2_TLS_SECRET = 'ws-manager-mk2-client-tls';
export const LEGACY_TLS_SECRET = 'ws-manager-client-tls';

/** The `clusters` command tree. */
export function clustersCommand(given?: ClustersIo): Command {
  // With --json-log every stderr line is one JSON event: warnings too (known once the command line is parsed).
  let jsonLog = false;
  /** The subcommand's handler, loaded when it runs (default io: the process' stdout, stderr and terminal). */
  const act =
    (name: string) =>
    async (...args: unknown[]): Promise<void> => {
      const { ACTIONS, processIo, warningEvent } = await import('./clusters-actions.js');
      const base = given ?? processIo;
      const io: ClustersIo = base.warn ? { ...base, warn: (text) => base.warn?.(jsonLog ? warningEvent(text) : text) } : base;
      await ACTIONS[name]!(io)(...args);
    };
  const clusters = new Command('clusters')
    .hook('preAction', (_clusters, action) => {
      jsonLog = action.optsWithGlobals<{ jsonLog?: boolean }>().jsonLog === true;
    })
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
      'ws-deployment clusters swap --meta prod-meta-eu01 eu17 eu18',
    ]));

  clusters
    .command('list')
    .description('list registered clusters')
    .addOption(outputOption())
    .addHelpText('after', examples(['ws-deployment clusters list --meta prod-meta-eu01', 'ws-deployment clusters list --output json']))
    .action(act('list'));

  clusters
    .command('register')
    .description('register a workspace cluster (TLS from ca.crt, tls.crt, tls.key in --tls-path)')
    .option('--name <name>', 'registry name: lowercase letters, digits and dashes, e.g. eu17', parseRegistryName)
    .option('--url <url>', 'ws-manager url, e.g. dns:///ws-eu17.gitpod.io:8080')
    .option('--tls-path <dir>', 'folder with ca.crt, tls.crt and tls.key (see get-tls-config)')
    .option('--region <region>', 'coarse region: europe, north-america, south-america, africa, asia, or "" for any (bridges since 2023-02)')
    .option('--hint-cordoned', 'register cordoned (no new workspaces)')
    .option('--hint-govern', 'legacy: bridges before 2023-03 govern the cluster only when set; current bridges govern every cluster')
    .option('--hint-preferability <p>', 'none (score 50), prefer (100) or dontschedule (0)', preferabilityOf)
    .option('--admission-constraint <c>', 'has-feature-preview or has-permission=<p> (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--from-file <file>', 'read a RegisterRequest (JSON, as gpctl) from a file, or - for stdin; flags given too override its fields')
    .addHelpText('after', examples([
      'ws-deployment clusters register --meta prod-meta-eu01 --name eu17 --url dns:///ws-eu17.gitpod.io:8080 --tls-path ./tls --region europe --hint-cordoned',
      'ws-deployment clusters register --bridge 127.0.0.1:8080 --from-file request.json',
      'ws-deployment clusters register --bridge 127.0.0.1:8080 --from-file common.json --name eu18 --url dns:///ws-eu18.gitpod.io:8080',
    ]))
    .action(act('register'));

  const updateCmd = clusters
    .command('update')
    .description('change one property of a registered cluster')
    .option('--name <name>', 'registry name of the cluster')
    .addHelpText('after', examples([
      'ws-deployment clusters update --meta prod-meta-eu01 --name eu17 score 20',
      'ws-deployment clusters update --meta prod-meta-eu01 --name eu17 admission-constraint remove has-permission=new-workspace-cluster',
      'ws-deployment clusters update --meta prod-meta-eu01 --name eu17 tls --tls-path ./tls',
    ]));
  // Parsed as arguments, so a bad number is a usage error commander reports like any other.
  updateCmd
    .command('score')
    .description('set the score (weight of new workspace starts)')
    .argument('<n>', `whole number from ${INT32_MIN} to ${INT32_MAX} (≤ 0 takes no new workspaces)`, parseSignedScore('score'))
    .action(act('score'));
  updateCmd
    .command('max-score')
    .description('set the maximum score (selection weighs by min(score, max score))')
    .argument('<n>', `whole number from ${INT32_MIN} to ${INT32_MAX}`, parseSignedScore('max-score'))
    .action(act('max-score'));
  updateCmd
    .command('tls')
    .description('replace the TLS material the bridge dials the cluster with (bridges since 2024-06; refused on an older one, which would ignore it)')
    .requiredOption('--tls-path <dir>', 'folder with ca.crt, tls.crt and tls.key (see get-tls-config)')
    .action(act('tls'));
  updateCmd
    .command('admission-constraint <add|remove> <constraint>')
    .description('add or remove has-feature-preview or has-permission=<permission>')
    .action(act('admission-constraint'));

  for (const [verb, cordoned] of [['cordon', true], ['uncordon', false]] as const) {
    clusters
      .command(verb)
      .description(cordoned ? 'stop new workspace starts on a cluster' : 'allow new workspace starts again')
      .option('--name <name>', 'registry name of the cluster')
      .addHelpText('after', examples([`ws-deployment clusters ${verb} --meta prod-meta-eu01 --name eu17`]))
      .action(act(verb));
  }

  clusters
    .command('deregister')
    .description('remove a cluster; refused while regular workspaces run unless --force')
    .option('--name <name>', 'registry name of the cluster')
    .option('--force', 'deregister even though workspaces run (breaks their sessions)', false)
    .option('-y, --yes', 'confirm --force, or a cluster in a state this tool does not know, without a prompt (required when not on a terminal or under CI)')
    .addHelpText('after', examples([
      'ws-deployment clusters deregister --meta prod-meta-eu01 --name eu17',
      'ws-deployment clusters deregister --meta prod-meta-eu01 --name eu17 --force --yes',
    ]))
    .action(act('deregister'));

  clusters
    .command('swap')
    .description('swap state and score of two governed, non-static clusters (gpctl clusters swap; not atomic: four Updates in a row)')
    .argument('<a>', 'registry name of the first cluster')
    .argument('<b>', 'registry name of the second cluster')
    .option('--ignore-admission-constraints', 'swap even when a cluster has admission constraints', false)
    .addHelpText('after', examples(['ws-deployment clusters swap --meta prod-meta-eu01 eu17 eu18']))
    .action(act('swap'));

  clusters
    .command('get-tls-config')
    .description(`write ca.crt, tls.crt and tls.key (mode 0600) from the ${MK2_TLS_SECRET} secret (else ${LEGACY_TLS_SECRET}) of a workspace cluster`)
    .option('--kubeconfig <file>', 'kubeconfig of the workspace cluster (default $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: the current one)')
    .option('--namespace <ns>', 'namespace of the secret', 'default')
    .option('--secret <name>', `secret name (default ${MK2_TLS_SECRET}, falling back to ${LEGACY_TLS_SECRET} when absent)`)
    .option('--output-dir <dir>', 'where to write the files', '.')
    .addHelpText('after', examples(['ws-deployment clusters get-tls-config --context gke_proj_europe-west1_gp-prod-ws-eu17-eu-west1 --output-dir ./tls']))
    .action(act('get-tls-config'));

  return clusters;
}
