/** `ws-deployment resume [ID]`: continue a failed or interrupted deployment. */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { resumeDeployment } from '../../engine/deployment.js';
import { renderSummary } from '../../report/summary.js';
import { configGiven, globalOptions } from '../options.js';
import { journaledConfigFile, newestUnfinished } from '../../state/resumable.js';
import { WsdError } from '../../core/errors.js';
import { createRuntime } from '../runtime.js';
import { engineDeps } from './engine-deps.js';
import { applyCliOverrides, engineOptions, exitCodeOf } from './shared.js';
import { emitConfigWarnings, registerSecrets, withSecretFreeHash } from './secrets.js';
import { runObservers } from './observers.js';

export default async function resume(command: Command, id?: string): Promise<void> {
  const options = globalOptions(command);
  const runtime = await createRuntime(options);
  try {
    const given = configGiven(command);
    const { retryShift } = command.opts<{ retryShift?: boolean }>();
    // A rolled-back deployment is over, so "the newest unfinished one" is never it: the retry names its deployment.
    if (retryShift && id === undefined) {
      throw new WsdError('UsageError', '--retry-shift needs the id of the deployment whose shift rolled back: `ws-deployment resume ID --retry-shift` (`ws-deployment status --all` lists them)');
    }
    // Neither an id nor a config: the newest unfinished deployment of any environment, with the config it ran
    // with (the default config file may belong to another environment, or not exist).
    if (id === undefined && !given) {
      id = (await newestUnfinished(runtime.store))?.id;
      if (id === undefined) throw new WsdError('DeploymentNotFound', `no unfinished deployment in ${options.state ? 'the state database' : options.stateDir} to resume; start one with \`ws-deployment deploy\`, or check --state-dir`);
      runtime.sink.emit({ level: 'info', code: 'resume.chosen', message: `resuming ${id}, the newest unfinished deployment (\`ws-deployment status --all\` lists them; \`resume ID\` picks another)`, data: { deploymentId: id } });
    }
    // `resume ID` continues with the config that deployment ran with, unless another is named. Until it is read
    // (a damaged journal's error), the commands suggested know no config: not the default one (core/next-command.ts).
    if (id !== undefined && !given) runtime.next.forDeployment(undefined);
    const file = id !== undefined && !given ? await journaledConfigFile(runtime.store, id) : options.config;
    if (file !== options.config) runtime.sink.emit({ level: 'info', code: 'resume.config', message: `using the config deployment ${id} ran with: ${file}` });
    const raw = await loadConfig(file, { versionsManifest: options.versionsManifest, pathFromEnv: file === options.config ? options.configEnv : undefined });
    // The commands it suggests (`retire --cluster`, `clusters list`) name the config it runs with, also where that is
    // the default one: read in a CI log or a webhook far from here, a bare one would read another default config.
    runtime.next.useConfig(raw.file);
    const loaded = applyCliOverrides(withSecretFreeHash(raw, registerSecrets(runtime.redactor, raw.config)), options);
    emitConfigWarnings(runtime.sink, loaded);
    const observed = await runObservers(runtime, loaded.config, options.otlpEndpoint);
    // Also when the run throws: what was traced (and notified) so far still goes out.
    const snap = await resumeDeployment(loaded, id, engineOptions(options, { retryShift }), engineDeps(runtime, loaded, { observers: observed.observers })).finally(() => observed.finish());
    // First the live area goes: nothing may redraw over the summary.
    await runtime.close();
    process.stdout.write(runtime.next.text(renderSummary(snap)));
    process.exitCode = exitCodeOf(snap);
  } finally {
    await runtime.close();
  }
}
