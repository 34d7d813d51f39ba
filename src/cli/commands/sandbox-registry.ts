/**
 * `ws-deployment sandbox registry`: runs the registry simulator standalone on
 * 127.0.0.1 so the sandbox (and people trying the tool) have a ClusterService
 * to register with. Never part of a real deployment.
 */
import { resolve } from 'node:path';
import { examples } from '../help.js';
import { Command, InvalidArgumentError, Option } from 'commander';

export interface SandboxRegistryIo {
  stdout(text: string): void;
  /** Resolves when the simulator should stop (default: SIGINT or SIGTERM). */
  untilStopped(): Promise<void>;
}

const processIo: SandboxRegistryIo = {
  stdout: (text) => void process.stdout.write(text),
  untilStopped: () =>
    new Promise((done) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        done();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
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

/** The `registry` subcommand of `sandbox`. */
export function sandboxRegistryCommand(io: SandboxRegistryIo = processIo): Command {
  return new Command('registry')
    .description('run a cluster registry simulator (ws-manager-bridge ClusterService) on 127.0.0.1 until interrupted')
    .option('--port <n>', 'port to listen on (0 = any free port)', port, 0)
    .option('--state <file>', 'JSON file holding the registry', './.ws-deployment/sandbox-registry.json')
    .option('--seed <n>', 'seed of simulated workspace starts', seed, 1)
    .addOption(new Option('--reachability <check>', 'how Register checks the ws-manager url').choices(['tcp', 'none']).default('tcp'))
    .addHelpText('after', examples(['ws-deployment sandbox registry --port 50051', 'ws-deployment clusters --bridge 127.0.0.1:50051 list']))
    .action(async (_o, command: Command) => {
      const o = command.opts<{ port: number; state: string; seed: number; reachability: 'tcp' | 'none' }>();
      const { startSimulator, alwaysReachable, tcpReachability } = await import('../../registry/simulator/index.js');
      const sim = await startSimulator({
        host: '127.0.0.1',
        port: o.port,
        stateFile: resolve(o.state),
        seed: o.seed,
        reachability: o.reachability === 'none' ? alwaysReachable : tcpReachability(),
      });
      io.stdout(`${sim.address}\n`);
      try {
        await io.untilStopped();
      } finally {
        await sim.stop();
      }
    });
}
