/**
 * `ws-deployment retire --cluster NAME [--yes]`: cordon, drain, deregister
 * (never forced) and destroy one old cluster — the retire-old-clusters step for
 * a single cluster, e.g. one a refused drain left behind.
 */
import { examples } from '../help.js';
import { Command, InvalidArgumentError } from 'commander';
import { parseDuration } from '../../traffic/duration.js';
import { globalOptions } from '../options.js';

function durationOption(value: string): number {
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch {
    throw new InvalidArgumentError(`--drain-timeout must be a duration such as 30m or 24h, got "${value}"`);
  }
  // As trafficShift.retire.drainTimeout: 0s gives running workspaces no time to end, so the drain is refused.
  if (ms <= 0) throw new InvalidArgumentError(`--drain-timeout must be longer than 0s (running workspaces need time to end), got "${value}"; write e.g. 30m or 24h`);
  return ms;
}

/** The `retire` command, ready to be added to the program. */
export function retireCommand(): Command {
  return new Command('retire')
    .description('retire one old cluster: cordon, wait for its workspaces to end, deregister everywhere (no force), terraform destroy')
    .requiredOption('--cluster <name>', 'short name as registered (e.g. eu17)')
    .option('--drain-timeout <duration>', 'how long to wait for running workspaces (default: trafficShift.retire.drainTimeout, else 24h)', durationOption)
    .option('--destroy', 'terraform destroy after deregistering (default: trafficShift.retire.destroy)')
    .option('--no-destroy', 'deregister only; print the command that would destroy it')
    .addHelpText('after', examples(['ws-deployment retire --cluster eu17 --yes', 'ws-deployment retire --cluster eu17 --drain-timeout 2h --no-destroy --yes']))
    .action(async (_opts: unknown, command: Command) => {
      // Loaded when the command runs, so registering it keeps `--version` and `validate` fast.
      const [{ loadConfig }, { retireStandalone }, { createRuntime }, { registerSecrets }] = await Promise.all([
        import('../../config/load.js'),
        import('../../steps/retire/retire-standalone.js'),
        import('../runtime.js'),
        import('./secrets.js'),
      ]);
      const options = globalOptions(command);
      const own = command.opts<{ cluster: string; drainTimeout?: number; destroy?: boolean }>();
      const loaded = await loadConfig(options.config, { pathFromEnv: options.configEnv });
      const runtime = await createRuntime(options);
      try {
        registerSecrets(runtime.redactor, loaded.config);
        const result = await retireStandalone({
          config: loaded.config,
          store: runtime.store,
          name: own.cluster,
          yes: options.yes,
          drainTimeoutMs: own.drainTimeout,
          destroy: own.destroy,
          sink: runtime.sink,
          redactor: runtime.redactor,
          signal: runtime.signal,
        });
        await runtime.close(); // the live area goes first: nothing may redraw over the result
        const end = result.destroyed ? 'destroyed' : result.manual ? `not destroyed; run: ${result.manual.join(' ')}` : 'deregistered';
        process.stdout.write(runtime.next.text(`${result.name}: cordoned, drained, deregistered from ${result.deregistered.join(', ')}; ${end}\n`));
      } finally {
        await runtime.close();
      }
    });
}
