/**
 * `ws-deployment sandbox registry`: runs the registry simulator standalone on
 * 127.0.0.1 so the sandbox (and people trying the tool) have a ClusterService
 * to register with. Never part of a real deployment.
 */
import { resolve } from 'node:path';
import { examples } from '../help.js';
import { Command, InvalidArgumentError, Option } from 'commander';
import { WsdError } from '../../core/errors.js';
import { onStopSignal } from '../stop-signals.js';

interface SandboxRegistryIo {
  /** The address, alone on its line: what scripts read. */
  stdout(text: string): void;
  /** What people read: where it listens, where its state is, how to stop it. */
  stderr?(text: string): void;
  /** Resolves when the simulator should stop (default: SIGINT, SIGTERM or SIGHUP; a second one exits at once). */
  untilStopped(): Promise<void>;
}

const processIo: SandboxRegistryIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  untilStopped: () =>
    new Promise((done) => {
      const release = onStopSignal(() => {
        release();
        done();
      });
    }),
};

function port(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError(`--port must be 0–65535, got "${value}"`);
  return Number(value);
}

function seed(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 2 ** 32 - 1) throw new InvalidArgumentError(`--seed must be a whole number below 2^32, got "${value}"`);
  return Number(value);
}

/** Default registry file, inside --state-dir. */
export const DEFAULT_REGISTRY_FILE = 'sandbox-registry.json';

/**
 * The registry file. `--registry-file` is its name; `--state FILE` was, and
 * still works. Under the full program the root's global `--state` (the
 * PostgreSQL store of deployments) takes that flag before this command sees
 * it, so it is read from whichever ancestor got it on the command line; the
 * WS_DEPLOYMENT_STATE environment default is not a registry file and is ignored.
 */
function registryFile(command: Command): string {
  const own = command.opts<{ registryFile?: string; state?: string }>();
  const old = own.state ?? stateFlagOfAncestors(command);
  if (own.registryFile && old) throw new WsdError('UsageError', 'sandbox registry: give --registry-file FILE only (--state FILE is its old name)');
  if (old && /^postgres(ql)?:\/\//i.test(old)) {
    throw new WsdError('UsageError', 'sandbox registry keeps its registry in a JSON file, not in PostgreSQL: pass --registry-file FILE instead of --state');
  }
  const file = own.registryFile ?? old;
  if (file) return resolve(file);
  const stateDir = command.optsWithGlobals<{ stateDir?: string }>().stateDir ?? './.ws-deployment';
  return resolve(stateDir, DEFAULT_REGISTRY_FILE);
}

function stateFlagOfAncestors(command: Command): string | undefined {
  for (let c = command.parent; c; c = c.parent) {
    if (c.getOptionValueSource('state') === 'cli') return c.getOptionValue('state') as string;
  }
  return undefined;
}

/** The line for people: plain, or one NDJSON event with --json-log (stderr stays parseable). */
function listeningNotice(address: string, file: string, jsonLog: boolean): string {
  const message = `registry listening on ${address} (state ${file}); stop with Ctrl-C`;
  if (!jsonLog) return `${message}\n`;
  return `${JSON.stringify({ time: new Date().toISOString(), level: 'info', code: 'sandbox.registry.listening', message, data: { address, registryFile: file } })}\n`;
}

/** The `registry` subcommand of `sandbox`. */
export function sandboxRegistryCommand(io: SandboxRegistryIo = processIo): Command {
  return new Command('registry')
    .description('run a cluster registry simulator (ws-manager-bridge ClusterService) on 127.0.0.1 until interrupted')
    .option('--port <n>', 'port to listen on (0 = any free port)', port, 0)
    .option('--registry-file <file>', `JSON file holding the registry (default: <state-dir>/${DEFAULT_REGISTRY_FILE})`)
    // The old name of --registry-file; only reached here when the command runs on its own.
    .addOption(new Option('--state <file>').hideHelp())
    .option('--seed <n>', 'seed of simulated workspace starts', seed, 1)
    .addOption(new Option('--reachability <check>', 'how Register checks the ws-manager url').choices(['tcp', 'none']).default('tcp'))
    .addHelpText('after', examples([
      'ws-deployment sandbox registry --port 50051',
      'ws-deployment sandbox registry --registry-file ./registry.json --reachability none',
      'ws-deployment clusters --bridge 127.0.0.1:50051 list',
    ]))
    .action(async (_o, command: Command) => {
      const o = command.opts<{ port: number; seed: number; reachability: 'tcp' | 'none' }>();
      const stateFile = registryFile(command);
      const { startSimulator, alwaysReachable, tcpReachability } = await import('../../registry/simulator/index.js');
      const sim = await startSimulator({
        host: '127.0.0.1',
        port: o.port,
        stateFile,
        seed: o.seed,
        reachability: o.reachability === 'none' ? alwaysReachable : tcpReachability(),
      });
      io.stdout(`${sim.address}\n`);
      io.stderr?.(listeningNotice(sim.address, stateFile, command.optsWithGlobals<{ jsonLog?: boolean }>().jsonLog === true));
      try {
        await io.untilStopped();
      } finally {
        await sim.stop();
      }
    });
}
