/**
 * The commander program: global flags, commands, help with examples. Command
 * modules are imported lazily so `--version` and `validate` start fast.
 */
import { examples } from './help.js';
import { Command } from 'commander';
import { clustersCommand } from './commands/clusters.js';
import { retireCommand } from './commands/retire.js';
import { shiftCommand } from './commands/shift.js';
import { sandboxRegistryCommand } from './commands/sandbox-registry.js';
import { packageVersion } from '../core/package-files.js';
import { addGlobalOptions, nextCommandsOf } from './options.js';
import { visibleGlobalOptions } from './help-options.js';
import { assertDryRunApplies } from './dry-run-scope.js';
import { outputOption } from './commands/output-option.js';
import { ErrorOutput } from './render/error-output.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- positional arguments differ per command
type Action = (command: Command, ...args: any[]) => Promise<void>;

/** Defers loading a command module until the command runs. */
function lazy(load: () => Promise<{ default: Action }>) {
  return async (...args: unknown[]): Promise<void> => {
    const command = args.at(-1) as Command;
    const mod = await load();
    await mod.default(command, ...args.slice(0, -2));
  };
}

/**
 * Gives every command below `command` its settings: exitOverride (a bad
 * argument anywhere throws to main's one error handler, exit 2, instead of
 * commander calling process.exit(1)) and the error output (NDJSON with
 * --json-log). Command trees built in their own modules (`clusters`,
 * `sandbox registry`) have their subcommands already, so `.command()`'s
 * inheritance never reached them.
 */
function inheritSettings(command: Command): void {
  for (const sub of command.commands) {
    sub.copyInheritedSettings(command);
    inheritSettings(sub);
  }
}

interface ProgramOptions {
  /** Where parse errors go; default: plain text on stderr. */
  errors?: ErrorOutput;
}

export function buildProgram(options: ProgramOptions = {}): Command {
  const errors = options.errors ?? new ErrorOutput(false);
  const program = addGlobalOptions(new Command('ws-deployment'))
    .description('Deploys Gitpod workspace clusters end to end and moves traffic onto them safely.')
    .version(packageVersion())
    .configureOutput(errors.commanderOutput())
    // Each subcommand's --help lists the global flags that apply there (help-options.ts).
    .configureHelp({ showGlobalOptions: true, visibleGlobalOptions })
    // With --json-log the hint is part of the NDJSON error event instead.
    .showHelpAfterError(errors.jsonLog ? false : '(run with --help for usage)')
    .exitOverride()
    // From here on, an error's suggested commands reach the state this command line reached (core/next-command.ts).
    .hook('preAction', (_root, action) => {
      errors.next = nextCommandsOf(action);
      assertDryRunApplies(action);
    })
    .addHelpText('after', examples(['ws-deployment deploy --config examples/sandbox.yaml', 'ws-deployment plan --output json', 'ws-deployment status --output json']));

  program
    .command('validate')
    .description('check the config and report every problem at once (exit 0 valid, 2 invalid)')
    .addHelpText('after', examples(['ws-deployment validate --config deploy.yaml']))
    .action(lazy(() => import('./commands/validate.js')));

  program
    .command('schema')
    .description('print the JSON Schema of the config (for yaml-language-server)')
    .addHelpText('after', examples(['ws-deployment schema > ws-deployment.schema.json']))
    .action(lazy(() => import('./commands/schema.js')));

  program
    .command('plan')
    .description('show per cluster the ordered steps and exactly what each would do, and whether an earlier deployment of the environment would stop deploy; changes nothing')
    .addOption(outputOption())
    .option('--allow-unfinished', 'plan the deploy --allow-unfinished would run (not stopped by an unfinished deployment)', false)
    .addHelpText('after', examples(['ws-deployment plan --config deploy.yaml', 'ws-deployment plan --output json --cluster-id 117']))
    .action(lazy(() => import('./commands/plan.js')));

  program
    .command('deploy')
    .description(
      'deploy a new generation: create, install, test and register the workspace clusters of the config, shift traffic onto them (metric-gated, rolled back on a bad signal), then retire the old generation (cordon, drain, deregister, terraform destroy)',
    )
    .option('--allow-unfinished', 'start even though an earlier deployment of this environment did not finish', false)
    .option('--inject-fault <cluster:rate>', 'sandbox only: make a cluster fail this share of workspace starts, e.g. eu:0.5, or its metrics vanish this long after the shift began, e.g. eu:vanish@10s (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .addHelpText('after', examples(['ws-deployment deploy --config examples/sandbox.yaml', 'ws-deployment deploy --dry-run', 'ws-deployment deploy --cluster-id 117 --yes', 'ws-deployment deploy --only create-cluster,install-gitpod', 'CI=true ws-deployment deploy --json-log --concurrency 2', 'ws-deployment deploy --otlp-endpoint http://localhost:4318   # one trace per run, e.g. to Jaeger']))
    .action(lazy(() => import('./commands/deploy.js')));

  program
    .command('resume [id]')
    .description('continue a failed or interrupted deployment (default: the newest unfinished one: of --config’s environment, or with no --config of the state store, with the config it ran with)')
    .option('--retry-shift', 'start the traffic shift of deployment ID, which rolled back, again from its first step with fresh gates, then go on as resume does (retire the old generation); journaled with who and when', false)
    .addHelpText('after', examples(['ws-deployment resume', 'ws-deployment resume 20261125-083011-a1b2', 'ws-deployment resume 20261125-083011-a1b2 --retry-shift']))
    .action(lazy(() => import('./commands/resume.js')));

  program
    .command('status [id]')
    .description('show a deployment (default: the newest), or list them all with --all')
    .addOption(outputOption())
    .option('--all', 'list every deployment in the state store, newest first', false)
    .option('-w, --watch', 'follow a deployment live (default: the newest running one) until it ends; exits with its exit code', false)
    .addHelpText('after', examples(['ws-deployment status', 'ws-deployment status --all', 'ws-deployment status 20261125-083011-a1b2 --output json', 'ws-deployment status --watch --state-dir /shared/wsd-state']))
    .action(lazy(() => import('./commands/status.js')));

  program
    .command('report [id]')
    .description('write a self-contained HTML report of a deployment (default: the newest): timeline, traffic, gates, decisions, registries')
    .option('-o, --output <file>', 'where to write the HTML (- for stdout)', 'report.html')
    .addHelpText('after', examples(['ws-deployment report --output report.html', 'ws-deployment report 20261125-083011-a1b2 --output /tmp/rollback.html --state postgres://ci@db/wsd']))
    .action(lazy(() => import('./commands/report.js')));

  program.addCommand(clustersCommand());
  program.addCommand(shiftCommand());
  program.addCommand(retireCommand());
  program.addCommand(
    new Command('sandbox')
      .description('the sandbox: try ws-deployment on one machine')
      .addHelpText('after', examples(['ws-deployment sandbox registry --help']))
      .addCommand(sandboxRegistryCommand()),
  );

  inheritSettings(program);
  return program;
}
